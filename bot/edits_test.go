package bot

import "testing"

func TestLinkedMemos(t *testing.T) {
	for text, want := range map[string][2]int64{
		"✅ Saved to Memoria: memos/42\nPrivate":                           {42, 1},
		"➕ Added to https://m.example/memos/7 (and again memos/7)":        {7, 1},
		"✅ Saved 2 messages to Memoria:\n• memos/3 — a\n• memos/4 — b":    {0, 2},
		"✅ Saved 3 messages to Memoria:\n• memos/3\n• memos/4\n• memos/3": {0, 2},
		"no link here":   {0, 0},
		"memos/3 memos/": {0, 0},
	} {
		id, n := linkedMemos(text)
		if id != want[0] || int64(n) != want[1] {
			t.Errorf("linkedMemos(%q) = %d, %d; want %d, %d", text, id, n, want[0], want[1])
		}
	}
}
