package rules

import (
	"context"
	"testing"

	"github.com/memoria-app/memoria/store"
)

// TestEditFromTelegram: an edited chat message replaces what it put into
// its memo; the same edit again (a redelivery) changes nothing and is no
// error, even after the memo was changed elsewhere; a new edit of a memo
// changed elsewhere is refused.
func TestEditFromTelegram(t *testing.T) {
	const key = "telegram:1:msg:1:10"
	tests := map[string]struct {
		edits       []string // applied in turn; the last one is checked
		elsewhere   bool     // the memo is changed outside the chat before the last edit
		wantErr     error
		wantChanged bool
		wantContent string
	}{
		"an edit":                  {edits: []string{"hello, edited"}, wantChanged: true, wantContent: "hello, edited"},
		"the same edit again":      {edits: []string{"hello, edited", "hello, edited"}, wantContent: "hello, edited"},
		"an edit to the same text": {edits: []string{"hello"}, wantContent: "hello"},
		"redelivered after a change elsewhere": {
			edits: []string{"hello, edited", "hello, edited"}, elsewhere: true, wantContent: "changed on the web",
		},
		"a new edit after a change elsewhere": {
			edits: []string{"hello, edited", "edited again"}, elsewhere: true, wantErr: ErrChangedElsewhere, wantContent: "changed on the web",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := newTestRules(t, Config{})
			u, _ := signUpT(t, r, "alice")
			ctx := WithActor(context.Background(), &Actor{User: u, Source: store.SourceTelegram})
			out := r.IngestBatch(ctx, []IngestItem{{Actor: &Actor{User: u, Source: store.SourceTelegram},
				Input: IngestInput{Key: key, Content: "hello", Chat: ChatIngest{MessageKey: key, Part: "hello"}}}})
			if out[0].Err != nil {
				t.Fatal(out[0].Err)
			}
			id := out[0].Result.Memo.ID
			last := len(tt.edits) - 1
			for _, e := range tt.edits[:last] {
				if _, _, err := r.EditFromTelegram(ctx, key, e); err != nil {
					t.Fatal(err)
				}
			}
			if tt.elsewhere {
				web := WithActor(context.Background(), &Actor{User: u, Source: store.SourceWeb})
				content := "changed on the web"
				if _, err := r.UpdateMemo(web, id, MemoPatch{Content: &content}); err != nil {
					t.Fatal(err)
				}
			}
			_, changed, err := r.EditFromTelegram(ctx, key, tt.edits[last])
			if err != tt.wantErr || changed != tt.wantChanged {
				t.Fatalf("EditFromTelegram = changed %v, %v; want changed %v, %v", changed, err, tt.wantChanged, tt.wantErr)
			}
			m, err := r.GetMemo(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if m.Content != tt.wantContent {
				t.Fatalf("content = %q, want %q", m.Content, tt.wantContent)
			}
		})
	}
}
