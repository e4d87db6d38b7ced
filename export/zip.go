package export

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/memoria-app/memoria/store"
)

// Zip writes memos into a zip archive as Markdown files.
type Zip struct {
	zw *zip.Writer
}

// NewZip starts a zip archive on w.
func NewZip(w io.Writer) *Zip { return &Zip{zw: zip.NewWriter(w)} }

// Close writes the zip's central directory.
func (z *Zip) Close() error { return z.zw.Close() }

// MemoPath is the zip entry of a memo's Markdown file: its creation date
// and id, e.g. "2024-05-01-memo-42.md".
func MemoPath(m store.Memo) string { return memoBase(m) + ".md" }

func memoBase(m store.Memo) string {
	return fmt.Sprintf("%s-memo-%d", m.CreatedAt.UTC().Format("2006-01-02"), m.ID)
}

// ResourcePath is the zip entry of a memo's i-th resource: in a folder
// named like the memo, prefixed with its position so that two files of
// the same name stay apart, e.g. "2024-05-01-memo-42/1-photo.jpg".
func ResourcePath(m store.Memo, i int) string {
	return fmt.Sprintf("%s/%d-%s", memoBase(m), i+1, m.Resources[i].Filename)
}

// FrontMatter is what the front matter of a memo's file holds.
type FrontMatter struct {
	Name       string    `json:"name"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	Visibility string    `json:"visibility"`
	Pinned     bool      `json:"pinned"`
	Tags       []string  `json:"tags"`
	Source     string    `json:"source"`
	Resources  []string  `json:"resources"` // entry paths, in attachment order
}

// frontMatterKeys is the order of the front matter's lines.
var frontMatterKeys = []string{"name", "created", "updated", "visibility", "pinned", "tags", "source", "resources"}

// Add writes the memo's Markdown file and its resources' bytes (opened
// with open).
func (z *Zip) Add(m store.Memo, open func(store.Resource) (io.ReadCloser, error)) error {
	fm := FrontMatter{
		Name: fmt.Sprintf("memos/%d", m.ID), Created: m.CreatedAt.UTC(), Updated: m.UpdatedAt.UTC(),
		Visibility: string(m.Visibility), Pinned: m.Pinned, Tags: m.Tags, Source: string(m.Source),
	}
	if fm.Tags == nil {
		fm.Tags = []string{}
	}
	fm.Resources = make([]string, len(m.Resources))
	for i := range m.Resources {
		fm.Resources[i] = ResourcePath(m, i)
	}
	w, err := z.zw.CreateHeader(&zip.FileHeader{Name: MemoPath(m), Method: zip.Deflate, Modified: fm.Updated})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, MarkdownFile(fm, m)); err != nil {
		return err
	}
	for i, res := range m.Resources {
		if err := z.addResource(fm.Resources[i], fm.Updated, res, open); err != nil {
			return err
		}
	}
	return nil
}

func (z *Zip) addResource(name string, mod time.Time, res store.Resource, open func(store.Resource) (io.ReadCloser, error)) error {
	src, err := open(res)
	if err != nil {
		return err
	}
	defer src.Close()
	// Media is compressed already; storing it costs no CPU.
	w, err := z.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: mod})
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, src); err != nil {
		return fmt.Errorf("copy resources/%d: %w", res.ID, err)
	}
	return nil
}

// MarkdownFile renders a memo's file: the front matter between "---"
// lines, the content, then (when there are resources) a blank line and a
// link to each resource, an image link for images.
func MarkdownFile(fm FrontMatter, m store.Memo) string {
	var b strings.Builder
	b.WriteString("---\n")
	values := map[string]any{
		"name": fm.Name, "created": fm.Created.Format(time.RFC3339Nano), "updated": fm.Updated.Format(time.RFC3339Nano),
		"visibility": fm.Visibility, "pinned": fm.Pinned, "tags": fm.Tags, "source": fm.Source, "resources": fm.Resources,
	}
	for _, k := range frontMatterKeys {
		v, _ := json.Marshal(values[k])
		fmt.Fprintf(&b, "%s: %s\n", k, v)
	}
	b.WriteString("---\n")
	b.WriteString(m.Content)
	if len(m.Resources) > 0 {
		b.WriteString("\n\n")
		b.WriteString(ResourceLinks(m))
	}
	return b.String()
}

// ResourceLinks is the list of links to the memo's resources that ends
// its file, one per line, relative to the file.
func ResourceLinks(m store.Memo) string {
	var b strings.Builder
	for i, res := range m.Resources {
		bang := ""
		if strings.HasPrefix(res.Type, "image/") {
			bang = "!"
		}
		fmt.Fprintf(&b, "%s[%s](%s)\n", bang, escapeLinkText(res.Filename), escapePath(ResourcePath(m, i)))
	}
	return b.String()
}

func escapeLinkText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}

// escapePath percent-encodes each segment of a slash-separated path, so
// that spaces and parentheses in file names keep the link whole.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return path.Join(segs...)
}
