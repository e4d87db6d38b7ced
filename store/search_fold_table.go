package store

import (
	"sync"
	"unicode/utf8"
)

// foldEntry is what searchBody needs of one rune: its runeKind and, for a
// word's rune, what appendFolded makes of it on its own (at most one rune,
// UTF-8 in the top three bytes). Looking it up replaces, for the common
// scripts, the unicode table walks of runeKind and appendFolded's NFD,
// which cost most of searchBody.
//
// Folding a word rune by rune gives appendFolded's result for the whole
// word: NFD decomposes each rune on its own and then only reorders runs of
// nonstarters (combining class ≠ 0) and may insert U+034F between them,
// and folding drops all of these (TestFoldDropsNonstarters); lower-casing
// is per rune. So the entries are built from appendFolded itself.
type foldEntry uint32

const (
	foldKindMask foldEntry = 3      // runeKind
	foldSlow     foldEntry = 1 << 2 // no entry, or a fold that does not fit: fold the word with appendFolded
	foldLenShift           = 3      // bits 3-4: the fold's length in bytes
	foldByte0              = 8      // bits 8-31: the fold's bytes
)

func (e foldEntry) kind() int { return int(e & foldKindMask) }

// appendFold appends e's fold, unless the word b[from:] would then exceed
// maxWordBytes; ok is false when it would, and the word ends there.
func (e foldEntry) appendFold(b []byte, from int) (_ []byte, ok bool) {
	n := int(e>>foldLenShift) & 3
	if n == 0 {
		return b, true
	}
	if len(b)-from+n > maxWordBytes {
		return b, false
	}
	switch n {
	case 1:
		b = append(b, byte(e>>foldByte0))
	case 2:
		b = append(b, byte(e>>foldByte0), byte(e>>(foldByte0+8)))
	default:
		b = append(b, byte(e>>foldByte0), byte(e>>(foldByte0+8)), byte(e>>(foldByte0+16)))
	}
	return b, true
}

// The tables cover Latin, Greek, Cyrillic and the other alphabets below
// U+2000, general punctuation and symbols, CJK punctuation and kana, and
// the fullwidth forms common in CJK text. The CJK ideographs and Hangul
// syllables need no fold, and runeKind already has them by range.
const (
	foldTableEnd = 0x3100
	foldFFStart  = 0xff00
)

var (
	foldOnce    sync.Once
	foldTable   [foldTableEnd]foldEntry
	foldTableFF [0x10000 - foldFFStart]foldEntry
)

// buildFoldTables fills the tables from runeKind and appendFolded, built
// on first use so that a process that writes no memo does not pay for it.
func buildFoldTables() {
	for r := rune(0); r < foldTableEnd; r++ {
		foldTable[r] = newFoldEntry(r)
	}
	for r := rune(foldFFStart); r < 0x10000; r++ {
		foldTableFF[r-foldFFStart] = newFoldEntry(r)
	}
}

func newFoldEntry(r rune) foldEntry {
	e := foldEntry(runeKind(r))
	if e.kind() == 0 || e.kind() == 2 {
		return e // not folded: separators and CJK runs
	}
	var buf [utf8.UTFMax]byte
	f := appendFolded(buf[:0], string(r))
	if len(f) > 3 || len(f) > 0 && utf8.RuneCount(f) > 1 {
		return e | foldSlow
	}
	e |= foldEntry(len(f)) << foldLenShift
	for i, c := range f {
		e |= foldEntry(c) << (foldByte0 + 8*i)
	}
	return e
}

// foldEntryOf is r's entry; buildFoldTables must have run.
func foldEntryOf(r rune) foldEntry {
	switch {
	case r < foldTableEnd:
		return foldTable[r]
	case r >= foldFFStart && r < 0x10000:
		return foldTableFF[r-foldFFStart]
	}
	return foldEntry(runeKind(r)) | foldSlow
}
