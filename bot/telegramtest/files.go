package telegramtest

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"path"
	"strings"
)

// MaxDownloadSize is the largest file the Bot API lets a bot download:
// getFile answers "file is too big" above it.
const MaxDownloadSize = 20 << 20

// storedFile is a file the bot can getFile and download.
type storedFile struct {
	id, uniqueID, path string
	data               []byte
}

// fileKinds are the directories Telegram puts files in, by kind, with the
// extension it gives them, and the prefix of their file_ids.
var fileKinds = map[string]struct{ dir, ext, idPrefix string }{
	"photo":      {"photos", ".jpg", "AgACAgIAAxkBAAI"},
	"document":   {"documents", "", "BQACAgIAAxkBAAI"},
	"video":      {"videos", ".mp4", "BAACAgIAAxkBAAI"},
	"audio":      {"music", ".mp3", "CQACAgIAAxkBAAI"},
	"voice":      {"voice", ".oga", "AwACAgIAAxkBAAI"},
	"video_note": {"video_notes", ".mp4", "DQACAgIAAxkBAAI"},
	"animation":  {"animations", ".mp4", "CgACAgIAAxkBAAI"},
	"sticker":    {"stickers", ".webp", "CAACAgIAAxkBAAI"},
}

// AddFile registers a file as a document, which getFile and downloads then
// serve, and returns its file_id. name gives the file's extension.
func (b *Bot) AddFile(data []byte, name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addFile("document", data, name).id
}

// addFile stores a file of a kind. b.mu must be held.
func (b *Bot) addFile(kind string, data []byte, name string) *storedFile {
	k := fileKinds[kind]
	b.fileSeq++
	ext := k.ext
	if ext == "" {
		ext = path.Ext(name)
	}
	// file_ids look like Telegram's: long, URL-safe base64, different per
	// bot and file. file_unique_ids are shorter.
	sum := sha256.Sum256(fmt.Appendf(nil, "%d/%d/%s", b.user.ID, b.fileSeq, kind))
	enc := base64.RawURLEncoding.EncodeToString(sum[:])
	f := &storedFile{
		id:       k.idPrefix + enc,
		uniqueID: "AQAD" + enc[:12],
		path:     fmt.Sprintf("%s/file_%d%s", k.dir, b.fileSeq, ext),
		data:     append([]byte(nil), data...),
	}
	b.files[f.id] = f
	b.filePaths[f.path] = f
	return f
}

// https://core.telegram.org/bots/api#getfile
func (b *Bot) getFile(w http.ResponseWriter, _ *http.Request, req request) {
	id := req.params["file_id"]
	if id == "" {
		badRequest(w, "file_id is empty")
		return
	}
	b.mu.Lock()
	f := b.files[strings.TrimSpace(id)]
	b.mu.Unlock()
	switch {
	case f == nil:
		badRequest(w, "invalid file_id")
	case len(f.data) > MaxDownloadSize:
		badRequest(w, "file is too big")
	default:
		writeResult(w, map[string]any{
			"file_id": f.id, "file_unique_id": f.uniqueID, "file_size": len(f.data), "file_path": f.path,
		})
	}
}

// download serves <prefix>/file/bot<token>/<file_path>.
func (b *Bot) download(w http.ResponseWriter, filePath string) {
	b.mu.Lock()
	f := b.filePaths[filePath]
	b.mu.Unlock()
	if f == nil || len(f.data) > MaxDownloadSize {
		writeError(w, http.StatusNotFound, "Not Found", nil)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(len(f.data)))
	w.WriteHeader(http.StatusOK)
	w.Write(f.data)
}
