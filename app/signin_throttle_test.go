package app_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// fromAddr is the API as seen from the loopback address ip (Linux routes
// all of 127.0.0.0/8 to lo), so one test can be several clients.
func (s *testServer) fromAddr(t *testing.T, ip string) *api {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return s.clientWith(protocol{"connect+json", &http.Client{Transport: tr}, connectJSON.opts})
}

func signInErr(t *testing.T, c *api, username, password string) error {
	t.Helper()
	_, err := c.Auth.SignIn(ctxT(t), connect.NewRequest(&v1.SignInRequest{Username: username, Password: password}))
	return err
}

// TestSignInThrottle: ten wrong passwords lock the address and the
// account (resource_exhausted saying when to try again, even for the right
// password); the account's owner still gets in from an address they signed
// in from before, and other addresses may still sign in to other accounts.
func TestSignInThrottle(t *testing.T) {
	s := startServer(t)
	_, admin := s.signUp("admin")
	s.createUser(admin, "victim")
	s.createUser(admin, "bystander")
	owner := s.fromAddr(t, "127.0.0.2")
	attacker := s.fromAddr(t, "127.0.0.3")
	newcomer := s.fromAddr(t, "127.0.0.4")
	other := s.fromAddr(t, "127.0.0.5")
	wantCode(t, signInErr(t, owner, "victim", testPassword), codeOK) // the owner's usual address

	for i := range 10 {
		if err := signInErr(t, attacker, "victim", fmt.Sprintf("guess number %d", i)); codeOf(err) != connect.CodeUnauthenticated {
			t.Fatalf("guess %d: %v, want unauthenticated", i+1, err)
		}
	}
	// In order: the owner's success at the end resets the account.
	for _, tt := range []struct {
		name     string
		c        *api
		username string
		want     connect.Code
	}{
		{"the attacker, on the account", attacker, "victim", connect.CodeResourceExhausted},
		{"the attacker, on another account", attacker, "bystander", connect.CodeResourceExhausted},
		{"the attacker, right password, too late", attacker, "victim", connect.CodeResourceExhausted},
		{"a new address, on the locked account", newcomer, "victim", connect.CodeResourceExhausted},
		{"another address, on another account", other, "bystander", codeOK},
		{"the owner, from their known address", owner, "victim", codeOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := signInErr(t, tt.c, tt.username, testPassword)
			if tt.want == connect.CodeResourceExhausted {
				wantCode(t, err, tt.want, "too many failed sign-in attempts", "try again in")
				return
			}
			wantCode(t, err, tt.want)
		})
	}
}

// TestChangeOwnPassword: over the API, changing one's own password needs
// the current one; an admin resetting another user's needs none.
func TestChangeOwnPassword(t *testing.T) {
	s := startServer(t)
	_, admin := s.signUp("admin")
	bob, bobTok := s.createUser(admin, "bob")
	change := func(tok, name, password, current string) error {
		_, err := s.as(tok).Users.UpdateUser(ctxT(t), connect.NewRequest(&v1.UpdateUserRequest{
			User: &v1.User{Name: name, Password: password}, UpdateMask: mask("password"), CurrentPassword: current,
		}))
		return err
	}
	wantCode(t, change(bobTok, bob.GetName(), "bob's new password", ""), connect.CodeInvalidArgument, "current_password")
	wantCode(t, change(bobTok, bob.GetName(), "bob's new password", "not it at all"), connect.CodePermissionDenied, "current password")
	wantCode(t, signInErr(t, s.anon(), "bob", testPassword), codeOK)
	wantCode(t, change(bobTok, bob.GetName(), "bob's new password", testPassword), codeOK)
	wantCode(t, signInErr(t, s.anon(), "bob", "bob's new password"), codeOK)
	wantCode(t, change(admin, bob.GetName(), "reset by the admin", ""), codeOK)
	wantCode(t, signInErr(t, s.anon(), "bob", "reset by the admin"), codeOK)
}
