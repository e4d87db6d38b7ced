package store

import "sync"

// Index tokens computed before a write is queued. The writer goroutine is
// what bounds write throughput, and turning a memo's text into index
// tokens in Go, called from SQL, cost it more than FTS's own insert
// (mattn/go-sqlite3's callbacks are slow). So the store's write functions
// compute the tokens of the content they are about to write in the
// caller's goroutine (prepareSearch), and whoever later needs a memo's
// tokens — the fold into FTS (search_fold.go), a search matching the
// memos not folded yet, PostgreSQL's flush — looks its current content up
// here. Tokens are a function of the content alone, so an entry is right
// for whichever memo holds that content; a content not here (a path that
// did not prepare, content computed inside the transaction such as an
// append, an entry already dropped) is tokenized where it is needed.
// Nothing here decides what is indexed: the triggers on memos do (see
// sqliteSearchSchema).
//
// An entry lives while a write that prepared it is in flight (inFlight),
// then in recent until the next fold, which indexes every memo committed
// before it and so needs none of them after: recent is bounded by the
// fold's batch. (PostgreSQL indexes in the write's own transaction: its
// entries die with the write, keep false.)
type searchBodies struct {
	keep     bool // keep released entries in recent until the next fold
	mu       sync.Mutex
	inFlight map[string]*preparedBody
	recent   map[string]searchDoc
}

type preparedBody struct {
	doc  searchDoc
	refs int // writes in flight that prepared this content
}

func newSearchBodies(keep bool) *searchBodies {
	return &searchBodies{keep: keep, inFlight: map[string]*preparedBody{}, recent: map[string]searchDoc{}}
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
		if p := c.inFlight[content]; p != nil {
			p.refs++
		} else {
			c.inFlight[content] = &preparedBody{doc: doc, refs: 1}
		}
		c.mu.Unlock()
		keys = append(keys, content)
	}
	return func() {
		c.mu.Lock()
		for _, k := range keys {
			p := c.inFlight[k]
			if p.refs--; p.refs == 0 {
				delete(c.inFlight, k)
				if c.keep {
					c.recent[k] = p.doc
				}
			}
		}
		c.mu.Unlock()
	}
}

// doc returns the index document of content: prepared, or computed now.
func (c *searchBodies) doc(content string) searchDoc {
	c.mu.Lock()
	p := c.inFlight[content]
	d, ok := c.recent[content]
	c.mu.Unlock()
	switch {
	case p != nil:
		return p.doc
	case ok:
		return d
	}
	return searchDocument(content)
}

// folded drops the released entries: a fold just indexed every memo
// committed before it, and a write is released only after its commit.
func (c *searchBodies) folded() {
	c.mu.Lock()
	clear(c.recent)
	c.mu.Unlock()
}

// len is the number of contents prepared by writes still in flight
// (tests).
func (c *searchBodies) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.inFlight)
}
