package rules

import (
	"context"
	"runtime"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// passwordPool bounds how many bcrypt operations run at once. bcrypt is
// deliberately slow (tens of ms of CPU each), so a flood of sign-ins or
// sign-ups hashing on every core would starve every other call; with the
// pool, at most its size of cores hash and the rest of the machine keeps
// serving. Callers waiting for a slot give up when their context ends.
type passwordPool struct {
	slots chan struct{}
	ran   atomic.Int64 // operations run, for tests and figures
}

// defaultPasswordWorkers is half the usable CPUs, at least one.
func defaultPasswordWorkers() int { return max(1, runtime.GOMAXPROCS(0)/2) }

func newPasswordPool(workers int) *passwordPool {
	if workers <= 0 {
		workers = defaultPasswordWorkers()
	}
	return &passwordPool{slots: make(chan struct{}, workers)}
}

// run calls f once a slot is free, or returns ctx's error if ctx ends
// first (f then does not run).
func (p *passwordPool) run(ctx context.Context, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.slots }()
	p.ran.Add(1)
	f()
	return nil
}

// hash returns the bcrypt hash of pw at cost.
func (p *passwordPool) hash(ctx context.Context, pw string, cost int) (string, error) {
	var h []byte
	var herr error
	if err := p.run(ctx, func() { h, herr = bcrypt.GenerateFromPassword([]byte(pw), cost) }); err != nil {
		return "", err
	}
	return string(h), herr
}

// matches reports whether pw matches the bcrypt hash; an error means the
// comparison did not run (ctx ended while waiting).
func (p *passwordPool) matches(ctx context.Context, hash []byte, pw string) (bool, error) {
	var ok bool
	if err := p.run(ctx, func() { ok = bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil }); err != nil {
		return false, err
	}
	return ok, nil
}
