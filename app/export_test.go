package app_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// exportedMemo is one Markdown file of an export, parsed.
type exportedMemo struct {
	front map[string]json.RawMessage
	body  string
}

// parseExport reads an export zip into its memo files (by entry name) and
// its other entries' bytes.
func parseExport(t *testing.T, raw []byte) (map[string]exportedMemo, map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("the export is not a zip: %v", err)
	}
	memos, files := map[string]exportedMemo{}, map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !strings.HasSuffix(f.Name, ".md") {
			files[f.Name] = b
			continue
		}
		text, ok := strings.CutPrefix(string(b), "---\n")
		if !ok {
			t.Fatalf("%s does not start with front matter", f.Name)
		}
		head, body, ok := strings.Cut(text, "\n---\n")
		if !ok {
			t.Fatalf("%s: front matter not closed", f.Name)
		}
		em := exportedMemo{front: map[string]json.RawMessage{}, body: body}
		for _, line := range strings.Split(head, "\n") {
			k, v, ok := strings.Cut(line, ": ")
			if !ok || !json.Valid([]byte(v)) {
				t.Fatalf("%s: front matter line %q is not `key: value`", f.Name, line)
			}
			em.front[k] = json.RawMessage(v)
		}
		memos[f.Name] = em
	}
	return memos, files
}

func (e exportedMemo) get(t *testing.T, key string, v any) {
	t.Helper()
	raw, ok := e.front[key]
	if !ok {
		t.Fatalf("front matter lacks %q", key)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("front matter %q: %v", key, err)
	}
}

