package rules

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"

	"github.com/memoria-app/memoria/store"
)

// Page tokens are opaque to clients: a keyset position plus a checksum of
// the filter they were issued for, so they stay correct while memos are
// added and cannot be replayed against another filter.

func filterSum(filter string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(filter))
	return h.Sum32()
}

func encodeMemoPageToken(c store.MemoCursor, filter string) string {
	p := 0
	if c.Pinned {
		p = 1
	}
	s := fmt.Sprintf("m1.%d.%d.%d.%d", p, c.CreatedAt, c.ID, filterSum(filter))
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

var errBadPageToken = Errorf(CodeInvalidArgument, "page_token is invalid or was issued for another filter")

func decodeMemoPageToken(tok, filter string) (*store.MemoCursor, error) {
	if tok == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, errBadPageToken
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 5 || parts[0] != "m1" || (parts[1] != "0" && parts[1] != "1") {
		return nil, errBadPageToken
	}
	created, err1 := strconv.ParseInt(parts[2], 10, 64)
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	sum, err3 := strconv.ParseUint(parts[4], 10, 32)
	if err1 != nil || err2 != nil || err3 != nil || uint32(sum) != filterSum(filter) {
		return nil, errBadPageToken
	}
	return &store.MemoCursor{Pinned: parts[1] == "1", CreatedAt: created, ID: id}, nil
}

// A search's page token holds the last row's (score, id): a memo's score
// depends on that memo alone (see store/search.go), so the order of what
// was already listed never changes while memos are added or deleted, and
// paging neither repeats nor skips any of them. (A memo edited meanwhile
// moves to its new place, as an edited pin does in the plain listing.)
// "s2": s1 tokens, from before the order dropped the creation time, are
// refused as malformed; the client lists again from the first page.

func encodeSearchPageToken(c store.SearchCursor, filter string) string {
	s := fmt.Sprintf("s2.%x.%d.%d", math.Float64bits(c.Score), c.ID, filterSum(filter))
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeSearchPageToken(tok, filter string) (*store.SearchCursor, error) {
	if tok == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, errBadPageToken
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 4 || parts[0] != "s2" {
		return nil, errBadPageToken
	}
	bits, err0 := strconv.ParseUint(parts[1], 16, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	sum, err3 := strconv.ParseUint(parts[3], 10, 32)
	score := math.Float64frombits(bits)
	if err0 != nil || err2 != nil || err3 != nil || uint32(sum) != filterSum(filter) ||
		math.IsNaN(score) || math.IsInf(score, 0) {
		return nil, errBadPageToken
	}
	return &store.SearchCursor{Score: score, ID: id}, nil
}

// EncodeIDPageToken / DecodeIDPageToken serve simple id-ordered listings.
func EncodeIDPageToken(kind string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "." + strconv.FormatInt(id, 10)))
}

func DecodeIDPageToken(kind, tok string) (int64, error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, errBadPageToken
	}
	rest, ok := strings.CutPrefix(string(raw), kind+".")
	if !ok {
		return 0, errBadPageToken
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0, errBadPageToken
	}
	return id, nil
}
