package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memoria-app/memoria/rules"
)

func TestParseNetworks(t *testing.T) {
	tests := []struct {
		name, list string
		want       []string // the prefixes, as netip prints them
		err        string   // a fragment of the error; "" for none
	}{
		{"default", DefaultMetricsAllow, []string{"127.0.0.0/8", "::1/128"}, ""},
		{"spaces and empty entries", " 10.0.0.0/8 ,, fd00::/8 ", []string{"10.0.0.0/8", "fd00::/8"}, ""},
		{"single addresses", "192.0.2.7,2001:db8::1", []string{"192.0.2.7/32", "2001:db8::1/128"}, ""},
		{"host bits are cleared", "10.1.2.3/8", []string{"10.0.0.0/8"}, ""},
		{"IPv4-mapped network", "::ffff:10.0.0.0/104", []string{"10.0.0.0/8"}, ""},
		{"IPv4-mapped address", "::ffff:192.0.2.7", []string{"192.0.2.7/32"}, ""},
		{"bad prefix length", "10.0.0.0/33", nil, `"10.0.0.0/33"`},
		{"host name", "127.0.0.0/8,localhost", nil, `"localhost"`},
		{"mapped prefix too short", "::ffff:0:0/80", nil, `"::ffff:0:0/80"`},
		{"nothing", " , ", nil, "lists no network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNetworks(tt.list)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseNetworks(%q) error = %v, want one containing %s", tt.list, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNetworks(%q): %v", tt.list, err)
			}
			var s []string
			for _, p := range got {
				s = append(s, p.String())
			}
			if strings.Join(s, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("ParseNetworks(%q) = %v, want %v", tt.list, s, tt.want)
			}
		})
	}
}

func TestAllowedPeer(t *testing.T) {
	allow, err := ParseNetworks("127.0.0.0/8,::1/128,10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote string
		want         bool
	}{
		{"IPv4 loopback", "127.0.0.1:5555", true},
		{"IPv6 loopback", "[::1]:5555", true},
		{"IPv4-mapped loopback", "[::ffff:127.0.0.1]:5555", true},
		{"listed network", "10.20.30.40:1", true},
		{"outside", "192.0.2.1:5555", false},
		{"IPv6 outside", "[2001:db8::1]:5555", false},
		{"zoned link-local", "[fe80::1%eth0]:5555", false},
		{"not an address", "@", false},
		{"no port", "127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allowed(allow, tt.remote); got != tt.want {
				t.Fatalf("allowed(%q) = %v, want %v", tt.remote, got, tt.want)
			}
		})
	}
}

// procedureRecorder is an RPCObserver that keeps each procedure it hears of.
type procedureRecorder struct {
	mu    sync.Mutex
	procs map[string]bool
}

func (r *procedureRecorder) RPCFinished(procedure, _ string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.procs[procedure] = true
}

// TestRPCMetricsOnlyNameKnownProcedures: a client posting to made-up
// procedure paths (of our services or of none) creates no series; only
// the API's own procedures are reported.
func TestRPCMetricsOnlyNameKnownProcedures(t *testing.T) {
	rl, _ := newTestRules(t, rules.Config{})
	rec := &procedureRecorder{procs: map[string]bool{}}
	srv := httptest.NewServer(NewHandler(Deps{Rules: rl, Log: discardLog(),
		Metrics: Metrics{RPC: rec}}))
	defer srv.Close()
	const known = "/memoria.v1.AuthService/GetCurrentUser"
	for _, path := range []string{
		known,
		"/memoria.v1.AuthService/NoSuchMethod-1",
		"/memoria.v1.MemoService/x" + strings.Repeat("y", 100),
		"/memoria.v1.NoSuchService/Get",
		"/random.Service/Method",
	} {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.procs) != 1 || !rec.procs[known] {
		t.Fatalf("procedures reported: %v; want only %s", rec.procs, known)
	}
}
