package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/memoria-app/memoria/store"
)

// searchCorpus is a mixed-language corpus; keys name the memos in tests.
var searchCorpus = map[string]string{
	"en-quantum":   "Notes on quantum entanglement and Bell's theorem",
	"en-groceries": "Groceries: milk, eggs, bread. Remember the MILK!",
	"en-meeting":   "Meeting with the design team about the new quantum dashboard",
	"zh-quantum":   "今天读了关于量子纠缠的论文，非常有意思",
	"zh-cat":       "我家的猫喜欢睡觉",
	"zh-mixed":     "用Go语言写一个量子模拟器",
	"ja":           "東京で寿司を食べました",
	"ru-winter":    "Зимой мы катались на лыжах и пили чай с ёлкой",
	"ru-tea":       "ЧАЙ без сахара",
	"fr-ete":       "L'été à Montréal était très chaud; café crème au déjeuner",
	"fr-cafe":      "Le CAFÉ du coin ferme à midi",
	"ko":           "오늘은 날씨가 좋아요",
}

func loadCorpus(t *testing.T, db *store.DB, uid int64) map[int64]string {
	t.Helper()
	names := make([]string, 0, len(searchCorpus))
	for k := range searchCorpus {
		names = append(names, k)
	}
	sort.Strings(names)
	byID := map[int64]string{}
	for _, k := range names {
		byID[mustMemo(t, db, uid, searchCorpus[k], false).ID] = k
	}
	return byID
}

func words(terms ...string) store.SearchQuery {
	var q store.SearchQuery
	for _, t := range terms {
		if p, ok := strings.CutPrefix(t, `"`); ok {
			q.Terms = append(q.Terms, store.SearchTerm{Text: strings.TrimSuffix(p, `"`), Phrase: true})
		} else {
			q.Terms = append(q.Terms, store.SearchTerm{Text: t})
		}
	}
	return q
}

func searchNames(t *testing.T, db *store.DB, q store.MemoQuery, s store.SearchQuery, byID map[int64]string) []string {
	t.Helper()
	hits, err := db.SearchMemos(context.Background(), q, s, nil)
	if err != nil {
		t.Fatalf("SearchMemos(%+v): %v", s, err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, byID[h.Memo.ID])
	}
	sort.Strings(out)
	return out
}

