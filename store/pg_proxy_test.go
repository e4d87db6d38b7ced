package store

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// pgProxy is a TCP proxy in front of the test server that can freeze: stop
// passing bytes while keeping every socket open, as a network that drops
// packets does. Tests point dedicated connections at it to see them
// notice a silent peer.
type pgProxy struct {
	ln       net.Listener
	upstream string

	mu     sync.Mutex
	frozen chan struct{} // non-nil while frozen; closed to thaw
	conns  []net.Conn
}

func newPGProxy(t *testing.T, rawURL string) (*pgProxy, string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, upstream: u.Host}
	t.Cleanup(p.close)
	go p.serve()
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *pgProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// pipe copies src to dst, holding each chunk while the proxy is frozen.
func (p *pgProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.waitThawed()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				dst.Close()
			} else if tc, ok := dst.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			return
		}
	}
}

func (p *pgProxy) waitThawed() {
	p.mu.Lock()
	f := p.frozen
	p.mu.Unlock()
	if f != nil {
		<-f
	}
}

// freeze stops passing bytes (sockets stay open) until thaw.
func (p *pgProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen == nil {
		p.frozen = make(chan struct{})
	}
}

// cut closes every proxied socket, as the far end of a dead link would
// eventually see.
func (p *pgProxy) cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	f := p.frozen
	p.frozen = nil
	p.mu.Unlock()
	if f != nil {
		close(f)
	}
	for _, c := range conns {
		c.Close()
	}
}

func (p *pgProxy) close() {
	p.ln.Close()
	p.cut()
}
