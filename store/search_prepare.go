package store

import "sync"

// Index tokens computed before a write is queued. The writer goroutine is
// what bounds write throughput, and turning a memo's text into index
// tokens in Go, called from SQL, cost it more than FTS's own insert
// (mattn/go-sqlite3's callbacks are slow). So the store's write functions
// compute the tokens of the content they are about to write in the
// caller's goroutine (prepareSearch), and when the writer indexes the
// transaction's memos just before COMMIT (search_sqlite.go: flush) it
// looks each memo's current content up here. Tokens are a function of the
// content alone, so an entry is right for whichever memo holds that
// content; a memo whose content is not here (a path that did not prepare,
// or content computed inside the transaction such as an append) is
// tokenized by the writer instead. Nothing here decides what is indexed:
// the triggers on memos do (see sqliteSearchSchema).
type searchBodies struct {
	mu sync.Mutex
	m  map[string]*preparedBody
}

type preparedBody struct {
	doc  searchDoc
	refs int // writes in flight that prepared this content
}

func newSearchBodies() *searchBodies {
	return &searchBodies{m: map[string]*preparedBody{}}
}

// prepareSearch computes the index tokens of contents (empty ones are
// skipped) for a write about to be queued; the caller runs the returned
// release once the write has returned, whatever its outcome.
func (db *DB) prepareSearch(contents ...string) (release func()) {
	if !db.searchQueue {
		return func() {}
	}
	c := db.searchBodies
	var keys []string
	for _, content := range contents {
		if content == "" {
			continue
		}
		doc := searchDocument(content) // outside the lock: the costly part
		c.mu.Lock()
		if p := c.m[content]; p != nil {
			p.refs++
		} else {
			c.m[content] = &preparedBody{doc: doc, refs: 1}
		}
		c.mu.Unlock()
		keys = append(keys, content)
	}
	return func() {
		c.mu.Lock()
		for _, k := range keys {
			p := c.m[k]
			if p.refs--; p.refs == 0 {
				delete(c.m, k)
			}
		}
		c.mu.Unlock()
	}
}

// doc returns the index document of content: prepared, or computed now.
func (c *searchBodies) doc(content string) searchDoc {
	c.mu.Lock()
	p := c.m[content]
	c.mu.Unlock()
	if p != nil {
		return p.doc
	}
	return searchDocument(content)
}

// len is the number of contents prepared and not yet released (tests).
func (c *searchBodies) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
