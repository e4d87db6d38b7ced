package rules

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/memoria-app/memoria/store"
)

func cursorOf(createdAt, id int64) store.MemoCursor {
	return store.MemoCursor{CreatedAt: createdAt, ID: id}
}

// Seed corpora live in testdata/fuzz/<FuzzName>/; the f.Add calls below are
// the readable core of them. Run a fuzzer with e.g.
//
//	go test ./server -run '^$' -fuzz '^FuzzParseMemoFilter$' -fuzztime 30s

// FuzzParseMemoFilter: parseMemoFilter never panics; every failure is an
// InvalidArgument rules error whose message names the filter; every success
// is a well-formed filter.
func FuzzParseMemoFilter(f *testing.F) {
	for _, s := range []string{
		"", `creator == "users/1"`, `tag == "go" && pinned == true`, `content.contains("a && b")`,
		`visibility == "VISIBILITY_PUBLIC" && source == "SOURCE_TELEGRAM"`, `tag == "abc`, `&&`, `content.contains(`,
		`content.contains("\"")`, `pinned == 1`, `creator == "users/9223372036854775808"`, `tag == "\xff"`,
		`search("quantum")`, `search("\"exact phrase\" 量子纠缠")`, `tag == "go" && search("ёлка café")`, `search("a") && search("b")`,
		`search("\"unclosed")`, `search("*")`, `search("NEAR OR -x body:y")`, `search(`, `search("")`, `search("\xff")`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mf, err := parseMemoFilter(s)
		if err != nil {
			if ErrorCode(err) != CodeInvalidArgument {
				t.Fatalf("parseMemoFilter(%q): code %v, want InvalidArgument: %v", s, ErrorCode(err), err)
			}
			if !strings.HasPrefix(err.Error(), "filter") {
				t.Fatalf("parseMemoFilter(%q): message %q does not name the filter", s, err)
			}
			return
		}
		if mf.creatorID < 0 {
			t.Fatalf("parseMemoFilter(%q): negative creator %d", s, mf.creatorID)
		}
		if mf.visibility != "" && !knownVisibility[mf.visibility] {
			t.Fatalf("parseMemoFilter(%q): visibility %q", s, mf.visibility)
		}
		if mf.source != "" && !knownSource[mf.source] {
			t.Fatalf("parseMemoFilter(%q): source %q", s, mf.source)
		}
		if mf.search != nil {
			if n := len(mf.search.Terms); n == 0 || n > maxSearchTerms {
				t.Fatalf("parseMemoFilter(%q): %d search terms", s, n)
			}
			for _, term := range mf.search.Terms {
				if len(store.SearchSegments(term.Text)) == 0 {
					t.Fatalf("parseMemoFilter(%q): search term %q has nothing to search for", s, term.Text)
				}
			}
			if _, err := decodeSearchPageToken(encodeSearchPageToken(store.SearchCursor{Score: 1.5, ID: 4}, s), s); err != nil {
				t.Fatalf("search page token for filter %q rejected: %v", s, err)
			}
		}
		// A page token issued for the filter is accepted for it.
		if _, err := decodeMemoPageToken(encodeMemoPageToken(cursorOf(3, 4), s), s); err != nil {
			t.Fatalf("page token for filter %q rejected: %v", s, err)
		}
	})
}

// FuzzExtractTags: ExtractTags never panics and returns distinct, non-empty
// tags of at most maxTagLen bytes made only of tag characters, each present
// in the content after a '#'.
func FuzzExtractTags(f *testing.F) {
	for _, s := range []string{
		"", "#go", "# Title\n## Sub #tag", "https://x.com/p#frag #real", "it&#39;s #ok",
		"`#code` #yes", "```\n#fenced\n```\n#after", "#中文 今天，#学习。", "#go #go #Go",
		"#a/b/ #x-", "#123", "#" + strings.Repeat("a", 200), "\xff#\xfe", "#é\u0301", "``#a`` #b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags := ExtractTags(s)
		seen := map[string]bool{}
		for _, tag := range tags {
			switch {
			case tag == "":
				t.Fatalf("ExtractTags(%q): empty tag in %q", s, tags)
			case seen[tag]:
				t.Fatalf("ExtractTags(%q): duplicate %q in %q", s, tag, tags)
			case len(tag) > maxTagLen:
				t.Fatalf("ExtractTags(%q): tag of %d bytes", s, len(tag))
			case allDigits(tag):
				t.Fatalf("ExtractTags(%q): all-digit tag %q", s, tag)
			case strings.HasSuffix(tag, "/") || strings.HasSuffix(tag, "-"):
				t.Fatalf("ExtractTags(%q): tag %q ends in / or -", s, tag)
			case !strings.Contains(s, "#"+tag):
				t.Fatalf("ExtractTags(%q): tag %q is not in the content after a #", s, tag)
			case strings.ContainsAny(tag, " \t\n#"):
				t.Fatalf("ExtractTags(%q): tag %q has a separator in it", s, tag)
			}
			for _, r := range tag {
				if r == utf8.RuneError || !isTagRune(r) {
					t.Fatalf("ExtractTags(%q): tag %q has the non-tag rune %q", s, tag, r)
				}
			}
			seen[tag] = true
		}
	})
}

// FuzzDecodeMemoPageToken: arbitrary tokens never panic and are either
// accepted or refused as an invalid page_token.
func FuzzDecodeMemoPageToken(f *testing.F) {
	f.Add(encodeMemoPageToken(cursorOf(1700000000000000, 42), ""), "")
	f.Add(encodeMemoPageToken(cursorOf(1, 1), `tag == "a"`), `tag == "a"`)
	f.Add("bTEuMC4xLjEuMA", "")
	f.Add("", "x")
	f.Add(encodeSearchPageToken(store.SearchCursor{Score: 2.25, ID: 8}, `search("a")`), `search("a")`)
	f.Fuzz(func(t *testing.T, tok, filter string) {
		if sc, err := decodeSearchPageToken(tok, filter); err != nil {
			if ErrorCode(err) != CodeInvalidArgument {
				t.Fatalf("decode search token (%q): %v", tok, err)
			}
		} else if sc != nil {
			if _, err := decodeSearchPageToken(encodeSearchPageToken(*sc, filter), filter); err != nil {
				t.Fatalf("re-encoded search cursor %+v rejected: %v", sc, err)
			}
		}
		c, err := decodeMemoPageToken(tok, filter)
		if err != nil {
			if ErrorCode(err) != CodeInvalidArgument {
				t.Fatalf("decode(%q): %v", tok, err)
			}
			return
		}
		if tok == "" {
			if c != nil {
				t.Fatalf("empty token decoded to %+v", c)
			}
			return
		}
		if _, err := decodeMemoPageToken(encodeMemoPageToken(*c, filter), filter); err != nil {
			t.Fatalf("re-encoded cursor %+v rejected: %v", c, err)
		}
	})
}

var knownVisibility = map[store.Visibility]bool{store.VisibilityPrivate: true, store.VisibilityProtected: true, store.VisibilityPublic: true}

var knownSource = map[store.Source]bool{store.SourceWeb: true, store.SourceAPI: true, store.SourceTelegram: true}
