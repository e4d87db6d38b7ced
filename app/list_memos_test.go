package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/rules"
	"github.com/memoria-app/memoria/store"
)

// seedMemos writes n memos for the holder of token straight through the
// rules layer (the same path the API takes, without HTTP), oldest first,
// and returns their names in creation order.
func seedMemos(tb testing.TB, s *testServer, token string, n int, content func(i int) string) []string {
	tb.Helper()
	ctx := context.Background()
	actor, err := s.App.Rules().Authenticate(ctx, token, store.SourceAPI)
	if err != nil {
		tb.Fatal(err)
	}
	ctx = rules.WithActor(ctx, actor)
	names := make([]string, n)
	for i := range n {
		m, err := s.App.Rules().CreateMemo(ctx, rules.MemoInput{Content: content(i), Visibility: store.VisibilityPrivate})
		if err != nil {
			tb.Fatal(err)
		}
		names[i] = fmt.Sprintf("memos/%d", m.ID)
	}
	return names
}

func memoNames(ms []*v1.Memo) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.GetName()
	}
	return out
}

// listAll pages through ListMemos, calling between(page) after each page.
func listAll(t *testing.T, c *api, filter string, size int32, between func(page int)) []string {
	t.Helper()
	var all []string
	tok := ""
	for page := 0; ; page++ {
		resp, err := c.Memos.ListMemos(ctxT(t), req(&v1.ListMemosRequest{PageSize: size, PageToken: tok, Filter: filter}))
		wantCode(t, err, codeOK)
		all = append(all, memoNames(resp.Msg.GetMemos())...)
		tok = resp.Msg.GetNextPageToken()
		if tok == "" {
			return all
		}
		if full := min(max(size, 1), 1000); size > 0 && len(resp.Msg.GetMemos()) != int(full) {
			t.Fatalf("page %d has %d memos and a next token, want %d", page, len(resp.Msg.GetMemos()), full)
		}
		if page > 10000 {
			t.Fatal("paging does not end")
		}
		if between != nil {
			between(page)
		}
	}
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestListMemosOrder(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	c := s.as(tok)
	var names []string
	for i := range 6 {
		names = append(names, s.createMemo(tok, fmt.Sprintf("memo %d", i), 0).GetName())
	}
	// Pin the second and the fourth (in that order: pinning does not
	// change their place among the pinned, creation time does).
	for _, i := range []int{1, 3} {
		_, err := c.Memos.UpdateMemo(ctxT(t), req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: names[i], Pinned: true}, UpdateMask: mask("pinned")}))
		wantCode(t, err, codeOK)
	}
	// Editing an old memo does not move it either.
	_, err := c.Memos.UpdateMemo(ctxT(t), req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: names[0], Content: "edited"}, UpdateMask: mask("content")}))
	wantCode(t, err, codeOK)
	want := []string{names[3], names[1], names[5], names[4], names[2], names[0]}
	for _, size := range []int32{0, 1, 2, 4, 6, 7} {
		t.Run(fmt.Sprintf("page size %d", size), func(t *testing.T) {
			if got := listAll(t, c, "", size, nil); !slices.Equal(got, want) {
				t.Fatalf("order = %v, want %v (pinned first, then newest)", got, want)
			}
		})
	}
	t.Run("pinned filter", func(t *testing.T) {
		if got := listAll(t, c, "pinned == true", 1, nil); !slices.Equal(got, want[:2]) {
			t.Fatalf("pinned = %v, want %v", got, want[:2])
		}
		if got := listAll(t, c, "pinned == false", 3, nil); !slices.Equal(got, want[2:]) {
			t.Fatalf("unpinned = %v, want %v", got, want[2:])
		}
	})
}

