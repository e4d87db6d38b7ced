package rules

import (
	"slices"
	"strings"
	"testing"
)

func TestExtractTags(t *testing.T) {
	long := strings.Repeat("a", maxTagLen)
	tests := map[string]struct {
		content string
		want    []string
	}{
		"empty":                     {"", nil},
		"no tags":                   {"just some text", nil},
		"single tag":                {"#go", []string{"go"}},
		"tag after text":            {"hello #world", []string{"world"}},
		"order of first appearance": {"#b #a #c", []string{"b", "a", "c"}},
		"duplicates removed":        {"#go and #go again\n#go", []string{"go"}},
		"case sensitive":            {"#Go #go", []string{"Go", "go"}},

		"h1 heading":                  {"# Title", nil},
		"h2 heading":                  {"## Title", nil},
		"h6 heading with a tag in it": {"###### Title #real", []string{"real"}},
		"heading without space":       {"##notatag", nil},
		"hash alone":                  {"# ", nil},
		"hash followed by punct":      {"#!", nil},

		"url fragment":          {"see https://example.com/page#frag", nil},
		"url slash fragment":    {"https://example.com/#/route", nil},
		"url then tag":          {"https://example.com/x#frag #real", []string{"real"}},
		"html entity":           {"it&#39;s", nil},
		"html entity then tag":  {"it&#39;s #ok", []string{"ok"}},
		"word#word":             {"abc#def", nil},
		"hash run":              {"#a#b", []string{"a"}},
		"issue number digits":   {"fixes #123", nil},
		"digits then letters":   {"#2024plans", []string{"2024plans"}},
		"in parentheses":        {"(#paren) [#bracket]", []string{"paren", "bracket"}},
		"trailing punctuation":  {"#tag! #other.", []string{"tag", "other"}},
		"dot ends a tag":        {"#v1.2", []string{"v1"}},
		"underscore and dash":   {"#a_b #c-d", []string{"a_b", "c-d"}},
		"hierarchical":          {"#work/project", []string{"work/project"}},
		"trailing slash/dash":   {"#a/b/ #x-", []string{"a/b", "x"}},
		"start of later line":   {"first line\n#second", []string{"second"}},
		"indented":              {"    #indented", []string{"indented"}},
		"max length kept":       {"#" + long, []string{long}},
		"over max length drops": {"#" + long + "a", nil},

		"inline code":             {"`#code` #yes", []string{"yes"}},
		"inline code mid text":    {"run `grep #x file` now", nil},
		"fenced block":            {"```\n#fenced\n```\n#after", []string{"after"}},
		"fenced with language":    {"x\n```go\n// #no\n```\n#yes", []string{"yes"}},
		"tilde fence":             {"~~~\n#no\n~~~\n#yes", []string{"yes"}},
		"unclosed fence":          {"```\n#no\n#never", nil},
		"fence indented 2 spaces": {"  ```\n#no\n  ```\n#yes", []string{"yes"}},

		"cjk tag":                    {"#中文", []string{"中文"}},
		"cjk after space":            {"今天 #学习", []string{"学习"}},
		"cjk fullwidth comma":        {"今天，#学习。", []string{"学习"}},
		"cjk glued to text":          {"文字#标签", nil},
		"cjk ideographic space":      {"今天\u3000#学习", []string{"学习"}},
		"japanese":                   {"#日本語 #カタカナ", []string{"日本語", "カタカナ"}},
		"korean":                     {"#한국어", []string{"한국어"}},
		"accented latin":             {"#é #ñandú", []string{"é", "ñandú"}},
		"combining mark kept":        {"#cafe\u0301", []string{"cafe\u0301"}},
		"cjk duplicates":             {"#标签 #标签 #标签", []string{"标签"}},
		"emoji is not a tag rune":    {"#🙂", nil},
		"invalid utf8 does not hurt": {"#ok \xff#x", []string{"ok", "x"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := ExtractTags(tt.content)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ExtractTags(%q) = %q, want %q", tt.content, got, tt.want)
			}
		})
	}
}

// TestExtractTagsCommonMarkCode pins the CommonMark rules for code that the
// doc comment of ExtractTags promises ("inline code and fenced code blocks
// are not tags") but the line scanner gets wrong: a code span opened by a
// run of N backticks closes only at a run of exactly N, and a fence closes
// only with the same character.
func TestExtractTagsCommonMarkCode(t *testing.T) {
	tests := map[string]struct {
		content string
		want    []string
	}{
		"double-backtick code span":           {"``#a`` #yes", []string{"yes"}},
		"double-backtick span with a space":   {"`` x #b `` #yes", []string{"yes"}},
		"backtick inside double span":         {"`` a ` #c `` #yes", []string{"yes"}},
		"unmatched backtick is literal":       {"don`t #forget", []string{"forget"}},
		"tilde fence not closed by backticks": {"~~~\n```\n#u\n~~~\n#v", []string{"v"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := ExtractTags(tt.content)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ExtractTags(%q) = %q, want %q", tt.content, got, tt.want)
			}
		})
	}
}
