package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/store"
)

// TestSearchFilter: search("…") through the API, alone and combined with
// the other terms, for each caller, and its syntax errors.
func TestSearchFilter(t *testing.T) {
	s := startServer(t)
	_, adminTok := s.signUp("admin")
	_, userTok := s.createUser(adminTok, "user")
	admin := s.as(adminTok)
	en := s.createMemo(adminTok, "Quantum entanglement notes #physics", v1.Visibility_VISIBILITY_PUBLIC)
	zh := s.createMemo(adminTok, "今天读了关于量子纠缠的论文 #physics", v1.Visibility_VISIBILITY_PRIVATE)
	ru := s.createMemo(adminTok, "Квантовая запутанность и чай", v1.Visibility_VISIBILITY_PROTECTED)
	fr := s.createMemo(adminTok, "Théorie quantique: l'été des qubits", v1.Visibility_VISIBILITY_PRIVATE)
	many := s.createMemo(adminTok, "quantum quantum quantum: a memo that says it three times", v1.Visibility_VISIBILITY_PRIVATE)
	other := s.createMemo(userTok, "the user's quantum memo", v1.Visibility_VISIBILITY_PRIVATE)
	tests := map[string]struct {
		c      *api
		filter string
		want   []string // in order
	}{
		"ranked: three times first":     {admin, `search("quantum")`, []string{many.GetName(), en.GetName()}},
		"case and accents":              {admin, `search("THEORIE ETE")`, []string{fr.GetName()}},
		"chinese inside a run":          {admin, `search("量子纠缠")`, []string{zh.GetName()}},
		"russian":                       {admin, `search("ЧАЙ")`, []string{ru.GetName()}},
		"phrase":                        {admin, `search("\"entanglement notes\"")`, []string{en.GetName()}},
		"phrase out of order":           {admin, `search("\"notes entanglement\"")`, nil},
		"with tag":                      {admin, `tag == "physics" && search("量子")`, []string{zh.GetName()}},
		"with visibility":               {admin, `search("quantum") && visibility == "VISIBILITY_PUBLIC"`, []string{en.GetName()}},
		"own memos only":                {s.as(userTok), `search("quantum")`, []string{other.GetName()}},
		"another's shared memos":        {s.as(userTok), `creator == "users/1" && search("quantum")`, []string{en.GetName()}},
		"anonymous sees public":         {s.anon(), `search("quantum")`, []string{en.GetName()}},
		"operators are plain words":     {admin, `search("quantum OR tea")`, nil},
		"fts syntax cannot leak":        {admin, `search("quantum* -notes NEAR/2 body:x ^a")`, nil},
		"punctuation words are ignored": {admin, `search("quantum -- ...")`, []string{many.GetName(), en.GetName()}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := listAll(t, tt.c, tt.filter, 1, nil); !slices.Equal(got, tt.want) {
				t.Fatalf("ListMemos(%s) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
	for name, tt := range map[string]struct{ filter, msg string }{
		"unclosed phrase":  {`search("\"quantum")`, "has no closing double quote"},
		"nothing to find":  {`search("?!")`, "has no word to look for"},
		"twice":            {`search("a") && search("b")`, "only once"},
		"unquoted":         {`search(quantum)`, "double-quoted"},
		"stale page token": {`search("quantum")`, "page_token"},
	} {
		t.Run("error: "+name, func(t *testing.T) {
			r := &v1.ListMemosRequest{Filter: tt.filter}
			if name == "stale page token" {
				r.PageToken = "bTEuMC4xLjEuMA" // a listing token, not a search one
			}
			_, err := admin.Memos.ListMemos(ctxT(t), req(r))
			wantCode(t, err, connect.CodeInvalidArgument, tt.msg)
		})
	}
}

// TestSearchPagingUnderInserts: pages of a search, with memos (some
// outranking everything) written between pages, hold every memo that
// matched at the start exactly once, in the starting order.
func TestSearchPagingUnderInserts(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	c := s.as(tok)
	seedMemos(t, s, tok, 60, func(i int) string {
		return strings.Repeat("heron ", 1+i%3) + fmt.Sprintf("sighting %d", i)
	})
	const f = `search("heron")`
	want := listAll(t, c, f, 1000, nil)
	if len(want) != 60 {
		t.Fatalf("search found %d memos, want 60", len(want))
	}
	for _, size := range []int32{1, 7, 50} {
		t.Run(fmt.Sprintf("page size %d", size), func(t *testing.T) {
			var added []string
			got := listAll(t, c, f, size, func(int) {
				added = append(added, s.createMemo(tok, "heron heron heron heron", 0).GetName(), s.createMemo(tok, "heron", 0).GetName())
			})
			got = slices.DeleteFunc(got, func(n string) bool { return slices.Contains(added, n) })
			if !slices.Equal(got, want) {
				t.Fatalf("paged search with inserts:\n got %v\nwant %v", got, want)
			}
			for _, n := range added {
				_, err := c.Memos.DeleteMemo(ctxT(t), req(&v1.DeleteMemoRequest{Name: n}))
				wantCode(t, err, codeOK)
			}
		})
	}
}

// TestSearchIndexSurvivesCrashes kills the real binary (SIGKILL) three
// times while writers create, edit and delete memos; after each restart
// the index agrees with the memos exactly: every memo is found by its own
// words, nothing else is, and FTS's integrity check passes.
func TestSearchIndexSurvivesCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 2))
	t.Logf("seed %d", seed)
	bin := buildBinary(t)
	dir := t.TempDir()
	data := storageAt(t, filepath.Join(dir, "data"))
	addr := freeAddr(t)
	p := startBinary(t, bin, addr, data)
	s := &testServer{tb: t, URL: "http://" + addr}
	_, tok := s.signUp("admin")
	var next atomic.Int64
	for round := 0; round < 3; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var acked atomic.Int64
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				c := s.as(tok)
				var mine []string
				for ctx.Err() == nil {
					n := next.Add(1)
					var err error
					switch k := n % 10; {
					case k < 6 || len(mine) == 0:
						var resp *connect.Response[v1.Memo]
						resp, err = c.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: fmt.Sprintf("crashmemo w%dn%d 量子纠缠 café", w, n)}}))
						if err == nil {
							mine = append(mine, resp.Msg.GetName())
						}
					case k < 9:
						_, err = c.Memos.UpdateMemo(ctx, req(&v1.UpdateMemoRequest{
							Memo: &v1.Memo{Name: mine[int(n)%len(mine)], Content: fmt.Sprintf("crashmemo w%dn%d edited Ёлка", w, n)}, UpdateMask: mask("content")}))
					default:
						i := int(n) % len(mine)
						_, err = c.Memos.DeleteMemo(ctx, req(&v1.DeleteMemoRequest{Name: mine[i]}))
						mine = slices.Delete(mine, i, i+1)
					}
					if err == nil {
						acked.Add(1)
					}
				}
			}(w)
		}
		for acked.Load() < 200 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		p.kill()
		cancel()
		wg.Wait()
		t.Logf("round %d: killed after %d acknowledged writes", round+1, acked.Load())
		p = startBinary(t, bin, addr, data)
		checkSearchIndex(t, s, tok)
	}
	p.stop(t)
	db, err := store.Open(context.Background(), data.Dir, store.Options{URL: data.DB})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CheckSearchIndex(context.Background()); err != nil {
		t.Fatalf("FTS integrity check (index against the memos' text): %v", err)
	}
}