func TestSearchMixedCorpus(t *testing.T) {
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	byID := loadCorpus(t, db, u.ID)
	tests := map[string]struct {
		q    store.SearchQuery
		want []string
	}{
		"english word":               {words("quantum"), []string{"en-meeting", "en-quantum"}},
		"case-insensitive":           {words("QUANTUM"), []string{"en-meeting", "en-quantum"}},
		"every word must match":      {words("quantum", "team"), []string{"en-meeting"}},
		"no partial words":           {words("quant"), nil},
		"punctuation in content":     {words("bell"), []string{"en-quantum"}},
		"chinese inside a run":       {words("量子纠缠"), []string{"zh-quantum"}},
		"chinese two chars":          {words("量子"), []string{"zh-mixed", "zh-quantum"}},
		"chinese one char":           {words("猫"), []string{"zh-cat"}},
		"chinese one char in run":    {words("睡"), []string{"zh-cat"}},
		"chinese not adjacent":       {words("量纠"), nil},
		"chinese last char of a run": {words("觉"), []string{"zh-cat"}},
		"phrase latin then chinese":  {words(`"go语言"`), []string{"zh-mixed"}},
		"phrase chinese then latin":  {words(`"用go"`), []string{"zh-mixed"}},
		"phrase run must end there":  {words(`"语go"`), nil},
		"chinese next to latin":      {words("go语言"), []string{"zh-mixed"}},
		"japanese":                   {words("寿司"), []string{"ja"}},
		"korean":                     {words("날씨"), []string{"ko"}},
		"russian":                    {words("чай"), []string{"ru-tea", "ru-winter"}},
		"russian upper case":         {words("ЗИМОЙ"), []string{"ru-winter"}},
		"russian yo folds to ye":     {words("елкой"), []string{"ru-winter"}},
		"french accents dropped":     {words("ete"), []string{"fr-ete"}},
		"french accents kept":        {words("été"), []string{"fr-ete"}},
		"french café both":           {words("cafe"), []string{"fr-cafe", "fr-ete"}},
		"french elision":             {words("montreal"), []string{"fr-ete"}},
		"phrase":                     {words(`"design team"`), []string{"en-meeting"}},
		"phrase order matters":       {words(`"team design"`), nil},
		"phrase across punctuation":  {words(`"café crème"`), []string{"fr-ete"}},
		"phrase with chinese":        {words(`"量子模拟器"`), []string{"zh-mixed"}},
		"word with hyphen":           {words("milk-eggs"), []string{"en-groceries"}},
		"fts operators are words":    {words("quantum", "OR", "milk"), nil},
		"fts syntax neutralised":     {words(`milk*`, `-bread`, `body:eggs`, `"NEAR"`), nil},
		"nothing":                    {words("zebra"), nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := searchNames(t, db, store.MemoQuery{CreatorID: u.ID}, tt.q, byID)
			if !slices.Equal(got, tt.want) {
				t.Errorf("search %+v = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	if _, err := db.SearchMemos(context.Background(), store.MemoQuery{}, words("!!!"), nil); err != store.ErrEmptySearch {
		t.Errorf("punctuation-only query: err = %v, want ErrEmptySearch", err)
	}
}

func TestSearchCombinesWithFilters(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a, b := mustUser(t, db, "a"), mustUser(t, db, "b")
	tagged := store.Memo{CreatorID: a.ID, Content: "deploy notes #go", Tags: []string{"go"}, Visibility: store.VisibilityPublic, Source: store.SourceAPI}
	if err := db.CreateMemo(ctx, &tagged, nil); err != nil {
		t.Fatal(err)
	}
	mustMemo(t, db, a.ID, "deploy checklist", true)
	mustMemo(t, db, b.ID, "deploy elsewhere", false)
	for name, c := range map[string]struct {
		q    store.MemoQuery
		want int
	}{
		"creator":    {store.MemoQuery{CreatorID: a.ID}, 2},
		"tag":        {store.MemoQuery{CreatorID: a.ID, Tag: "go"}, 1},
		"pinned":     {store.MemoQuery{CreatorID: a.ID, Pinned: ptrBool(true)}, 1},
		"visibility": {store.MemoQuery{Visibilities: []store.Visibility{store.VisibilityPublic}}, 1},
		"everyone":   {store.MemoQuery{}, 3},
		"limit":      {store.MemoQuery{Limit: 2}, 2},
	} {
		t.Run(name, func(t *testing.T) {
			hits, err := db.SearchMemos(ctx, c.q, words("deploy"), nil)
			if err != nil || len(hits) != c.want {
				t.Fatalf("got %d hits (%v), want %d", len(hits), err, c.want)
			}
		})
	}
}

func ptrBool(b bool) *bool { return &b }

func TestSearchRanking(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	thrice := mustMemo(t, db, u.ID, "kayak trip: kayak rental, kayak lessons, then lunch by the lake", false)
	once := mustMemo(t, db, u.ID, "kayak trip: bike rental, swim lessons, then lunch by the lake", false)
	newer := mustMemo(t, db, u.ID, "kayak trip: bike rental, swim lessons, then lunch by the lake", false)
	twice := mustMemo(t, db, u.ID, "kayak, then kayak "+strings.Repeat("and then we walked along the shore ", 20), false)
	hits, err := db.SearchMemos(ctx, store.MemoQuery{CreatorID: u.ID}, words("kayak"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, h := range hits {
		got = append(got, h.Memo.ID)
	}
	// Three times beats twice beats once, whatever the memos' lengths;
	// equal scores go newest first.
	want := []int64{thrice.ID, twice.ID, newer.ID, once.ID}
	if !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v (scores %v)", got, want, hits)
	}
	if !(hits[0].Score > hits[1].Score && hits[1].Score > hits[2].Score && hits[2].Score == hits[3].Score) {
		t.Fatalf("scores not strictly ordered: %v %v %v %v", hits[0].Score, hits[1].Score, hits[2].Score, hits[3].Score)
	}
}

func TestSearchPagingWhileMemosAreAdded(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	var all []int64
	for i := 0; i < 40; i++ {
		// 1 to 4 hits, so scores tie in groups and the newest-first tie
		// break is exercised too.
		m := mustMemo(t, db, u.ID, strings.Repeat("otter ", 1+i%4)+fmt.Sprintf("memo %d", i), false)
		all = append(all, m.ID)
	}
	first, err := db.SearchMemos(ctx, store.MemoQuery{CreatorID: u.ID}, words("otter"), nil)
	if err != nil || len(first) != 40 {
		t.Fatalf("full listing: %d, %v", len(first), err)
	}
	var got []int64
	var after *store.SearchCursor
	for page := 0; ; page++ {
		hits, err := db.SearchMemos(ctx, store.MemoQuery{CreatorID: u.ID, Limit: 6}, words("otter"), after)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			got = append(got, h.Memo.ID)
		}
		if len(hits) < 6 {
			break
		}
		// New memos, some ranking above everything listed so far, must
		// neither repeat nor hide what the first listing held.
		mustMemo(t, db, u.ID, "otter otter otter otter otter new", false)
		mustMemo(t, db, u.ID, "otter new", false)
		c := hits[len(hits)-1].Cursor()
		after = &c
	}
	var want []int64
	for _, h := range first {
		want = append(want, h.Memo.ID)
	}
	var gotOld []int64
	seen := map[int64]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("memo %d listed twice", id)
		}
		seen[id] = true
		if slices.Contains(all, id) {
			gotOld = append(gotOld, id)
		}
	}
	if !slices.Equal(gotOld, want) {
		t.Fatalf("paged order of the original memos\n got %v\nwant %v", gotOld, want)
	}
}

func TestSearchIndexFollowsUpdatesAndDeletes(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	u := mustUser(t, db, "u")
	other := mustUser(t, db, "other")
	m := mustMemo(t, db, u.ID, "first draft about herons", false)
	count := func(word string) int {
		t.Helper()
		hits, err := db.SearchMemos(ctx, store.MemoQuery{}, words(word), nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(hits)
	}
	content := "second draft about egrets"
	if _, err := db.UpdateMemo(ctx, m.ID, store.MemoUpdate{Content: &content}); err != nil {
		t.Fatal(err)
	}
	if count("herons") != 0 || count("egrets") != 1 || count("draft") != 1 {
		t.Fatalf("after update: herons %d egrets %d draft %d", count("herons"), count("egrets"), count("draft"))
	}
	pinned := true
	if _, err := db.UpdateMemo(ctx, m.ID, store.MemoUpdate{Pinned: &pinned}); err != nil {
		t.Fatal(err)
	}
	if count("egrets") != 1 {
		t.Fatal("pinning lost the memo from the index")
	}
	if _, err := db.DeleteMemo(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if count("egrets") != 0 {
		t.Fatal("deleted memo still found")
	}
	// A user's memos deleted by cascade leave the index too, and a new
	// memo that reuses a deleted id is indexed afresh.
	gone := mustMemo(t, db, other.ID, "cormorant colony", false)
	if _, err := db.DeleteUser(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if count("cormorant") != 0 {
		t.Fatal("memo of a deleted user still found")
	}
	reused := mustMemo(t, db, u.ID, "pelican", false)
	if reused.ID != gone.ID {
		t.Logf("id not reused (%d vs %d)", reused.ID, gone.ID)
	}
	if count("pelican") != 1 || count("colony") != 0 {
		t.Fatalf("after id reuse: pelican %d colony %d", count("pelican"), count("colony"))
	}
	// Telegram ingest: a new memo, then an album caption arriving later.
	if _, err := db.Ingest(ctx, store.Ingest{Key: "k1", GroupKey: "g", Memo: &store.Memo{CreatorID: u.ID, Visibility: store.VisibilityPrivate, Source: store.SourceTelegram}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ingest(ctx, store.Ingest{Key: "k2", GroupKey: "g", Memo: &store.Memo{CreatorID: u.ID, Content: "album of flamingos", Visibility: store.VisibilityPrivate, Source: store.SourceTelegram}}); err != nil {
		t.Fatal(err)
	}
	if count("flamingos") != 1 {
		t.Fatal("album caption not indexed")
	}
}

func TestSearchMigrationIndexesExistingMemos(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, db, "u")
	for i := 0; i < 25; i++ {
		mustMemo(t, db, u.ID, fmt.Sprintf("old memo %d about ibis", i), false)
	}
	db.Close()
	// Make the database look as it did before version 3 (migrations 3
	// and 7 then run again).
	raw, err := sql.Open("sqlite3", filepath.Join(dir, "memoria.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"DROP TRIGGER memo_search_insert", "DROP TRIGGER memo_search_unindex", "DROP TRIGGER memo_search_reindex",
		"DROP TRIGGER memo_search_delete", "DROP TABLE memo_search", "DROP VIEW memo_search_source", "DROP TABLE memo_search_queue",
		"DELETE FROM schema_migrations WHERE version IN (3, 7)",
	} {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	raw.Close()
	db, err = store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hits, err := db.SearchMemos(ctx, store.MemoQuery{}, words("ibis"), nil)
	if err != nil || len(hits) != 25 {
		t.Fatalf("after migration: %d hits, %v; want 25", len(hits), err)
	}
}

func TestCheckSearchIndexFindsDamage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u := mustUser(t, db, "u")
	mustMemo(t, db, u.ID, "indexed memo", false)
	if err := db.CheckSearchIndex(ctx); err != nil {
		t.Fatalf("healthy index: %v", err)
	}
	// A memo written behind the index's back (its trigger gone).
	raw, err := sql.Open("sqlite3", filepath.Join(dir, "memoria.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("DROP TRIGGER memo_search_insert"); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("INSERT INTO memos (creator_id, content, visibility, pinned, tags, source, created_at, updated_at) VALUES (?, 'unindexed', 'private', 0, '', 'api', 1, 1)", u.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSearchIndex(ctx); err == nil {
		t.Fatal("a memo missing from the index passed the check")
	}
}
