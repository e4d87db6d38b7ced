package importmemos

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLocate: a local file's reference is found relative to the memos
// folder, at its absolute path, or — for a folder moved since — by the
// absolute path's tail under the folder.
func TestLocate(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "assets"), 0o755)
	file := filepath.Join(dir, "assets", "x.png")
	os.WriteFile(file, []byte("x"), 0o644)
	cases := map[string]struct{ ref, want, err string }{
		"relative":           {"assets/x.png", file, ""},
		"absolute, in place": {file, file, ""},
		"absolute, moved":    {"/var/opt/memos/assets/x.png", file, ""},
		"relative, missing":  {"assets/y.png", "", "not found at"},
		"absolute, nowhere":  {"/var/opt/memos/assets/y.png", "", "nor under"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := locate(dir, tc.ref)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("locate(%q) = %q, %v; want an error with %q", tc.ref, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("locate(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
			}
		})
	}
}
