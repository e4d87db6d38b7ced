package rules

import (
	"encoding/base64"
	"fmt"
	"math"
	"testing"

	"github.com/memoria-app/memoria/store"
)

func TestMatchingLine(t *testing.T) {
	const note = "Trip notes\n\nDay 1: Café crème in Montréal\nDay 2: the QUANTUM museum, then café again\n今天读了关于量子纠缠的论文\nЗимой пили чай"
	tests := map[string]struct {
		query string
		want  string
	}{
		"first line holding the word":      {"café", "Day 1: Café crème in Montréal"},
		"accent- and case-insensitive":     {"CAFE", "Day 1: Café crème in Montréal"},
		"every word beats some words":      {"cafe quantum", "Day 2: the QUANTUM museum, then café again"},
		"phrase":                           {`"then cafe"`, "Day 2: the QUANTUM museum, then café again"},
		"phrase words out of order":        {`"cafe then"`, "Trip notes"},
		"cjk inside a run":                 {"量子纠缠", "今天读了关于量子纠缠的论文"},
		"cjk not contiguous":               {"量纠", "Trip notes"},
		"cyrillic":                         {"ЧАЙ", "Зимой пили чай"},
		"whole words only":                 {"quant", "Trip notes"},
		"no match: first non-blank line":   {"zebra", "Trip notes"},
		"words on different lines":         {"montreal museum", "Day 1: Café crème in Montréal"},
		"query that is not a valid search": {`"open`, "Trip notes"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := MatchingLine(note, tt.query); got != tt.want {
				t.Errorf("MatchingLine(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
	if got := MatchingLine("", "x"); got != "" {
		t.Errorf("MatchingLine of empty content = %q, want \"\"", got)
	}
}

func TestSearchPageTokenRoundTrip(t *testing.T) {
	for name, c := range map[string]store.SearchCursor{
		"typical":       {Score: 1.3669902912621361, ID: 42},
		"zero score":    {Score: 0, ID: 1},
		"tiny fraction": {Score: math.Nextafter(2, 3), ID: 1 << 62},
	} {
		t.Run(name, func(t *testing.T) {
			f := `search("x")`
			got, err := decodeSearchPageToken(encodeSearchPageToken(c, f), f)
			if err != nil || got == nil || *got != c {
				t.Fatalf("round trip = %+v, %v; want %+v", got, err, c)
			}
			if _, err := decodeSearchPageToken(encodeSearchPageToken(c, f), `search("y")`); ErrorCode(err) != CodeInvalidArgument {
				t.Fatalf("token replayed against another filter: %v", err)
			}
			if _, err := decodeMemoPageToken(encodeSearchPageToken(c, f), f); ErrorCode(err) != CodeInvalidArgument {
				t.Fatalf("search token accepted as a listing token: %v", err)
			}
		})
	}
	old := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("s1.%x.5.6.%d", math.Float64bits(1), filterSum(""))))
	if _, err := decodeSearchPageToken(old, ""); ErrorCode(err) != CodeInvalidArgument {
		t.Fatalf("a page token of the previous format accepted: %v", err)
	}
	nan := encodeSearchPageToken(store.SearchCursor{Score: math.NaN(), ID: 1}, "")
	if _, err := decodeSearchPageToken(nan, ""); ErrorCode(err) != CodeInvalidArgument {
		t.Fatalf("NaN score accepted: %v", err)
	}
}
