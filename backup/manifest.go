package backup

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/memoria-app/memoria/store"
)

// Archive entry names.
const (
	manifestName = "manifest.json"
	databaseName = store.DatabaseFile
	filesPrefix  = "files/"
)

// Format identifies the archive format in the manifest.
const (
	Format        = "memoria-backup"
	FormatVersion = 1
)

// Manifest is the archive's last entry.
type Manifest struct {
	Format        string    `json:"format"`
	FormatVersion int       `json:"formatVersion"`
	SchemaVersion int       `json:"schemaVersion"`
	CreatedAt     time.Time `json:"createdAt"`
	Entries       []Entry   `json:"entries"`
}

// Entry is one archived file.
type Entry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// checkEntryName accepts only the names Create writes: the database and
// clean paths under files/.
func checkEntryName(name string) error {
	if name == databaseName {
		return nil
	}
	rel, ok := strings.CutPrefix(name, filesPrefix)
	if ok {
		if _, clean := store.CleanStoragePath(rel); clean && path.Clean(rel) == rel {
			return nil
		}
	}
	return fmt.Errorf("unexpected entry %q (a backup holds only %s, %s and files/…)", name, databaseName, manifestName)
}