// TestListMemosPagingUnderInserts: memos written between pages appear on
// no later page, and no memo is skipped or repeated.
func TestListMemosPagingUnderInserts(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	c := s.as(tok)
	old := seedMemos(t, s, tok, 120, func(i int) string { return fmt.Sprintf("old %d #even%v", i, i%2 == 0) })
	// One old memo is pinned: it leads the first page.
	_, err := c.Memos.UpdateMemo(ctxT(t), req(&v1.UpdateMemoRequest{Memo: &v1.Memo{Name: old[7], Pinned: true}, UpdateMask: mask("pinned")}))
	wantCode(t, err, codeOK)
	if got, want := listAll(t, c, "", 1000, nil), append([]string{old[7]}, slices.DeleteFunc(reversed(old), func(n string) bool { return n == old[7] })...); !slices.Equal(got, want) {
		t.Fatalf("listing = %v, want %v", got, want)
	}

	for _, p := range allProtocols {
		t.Run(p.name, func(t *testing.T) {
			c := s.client(p, tok)
			want := listAll(t, c, "", 1000, nil) // includes earlier runs' inserts
			got := listAll(t, c, "", 50, func(int) {
				for range 10 {
					s.createMemo(tok, "inserted between pages", 0)
				}
			})
			if !slices.Equal(got, want) {
				t.Fatalf("paged listing with inserts:\n got %d memos %v\nwant %d memos %v", len(got), got, len(want), want)
			}
		})
	}
	t.Run("filtered", func(t *testing.T) {
		var wantEven []string
		for i := len(old) - 1; i >= 0; i-- {
			if i%2 == 0 && i != 7 {
				wantEven = append(wantEven, old[i])
			}
		}
		got := listAll(t, c, `tag == "eventrue" && pinned == false`, 7, func(int) {
			seedMemos(t, s, tok, 3, func(int) string { return "late #eventrue" })
		})
		if !slices.Equal(got, wantEven) {
			t.Fatalf("filtered paging = %v, want %v", got, wantEven)
		}
	})
	t.Run("deleting the last memo of a page", func(t *testing.T) {
		resp, err := c.Memos.ListMemos(ctxT(t), req(&v1.ListMemosRequest{PageSize: 10, Filter: "pinned == false"}))
		wantCode(t, err, codeOK)
		ms := resp.Msg.GetMemos()
		_, err = c.Memos.DeleteMemo(ctxT(t), req(&v1.DeleteMemoRequest{Name: ms[len(ms)-1].GetName()}))
		wantCode(t, err, codeOK)
		next, err := c.Memos.ListMemos(ctxT(t), req(&v1.ListMemosRequest{PageSize: 10, PageToken: resp.Msg.GetNextPageToken(), Filter: "pinned == false"}))
		wantCode(t, err, codeOK)
		all, err := c.Memos.ListMemos(ctxT(t), req(&v1.ListMemosRequest{PageSize: 19, Filter: "pinned == false"}))
		wantCode(t, err, codeOK)
		if got, want := memoNames(next.Msg.GetMemos()), memoNames(all.Msg.GetMemos())[9:]; !slices.Equal(got, want) {
			t.Fatalf("page after a deleted cursor memo = %v, want %v", got, want)
		}
	})
}

// TestListMemosPageSizes: the default page is 50 and no page holds more
// than 1000.
func TestListMemosPageSizes(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	c := s.client(connectProto, tok)
	names := seedMemos(t, s, tok, 1003, func(i int) string { return fmt.Sprintf("memo %d", i) })
	newest := reversed(names)
	tests := map[string]struct {
		size      int32
		wantCount int
		wantNext  bool
	}{
		"default is 50":        {0, 50, true},
		"one":                  {1, 1, true},
		"1000 is allowed":      {1000, 1000, true},
		"over 1000 is clamped": {1001, 1000, true},
		"far over is clamped":  {1 << 30, 1000, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			resp, err := c.Memos.ListMemos(ctxT(t), req(&v1.ListMemosRequest{PageSize: tt.size}))
			wantCode(t, err, codeOK)
			got := memoNames(resp.Msg.GetMemos())
			if len(got) != tt.wantCount || (resp.Msg.GetNextPageToken() != "") != tt.wantNext {
				t.Fatalf("%d memos, next token %q; want %d and a token: %v", len(got), resp.Msg.GetNextPageToken(), tt.wantCount, tt.wantNext)
			}
			if !slices.Equal(got, newest[:tt.wantCount]) {
				t.Fatal("page is not the newest memos in order")
			}
		})
	}
	t.Run("clamped pages reach the end", func(t *testing.T) {
		got := listAll(t, c, "", 5000, nil)
		if !slices.Equal(got, newest) {
			t.Fatalf("listed %d memos, want %d in order", len(got), len(newest))
		}
	})
	t.Run("exact last page has no token", func(t *testing.T) {
		resp, err := c.Memos.ListMemos(ctxT(t), req(&v1.ListMemosRequest{PageSize: 3, Filter: `content.contains("memo 100")`}))
		wantCode(t, err, codeOK)
		// "memo 100", "memo 1000".."memo 1002": four matches.
		if len(resp.Msg.GetMemos()) != 3 || resp.Msg.GetNextPageToken() == "" {
			t.Fatalf("first page: %d memos, token %q", len(resp.Msg.GetMemos()), resp.Msg.GetNextPageToken())
		}
		last, err := c.Memos.ListMemos(ctxT(t), req(&v1.ListMemosRequest{PageSize: 3, PageToken: resp.Msg.GetNextPageToken(), Filter: `content.contains("memo 100")`}))
		wantCode(t, err, codeOK)
		if len(last.Msg.GetMemos()) != 1 || last.Msg.GetNextPageToken() != "" {
			t.Fatalf("last page: %d memos, token %q; want 1 and none", len(last.Msg.GetMemos()), last.Msg.GetNextPageToken())
		}
		full, err := c.Memos.ListMemos(ctxT(t), req(&v1.ListMemosRequest{PageSize: 4, Filter: `content.contains("memo 100")`}))
		wantCode(t, err, codeOK)
		if len(full.Msg.GetMemos()) != 4 || full.Msg.GetNextPageToken() != "" {
			t.Fatalf("a page that holds exactly the rest: %d memos, token %q; want 4 and none", len(full.Msg.GetMemos()), full.Msg.GetNextPageToken())
		}
	})
}

