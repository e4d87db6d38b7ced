package rules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/memoria-app/memoria/store"
)

func ptr[T any](v T) *T { return &v }

func TestParseMemoFilter(t *testing.T) {
	tests := map[string]struct {
		filter string
		want   memoFilter
	}{
		"empty":              {"", memoFilter{}},
		"blank":              {"   \t ", memoFilter{}},
		"creator":            {`creator == "users/7"`, memoFilter{creatorID: 7}},
		"tag":                {`tag == "go"`, memoFilter{tag: "go"}},
		"tag with hash":      {`tag == "#go"`, memoFilter{tag: "go"}},
		"cjk tag":            {`tag == "标签"`, memoFilter{tag: "标签"}},
		"pinned true":        {`pinned == true`, memoFilter{pinned: ptr(true)}},
		"pinned false":       {`pinned == false`, memoFilter{pinned: ptr(false)}},
		"visibility public":  {`visibility == "VISIBILITY_PUBLIC"`, memoFilter{visibility: store.VisibilityPublic}},
		"visibility private": {`visibility == "VISIBILITY_PRIVATE"`, memoFilter{visibility: store.VisibilityPrivate}},
		"source telegram":    {`source == "SOURCE_TELEGRAM"`, memoFilter{source: store.SourceTelegram}},
		"source web":         {`source == "SOURCE_WEB"`, memoFilter{source: store.SourceWeb}},
		"contains":           {`content.contains("hello")`, memoFilter{contains: "hello"}},
		"contains spaces":    {`content.contains( "a b" )`, memoFilter{contains: "a b"}},
		"contains escaped":   {`content.contains("say \"hi\"")`, memoFilter{contains: `say "hi"`}},
		"contains && inside": {`content.contains("a && b")`, memoFilter{contains: "a && b"}},
		"no spaces":          {`tag=="go"&&pinned==true`, memoFilter{tag: "go", pinned: ptr(true)}},
		"all terms": {
			`creator == "users/2" && tag == "x" && pinned == false && visibility == "VISIBILITY_PROTECTED" && source == "SOURCE_API" && content.contains("y")`,
			memoFilter{creatorID: 2, tag: "x", pinned: ptr(false), visibility: store.VisibilityProtected, source: store.SourceAPI, contains: "y"},
		},
		"later term wins": {`tag == "a" && tag == "b"`, memoFilter{tag: "b"}},
		"search":          {`search("quantum")`, memoFilter{search: &store.SearchQuery{Terms: []store.SearchTerm{{Text: "quantum"}}}}},
		"search && tag": {`tag == "go" && search("a && b")`, memoFilter{tag: "go", search: &store.SearchQuery{Terms: []store.SearchTerm{
			{Text: "a"}, {Text: "b"}}}}},
		"search phrase": {`search("\"exact phrase\" x")`, memoFilter{search: &store.SearchQuery{Terms: []store.SearchTerm{
			{Text: "exact phrase", Phrase: true}, {Text: "x"}}}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseMemoFilter(tt.filter)
			if err != nil {
				t.Fatalf("parseMemoFilter(%q): %v", tt.filter, err)
			}
			if !sameFilter(got, tt.want) {
				t.Errorf("parseMemoFilter(%q) = %+v, want %+v", tt.filter, got, tt.want)
			}
		})
	}
}

func sameFilter(a, b memoFilter) bool {
	if (a.pinned == nil) != (b.pinned == nil) || (a.pinned != nil && *a.pinned != *b.pinned) {
		return false
	}
	if !reflect.DeepEqual(a.search, b.search) {
		return false
	}
	a.pinned, b.pinned = nil, nil
	a.search, b.search = nil, nil
	return a == b
}

func TestParseMemoFilterErrors(t *testing.T) {
	tests := map[string]struct {
		filter string
		msg    string // a substring of the message
	}{
		"unquoted creator":    {`creator == users/1`, `"users/1" must be a double-quoted string`},
		"creator not a user":  {`creator == "memos/1"`, `creator must be a user name like "users/1"`},
		"creator id zero":     {`creator == "users/0"`, `creator must be a user name`},
		"creator id padded":   {`creator == "users/01"`, `creator must be a user name`},
		"single quotes":       {`tag == 'a'`, `must be a double-quoted string`},
		"backquotes":          {"tag == `a`", `must be a double-quoted string`},
		"pinned not bool":     {`pinned == yes`, `pinned must be true or false`},
		"pinned quoted":       {`pinned == "true"`, `pinned must be true or false`},
		"bad visibility":      {`visibility == "PUBLIC"`, `visibility must be VISIBILITY_PRIVATE, VISIBILITY_PROTECTED or VISIBILITY_PUBLIC`},
		"bad source":          {`source == "SOURCE_EMAIL"`, `source must be SOURCE_WEB, SOURCE_API or SOURCE_TELEGRAM`},
		"unknown key":         {`author == "x"`, `unknown key "author"`},
		"no operator":         {`tag`, `term "tag" must look like key == value`},
		"other operator":      {`tag != "x"`, `must look like key == value`},
		"contains unclosed":   {`content.contains("a"`, `content.contains needs a closing parenthesis`},
		"contains unquoted":   {`content.contains(a)`, `must be a double-quoted string`},
		"unterminated string": {`tag == "abc`, `unterminated string`},
		"trailing &&":         {`tag == "a" &&`, `empty term around &&`},
		"leading &&":          {`&& tag == "a"`, `empty term around &&`},
		"double &&":           {`tag == "a" && && pinned == true`, `empty term around &&`},
		"or is not supported": {`tag == "a" || tag == "b"`, `must be a double-quoted string`},
		"too long":            {`content.contains("` + strings.Repeat("x", 1100) + `")`, `filter must be at most 1024 characters`},
		"search unclosed":     {`search("a"`, `search needs a closing parenthesis`},
		"search unquoted":     {`search(a)`, `must be a double-quoted string`},
		"search empty":        {`search("")`, `has no word to look for`},
		"search punctuation":  {`search("?! -")`, `has no word to look for`},
		"search twice":        {`search("a") && search("b")`, `search may appear only once`},
		"search open phrase":  {`search("\"exact phrase")`, `has no closing double quote`},
		"search empty phrase": {`search("a \"!!\"")`, `phrase "!!" has no letters or digits`},
		"search too many":     {`search("` + strings.Repeat("w ", 33) + `")`, `at most 32 words`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := parseMemoFilter(tt.filter)
			if err == nil {
				t.Fatalf("parseMemoFilter(%q) = nil error, want one containing %q", tt.filter, tt.msg)
			}
			if ErrorCode(err) != CodeInvalidArgument {
				t.Errorf("code = %v, want CodeInvalidArgument", ErrorCode(err))
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "filter") {
				t.Errorf("message %q does not name the field (filter)", err)
			}
		})
	}
}
