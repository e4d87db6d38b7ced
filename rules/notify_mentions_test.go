package rules

import (
	"slices"
	"strings"
	"testing"
)

func TestExtractMentions(t *testing.T) {
	tests := map[string]struct {
		content string
		want    []string
	}{
		"none":                   {"no one here", nil},
		"one":                    {"hi @ann", []string{"ann"}},
		"start of text":          {"@ann look", []string{"ann"}},
		"order and duplicates":   {"@bob and @ann, again @bob", []string{"bob", "ann"}},
		"sentence end trimmed":   {"thanks @ann. And @bob-", []string{"ann", "bob"}},
		"dots inside kept":       {"cc @ann.lee", []string{"ann.lee"}},
		"punctuation before":     {"(@ann) [@bob] «@eve»", []string{"ann", "bob"}},
		"email":                  {"write to ann@example.com", nil},
		"url path":               {"see https://example.com/@ann", nil},
		"url query":              {"https://example.com/?u=@ann", nil},
		"markdown link target":   {"[profile](https://example.com/@ann)", nil},
		"markdown link text":     {"[@ann](https://example.com)", []string{"ann"}},
		"autolink":               {"<https://example.com/@ann>", nil},
		"mailto":                 {"mailto:@ann", nil},
		"www":                    {"www.example.com/@ann", nil},
		"code span":              {"run `@ann` now, @bob", []string{"bob"}},
		"unclosed backticks":     {"a `` b @ann", []string{"ann"}},
		"fenced block":           {"```\n@ann\n```\n@bob", []string{"bob"}},
		"escaped":                {`\@ann`, nil},
		"double at":              {"@@ann", nil},
		"lone at":                {"meet @ 5", nil},
		"after a letter":         {"x@ann", nil},
		"non-ascii before":       {"é@ann", nil},
		"username too long":      {"@" + strings.Repeat("a", 33), nil},
		"newline separates":      {"line\n@ann", []string{"ann"}},
		"trailing chars removed": {"@ann!", []string{"ann"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ExtractMentions(tt.content); !slices.Equal(got, tt.want) {
				t.Errorf("ExtractMentions(%q) = %q, want %q", tt.content, got, tt.want)
			}
		})
	}
}

func TestExtractMentionsIsBounded(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 50; i++ {
		b.WriteString("@u")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(" ")
	}
	if got := ExtractMentions(b.String()); len(got) != maxMentions {
		t.Fatalf("%d mentions, want %d", len(got), maxMentions)
	}
}

func FuzzExtractMentions(f *testing.F) {
	f.Add("hi @ann `@bob` https://x/@c")
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range ExtractMentions(s) {
			if m == "" || validateUsername(m) != nil {
				t.Fatalf("%q is no username (from %q)", m, s)
			}
		}
	})
}