// checkSearchIndex: every memo is found by the word unique to it, and the
// words all memos share find all of them.
func checkSearchIndex(t *testing.T, s *testServer, tok string) {
	t.Helper()
	c := s.as(tok)
	all := map[string]string{}
	page := ""
	for {
		resp, err := c.Memos.ListMemos(ctxT(t), req(&v1.ListMemosRequest{PageSize: 1000, PageToken: page}))
		wantCode(t, err, codeOK)
		for _, m := range resp.Msg.GetMemos() {
			all[m.GetName()] = m.GetContent()
		}
		if page = resp.Msg.GetNextPageToken(); page == "" {
			break
		}
	}
	if n := len(listAll(t, c, `search("crashmemo")`, 1000, nil)); n != len(all) {
		t.Fatalf("search(crashmemo) finds %d memos, %d exist", n, len(all))
	}
	edited := 0
	for name, content := range all {
		unique := strings.Fields(content)[1]
		if got := listAll(t, c, fmt.Sprintf("search(%q)", unique), 10, nil); !slices.Equal(got, []string{name}) {
			t.Fatalf("search(%s) = %v, want only %s (content %q)", unique, got, name, content)
		}
		if strings.Contains(content, "edited") {
			edited++
		}
	}
	if n := len(listAll(t, c, `search("елка")`, 1000, nil)); n != edited {
		t.Fatalf("search(елка) finds %d memos, %d are edited", n, edited)
	}
	if n := len(listAll(t, c, `search("量子纠缠 cafe")`, 1000, nil)); n != len(all)-edited {
		t.Fatalf("search(量子纠缠 cafe) finds %d memos, %d are unedited", n, len(all)-edited)
	}
	t.Logf("index consistent with %d memos (%d edited)", len(all), edited)
}
