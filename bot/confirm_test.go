package bot

import (
	"strings"
	"testing"

	"github.com/memoria-app/memoria/store"
)

func TestSenderMergesConfirmations(t *testing.T) {
	s := newSender(nil)
	for i := 1; i <= 5; i++ {
		s.enqueue(outMessage{chatID: 1, replyTo: int64(i), confirm: true, memos: []confirmedMemo{{id: int64(10 + i)}}})
	}
	s.enqueue(outMessage{chatID: 1, replyTo: 6, text: "other"})
	s.enqueue(outMessage{chatID: 1, replyTo: 7, confirm: true, memos: []confirmedMemo{{id: 20}}})
	q := s.q[1]
	if len(q) != 3 {
		t.Fatalf("queue = %d messages, want 3 (merged, other, single)", len(q))
	}
	text := confirmText(q[0].memos, "https://m.example")
	if len(q[0].memos) != 5 || q[0].replyTo != 5 || !strings.Contains(text, "5 messages") {
		t.Fatalf("merged confirmation = %+v %q", q[0], text)
	}
	for i := 11; i <= 15; i++ {
		if !strings.Contains(text, "https://m.example/memos/"+string(rune('0'+i/10))+string(rune('0'+i%10))) {
			t.Errorf("merged confirmation %q does not list memos/%d", text, i)
		}
	}
}

func TestConfirmText(t *testing.T) {
	tests := map[string]struct {
		memos []confirmedMemo
		base  string
		want  []string
	}{
		"one, no instance URL":    {[]confirmedMemo{{id: 7, vis: store.VisibilityPrivate}}, "", []string{"Saved", "memos/7", "Private"}},
		"one, pinned":             {[]confirmedMemo{{id: 7, vis: store.VisibilityPublic, pinned: true}}, "https://x.y", []string{"https://x.y/memos/7", "Public · pinned"}},
		"appended":                {[]confirmedMemo{{id: 3, appended: true, vis: store.VisibilityProtected}}, "", []string{"Added to memos/3", "Protected"}},
		"album":                   {[]confirmedMemo{{id: 4, album: true}}, "", []string{"album", "memos/4"}},
		"reply to a list":         {[]confirmedMemo{{id: 5, replyToSeveral: true}}, "", []string{"Saved to Memoria: memos/5", replyToListNote}},
		"reply to a list, merged": {[]confirmedMemo{{id: 5}, {id: 6, replyToSeveral: true}}, "", []string{"Saved 2 messages", "memos/6", replyToListNote}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := confirmText(tt.memos, tt.base)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q does not contain %q", got, w)
				}
			}
		})
	}
	if got := confirmText([]confirmedMemo{{id: 5}, {id: 6}}, ""); strings.Contains(got, replyToListNote) {
		t.Errorf("a merged confirmation without such a reply explains one: %q", got)
	}
	var many []confirmedMemo
	for i := 0; i < 500; i++ {
		many = append(many, confirmedMemo{id: int64(1_000_000 + i)})
	}
	if got := confirmText(many, "https://a-rather-long-instance-name.example.com"); len(got) > 4000 || !strings.Contains(got, "and 450 more") {
		t.Errorf("500 memos: %d bytes, tail %q", len(got), got[len(got)-30:])
	}
}

func TestCallbackData(t *testing.T) {
	kb := confirmKeyboard(confirmedMemo{id: 9_223_372_036_854_775_807, vis: store.VisibilityProtected})
	var labels []string
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			labels = append(labels, b.Text)
			if len(b.CallbackData) > 64 {
				t.Errorf("%s: callback_data %d bytes", b.Text, len(b.CallbackData))
			}
			if op, id, ok := parseCallbackData(b.CallbackData); !ok || id != 9_223_372_036_854_775_807 || op == "" {
				t.Errorf("%s: data %q does not parse back", b.Text, b.CallbackData)
			}
		}
	}
	if strings.Join(labels, ",") != "Private,✓ Protected,Public,Pin,Delete" {
		t.Errorf("labels = %v", labels)
	}
	for _, bad := range []string{"", "1:del", "1:del:0", "1:del:-3", "1:del:01", "2:del:5", "1:nuke:5", "1:del:5:x", "1:del:99999999999999999999", strings.Repeat("x", 64)} {
		if _, _, ok := parseCallbackData(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