func getExport(t *testing.T, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/export/memos.zip", nil)
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestExportRoundTrip: GET /export/memos.zip gives the caller exactly their
// own memos (any visibility, none of anyone else's), each as a Markdown
// file whose front matter and content match the memo, with its resources'
// bytes beside it, linked from the file; bearer and cookie both work,
// anonymous callers get 401.
func TestExportRoundTrip(t *testing.T) {
	s := startServer(t)
	_, admin := s.signUp("admin")
	_, alice := s.createUser(admin, "alice")
	s.createMemo(admin, "the admin's public memo", v1.Visibility_VISIBILITY_PUBLIC)
	s.createMemo(alice, "private #one\n\nwith `code` and ---\n---\nlines", v1.Visibility_VISIBILITY_PRIVATE)
	pub := s.createMemo(alice, "public #two #three", v1.Visibility_VISIBILITY_PUBLIC)
	withFiles := s.createMemo(alice, "files: [x] (y)", v1.Visibility_VISIBILITY_PROTECTED)
	s.createResource(alice, "photo one.png", "image/png", pngBytes(1), withFiles.Name)
	s.createResource(alice, "notes (v2).txt", "text/plain", []byte("some notes\n"), withFiles.Name)
	s.createResource(alice, "photo one.png", "image/png", pngBytes(2), withFiles.Name)    // same name
	s.createResource(alice, "loose.bin", "application/octet-stream", []byte{1, 2, 3}, "") // unattached: not a memo's
	if _, err := s.as(alice).Memos.UpdateMemo(ctxT(t), connect.NewRequest(&v1.UpdateMemoRequest{
		Memo: &v1.Memo{Name: pub.Name, Pinned: true}, UpdateMask: mask("pinned"),
	})); err != nil {
		t.Fatal(err)
	}
	list, err := s.as(alice).Memos.ListMemos(ctxT(t), connect.NewRequest(&v1.ListMemosRequest{PageSize: 100}))
	if err != nil {
		t.Fatal(err)
	}
	want := list.Msg.Memos

	for name, header := range map[string]http.Header{
		"bearer": {"Authorization": {"Bearer " + alice}},
		"cookie": {"Cookie": {"memoria_session=" + alice}},
	} {
		t.Run(name, func(t *testing.T) {
			resp, raw := getExport(t, s.URL, header)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %s: %s", resp.Status, raw)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/zip" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "memoria-alice-") {
				t.Errorf("Content-Disposition %q", cd)
			}
			memos, files := parseExport(t, raw)
			if len(memos) != len(want) {
				t.Fatalf("export holds %d memos, want %d", len(memos), len(want))
			}
			used := map[string]bool{}
			for _, m := range want {
				var file exportedMemo
				found := false
				for _, em := range memos {
					var n string
					em.get(t, "name", &n)
					if n == m.Name {
						file, found = em, true
					}
				}
				if !found {
					t.Fatalf("%s is not in the export", m.Name)
				}
				var created, updated time.Time
				var vis, source string
				var pinned bool
				var tags, resources []string
				file.get(t, "created", &created)
				file.get(t, "updated", &updated)
				file.get(t, "visibility", &vis)
				file.get(t, "source", &source)
				file.get(t, "pinned", &pinned)
				file.get(t, "tags", &tags)
				file.get(t, "resources", &resources)
				if !created.Equal(m.CreateTime.AsTime()) || !updated.Equal(m.UpdateTime.AsTime()) {
					t.Errorf("%s: times %v %v, want %v %v", m.Name, created, updated, m.CreateTime.AsTime(), m.UpdateTime.AsTime())
				}
				wantVis := strings.ToLower(strings.TrimPrefix(m.Visibility.String(), "VISIBILITY_"))
				wantSource := strings.ToLower(strings.TrimPrefix(m.Source.String(), "SOURCE_"))
				if vis != wantVis || source != wantSource || pinned != m.Pinned || !slices.Equal(tags, m.Tags) && len(tags)+len(m.Tags) > 0 {
					t.Errorf("%s: front matter %s/%s/%v/%v, want %s/%s/%v/%v", m.Name, vis, source, pinned, tags, wantVis, wantSource, m.Pinned, m.Tags)
				}
				if len(resources) != len(m.Resources) {
					t.Fatalf("%s: %d resources listed, want %d", m.Name, len(resources), len(m.Resources))
				}
				content := file.body
				if len(m.Resources) > 0 {
					// The content, a blank line, then one link per resource.
					var tail string
					var ok bool
					if content, tail, ok = cutLast(content, "\n\n"); !ok {
						t.Fatalf("%s: no links after the content: %q", m.Name, file.body)
					}
					links := linkRE.FindAllStringSubmatch(tail, -1)
					if len(links) != len(m.Resources) {
						t.Fatalf("%s: %d links in %q, want %d", m.Name, len(links), tail, len(m.Resources))
					}
					for i, r := range m.Resources {
						got, ok := files[resources[i]]
						if !ok || !bytes.Equal(got, s.fileBytes(alice, r)) {
							t.Errorf("%s: resource %s (%s) missing or with other bytes", m.Name, r.Filename, resources[i])
						}
						used[resources[i]] = true
						target, err := url.PathUnescape(links[i][3])
						text := strings.NewReplacer(`\[`, "[", `\]`, "]", `\\`, `\`).Replace(links[i][2])
						image := links[i][1] == "!"
						if err != nil || target != resources[i] || text != r.Filename || image != strings.HasPrefix(r.Type, "image/") {
							t.Errorf("%s: link %q, want to %s named %q (image: %v)", m.Name, links[i][0], resources[i], r.Filename, !image)
						}
					}
				}
				if content != m.Content {
					t.Errorf("%s: content %q, want %q", m.Name, content, m.Content)
				}
			}
			if len(used) != len(files) {
				t.Errorf("export holds %d resource files, the memos have %d", len(files), len(used))
			}
		})
	}
	resp, _ := getExport(t, s.URL, http.Header{})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous export: %s, want 401", resp.Status)
	}
	resp, _ = getExport(t, s.URL, http.Header{"Authorization": {"Bearer mem_forged"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("export with a bad token: %s, want 401", resp.Status)
	}
}

// linkRE matches the resource links that end an exported memo.
var linkRE = regexp.MustCompile(`(?m)^(!?)\[((?:\\.|[^\]\\])*)\]\(([^)\s]*)\)$`)

// cutLast cuts s around the last sep.
func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
