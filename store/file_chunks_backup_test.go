package store

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestInspectSnapshotChecksDatabaseFiles: a snapshot lists the files its
// resources keep in the database apart from those on disk, and refuses
// one whose bytes it does not hold whole.
func TestInspectSnapshotChecksDatabaseFiles(t *testing.T) {
	tests := map[string]struct {
		damage string // SQL run on the source before the snapshot; %d: the blob id
		want   string // "" = accepted
	}{
		"complete":          {"", ""},
		"a chunk missing":   {"DELETE FROM file_chunks WHERE blob_id = %d AND seq = 1", "incomplete"},
		"a chunk cut short": {"UPDATE file_chunks SET data = substr(data, 1, 10) WHERE blob_id = %d AND seq = 1", "incomplete"},
		"never completed":   {"UPDATE file_blobs SET complete = false WHERE id = %d", "incomplete"},
		"the header gone":   {"DELETE FROM file_blobs WHERE id = %d", "not in the database"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := openBlobTestDB(t, dir)
			ctx := context.Background()
			u := User{Username: "alice", PasswordHash: "x", Role: RoleUser}
			if err := db.CreateUser(ctx, &u, nil); err != nil {
				t.Fatal(err)
			}
			id, size, err := db.WriteBlob(ctx, bytes.NewReader(blobBytes(2*BlobChunkSize+5, 8)), 1<<30)
			if err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{BlobRef(id), "2024/01/abc"} {
				res := Resource{CreatorID: u.ID, Filename: "f", Type: "application/octet-stream", Size: size, StoragePath: path}
				if err := db.CreateResource(ctx, &res); err != nil {
					t.Fatal(err)
				}
			}
			// An unreferenced, incomplete upload is no concern of the backup.
			if _, _, err := db.WriteBlob(ctx, &chunkedSource{data: blobBytes(BlobChunkSize+1, 9), after: BlobChunkSize + 1, each: func(int) error {
				db.Close() // the crash
				return nil
			}}, 1<<30); err == nil {
				t.Fatal("the write cut by the crash succeeded")
			}
			db = openBlobTestDB(t, dir)
			if tc.damage != "" {
				mustExec(t, db, fmt.Sprintf(tc.damage, id))
			}
			snap := filepath.Join(t.TempDir(), "snap.db")
			if err := Snapshot(ctx, dir, snap); err != nil {
				t.Fatal(err)
			}
			info, err := InspectSnapshot(ctx, snap)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("InspectSnapshot = %v, want an error containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(info.BlobIDs, []int64{id}) || !slices.Equal(info.StoragePaths, []string{"2024/01/abc"}) {
				t.Fatalf("InspectSnapshot = %+v; want blob %d and the one path on disk", info, id)
			}
		})
	}
}
