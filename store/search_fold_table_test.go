package store

import (
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestFoldDropsNonstarters checks what folding rune by rune relies on: NFD
// only reorders nonstarters and inserts U+034F between them, and folding
// drops every one of them, so their order never shows.
func TestFoldDropsNonstarters(t *testing.T) {
	kept := func(r rune) bool {
		return !unicode.IsMark(r) && (unicode.IsLetter(r) || unicode.IsDigit(r))
	}
	if kept(0x34f) {
		t.Fatal("folding keeps U+034F")
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		if norm.NFD.PropertiesString(string(r)).CCC() != 0 && kept(r) {
			t.Fatalf("folding keeps %U, a nonstarter", r)
		}
	}
}

// TestFoldEntries checks every code point's entry against runeKind and
// appendFolded.
func TestFoldEntries(t *testing.T) {
	foldOnce.Do(buildFoldTables)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		e := foldEntryOf(r)
		if got, want := e.kind(), runeKind(r); got != want {
			t.Fatalf("foldEntryOf(%U).kind() = %d, want %d", r, got, want)
		}
		if want := runeKind(r); want == 0 || want == 2 || e&foldSlow != 0 {
			continue
		}
		got, ok := e.appendFold(nil, 0)
		if want := appendFolded(nil, string(r)); !ok || string(got) != string(want) {
			t.Fatalf("fold of %U = %q, want %q", r, got, want)
		}
	}
}
