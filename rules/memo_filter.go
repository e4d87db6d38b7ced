package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/memoria-app/memoria/store"
)

// memoFilter is a parsed ListMemos filter.
type memoFilter struct {
	creatorID  int64
	tag        string
	pinned     *bool
	visibility store.Visibility
	source     store.Source
	contains   string
	search     *store.SearchQuery // nil: no search() term
}

// parseMemoFilter parses terms joined by "&&":
//
//	creator == "users/1"    tag == "go"     pinned == true
//	visibility == "VISIBILITY_PUBLIC"       source == "SOURCE_TELEGRAM"
//	content.contains("text")                search("words \"or a phrase\"")
func parseMemoFilter(s string) (memoFilter, error) {
	var f memoFilter
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	if len(s) > 1024 {
		return f, invalid("filter must be at most 1024 characters")
	}
	terms, err := splitTerms(s)
	if err != nil {
		return f, err
	}
	for _, term := range terms {
		if rest, ok := strings.CutPrefix(term, "content.contains("); ok {
			arg, ok := strings.CutSuffix(rest, ")")
			if !ok {
				return f, invalid("filter: content.contains needs a closing parenthesis")
			}
			v, err := unquote(strings.TrimSpace(arg))
			if err != nil {
				return f, err
			}
			f.contains = v
			continue
		}
		if rest, ok := strings.CutPrefix(term, "search("); ok {
			arg, ok := strings.CutSuffix(rest, ")")
			if !ok {
				return f, invalid("filter: search needs a closing parenthesis")
			}
			if f.search != nil {
				return f, invalid("filter: search may appear only once (put every word in it)")
			}
			v, err := unquote(strings.TrimSpace(arg))
			if err != nil {
				return f, err
			}
			q, err := parseSearch(v)
			if err != nil {
				return f, err
			}
			f.search = &q
			continue
		}
		key, val, ok := strings.Cut(term, "==")
		if !ok {
			return f, invalid("filter: term %q must look like key == value (keys: creator, tag, pinned, visibility, source), content.contains(\"text\") or search(\"words\")", term)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "pinned":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return f, invalid("filter: pinned must be true or false")
			}
			f.pinned = &b
			continue
		}
		v, err := unquote(val)
		if err != nil {
			return f, err
		}
		switch key {
		case "creator":
			id, err := ParseName(v, "users")
			if err != nil {
				return f, invalid("filter: creator must be a user name like \"users/1\"")
			}
			f.creatorID = id
		case "tag":
			f.tag = strings.TrimPrefix(v, "#")
		case "visibility":
			vis, ok := visibilityByName[v]
			if !ok {
				return f, invalid("filter: visibility must be VISIBILITY_PRIVATE, VISIBILITY_PROTECTED or VISIBILITY_PUBLIC")
			}
			f.visibility = vis
		case "source":
			src, ok := sourceByName[v]
			if !ok {
				return f, invalid("filter: source must be SOURCE_WEB, SOURCE_API or SOURCE_TELEGRAM")
			}
			f.source = src
		default:
			return f, invalid("filter: unknown key %q (keys: creator, tag, pinned, visibility, source, content.contains, search)", key)
		}
	}
	return f, nil
}

// splitTerms splits on "&&" outside double quotes.
func splitTerms(s string) ([]string, error) {
	var terms []string
	inQuote, escaped := false, false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\' && inQuote:
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '&' && i+1 < len(s) && s[i+1] == '&':
			terms = append(terms, strings.TrimSpace(s[start:i]))
			start = i + 2
			i++
		}
	}
	if inQuote {
		return nil, invalid("filter: unterminated string")
	}
	terms = append(terms, strings.TrimSpace(s[start:]))
	for _, t := range terms {
		if t == "" {
			return nil, invalid("filter: empty term around &&")
		}
	}
	return terms, nil
}

func unquote(s string) (string, error) {
	v, err := strconv.Unquote(s)
	if err != nil || !strings.HasPrefix(s, `"`) {
		return "", invalid("filter: %s must be a double-quoted string", strconv.Quote(s))
	}
	return v, refuseNUL("filter: a string", v)
}

// parseName parses "<collection>/<id>".
func ParseName(name, collection string) (int64, error) {
	rest, ok := strings.CutPrefix(name, collection+"/")
	if !ok {
		return 0, fmt.Errorf("want %s/{id}", collection)
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != rest {
		return 0, fmt.Errorf("want %s/{id}", collection)
	}
	return id, nil
}

var visibilityByName = map[string]store.Visibility{
	"VISIBILITY_PRIVATE":   store.VisibilityPrivate,
	"VISIBILITY_PROTECTED": store.VisibilityProtected,
	"VISIBILITY_PUBLIC":    store.VisibilityPublic,
}

var sourceByName = map[string]store.Source{
	"SOURCE_WEB":      store.SourceWeb,
	"SOURCE_API":      store.SourceAPI,
	"SOURCE_TELEGRAM": store.SourceTelegram,
}
