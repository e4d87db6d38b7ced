package telegramtest

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestGetFileAndDownload(t *testing.T) {
	srv, tg := newTestServer(t)
	data := []byte("%PDF-1.7 fake")
	id := tg.AddFile(data, "report.pdf")
	for name, apiURL := range map[string]string{"root": srv.URL(), "proxy": srv.URL() + "/somepath"} {
		t.Run(name, func(t *testing.T) {
			b := gotBot(t, apiURL, testToken)
			f, err := b.GetFile(id, nil)
			if err != nil {
				t.Fatal(err)
			}
			if f.FileId != id || f.FileUniqueId == "" || f.FileSize != int64(len(data)) || !strings.HasSuffix(f.FilePath, ".pdf") {
				t.Errorf("getFile = %+v", f)
			}
			if !strings.HasPrefix(f.URL(b, nil), apiURL+"/file/bot"+testToken+"/") {
				t.Errorf("file URL %s is not under the API URL", f.URL(b, nil))
			}
			if got := download(t, b, id); !bytes.Equal(got, data) {
				t.Errorf("downloaded %q", got)
			}
		})
	}
}

func TestGetFileErrors(t *testing.T) {
	srv, tg := newTestServer(t)
	b := gotBot(t, srv.URL(), testToken)
	big := tg.AddFile(make([]byte, MaxDownloadSize+1), "big.bin")
	exact := tg.AddFile(make([]byte, MaxDownloadSize), "exact.bin")
	tests := map[string]struct{ fileID, want string }{
		"too big":         {big, "Bad Request: file is too big"},
		"unknown file_id": {"AgACAgIAAxkBAAInvalid", "Bad Request: invalid file_id"},
		"empty file_id":   {"", "Bad Request: file_id is empty"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := b.GetFile(tt.fileID, nil)
			if tgErr := telegramError(t, err); tgErr.Code != 400 || tgErr.Description != tt.want {
				t.Errorf("getFile = %d %q, want 400 %q", tgErr.Code, tgErr.Description, tt.want)
			}
		})
	}
	if _, err := b.GetFile(exact, nil); err != nil {
		t.Errorf("a file of exactly 20 MB: %v", err)
	}
	// Another bot's file_id is not valid for this bot.
	other := srv.AddBot("999:other", "")
	if _, err := b.GetFile(other.AddFile([]byte("x"), "x.txt"), nil); err == nil {
		t.Error("a file_id of another bot was accepted")
	}
}

func TestDownloadUnknownPath(t *testing.T) {
	srv, _ := newTestServer(t)
	status, body := do(t, "GET", srv.URL()+"/file/bot"+testToken+"/documents/file_99.pdf", "", "")
	if status != http.StatusNotFound || !strings.Contains(body, `"error_code":404`) {
		t.Errorf("unknown file = %d %s", status, body)
	}
	if status, _ := do(t, "GET", srv.URL()+"/file/bot123456:wrong/documents/file_1.pdf", "", ""); status != http.StatusUnauthorized {
		t.Errorf("download with a wrong token: %d, want 401", status)
	}
}
