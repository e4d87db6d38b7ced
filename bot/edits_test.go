package bot

import "testing"

func TestLinkedMemo(t *testing.T) {
	for text, want := range map[string]int64{
		"✅ Saved to Memoria: memos/42\nPrivate":                        42,
		"✅ Saved the album to Memoria: https://m.example/memos/7":      7,
		"➕ Added to https://m.example/memos/7 (and again memos/7)":     7,
		"✅ Saved 2 messages to Memoria:\n• memos/3 — a\n• memos/4 — b": 0,
		"no link here":               0,
		"memos/":                     0,
		"memos/x1":                   0,
		"memos/99999999999999999999": 0,
	} {
		if got := linkedMemo(text); got != want {
			t.Errorf("linkedMemo(%q) = %d, want %d", text, got, want)
		}
	}
}

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