// TestListMemosFilters: each filter term narrows the listing.
func TestListMemosFilters(t *testing.T) {
	s := startServer(t)
	_, adminTok := s.signUp("admin")
	admin, adminName := s.as(adminTok), "users/1"
	_, userTok := s.createUser(adminTok, "user")
	cookie := sessionCookieFor(t, s, "admin")
	web := s.clientWith(connectJSON, connect.WithInterceptors(withHeader("Cookie", cookie)))
	goMemo := s.createMemo(adminTok, "learning #go today", v1.Visibility_VISIBILITY_PUBLIC)
	cjk := s.createMemo(adminTok, "今天 #学习 Go", v1.Visibility_VISIBILITY_PROTECTED)
	webResp, err := web.Memos.CreateMemo(ctxT(t), req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "from the browser #go", Pinned: true}}))
	wantCode(t, err, codeOK)
	fromWeb := webResp.Msg
	userMemo := s.createMemo(userTok, "the user's #go", v1.Visibility_VISIBILITY_PUBLIC)
	tests := map[string]struct {
		c      *api
		filter string
		want   []string
	}{
		"tag":                        {admin, `tag == "go"`, []string{fromWeb.GetName(), goMemo.GetName()}},
		"tag with hash":              {admin, `tag == "#go"`, []string{fromWeb.GetName(), goMemo.GetName()}},
		"cjk tag":                    {admin, `tag == "学习"`, []string{cjk.GetName()}},
		"tag is exact":               {admin, `tag == "g"`, nil},
		"contains is case-sensitive": {admin, `content.contains("Go")`, []string{cjk.GetName()}},
		"contains cjk":               {admin, `content.contains("今天")`, []string{cjk.GetName()}},
		"source web":                 {admin, `source == "SOURCE_WEB"`, []string{fromWeb.GetName()}},
		"source api":                 {admin, `source == "SOURCE_API"`, []string{cjk.GetName(), goMemo.GetName()}},
		"visibility":                 {admin, `visibility == "VISIBILITY_PROTECTED"`, []string{cjk.GetName()}},
		"combined":                   {admin, `tag == "go" && pinned == false`, []string{goMemo.GetName()}},
		"another creator":            {admin, `creator == "users/2"`, []string{userMemo.GetName()}},
		"own creator":                {admin, `creator == "` + adminName + `"`, []string{fromWeb.GetName(), cjk.GetName(), goMemo.GetName()}},
		"user sees admin's shared":   {s.as(userTok), `creator == "users/1"`, []string{cjk.GetName(), goMemo.GetName()}},
		"anonymous sees public":      {s.anon(), ``, []string{userMemo.GetName(), goMemo.GetName()}},
		"anonymous public tag":       {s.anon(), `tag == "go"`, []string{userMemo.GetName(), goMemo.GetName()}},
		"anonymous private asked":    {s.anon(), `visibility == "VISIBILITY_PRIVATE"`, nil},
		"unknown creator":            {admin, `creator == "users/999"`, nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := listAll(t, tt.c, tt.filter, 1, nil); !slices.Equal(got, tt.want) {
				t.Fatalf("ListMemos(%s) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}
