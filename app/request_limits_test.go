package app_test

import (
	"fmt"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// paddedSignIn is a SignIn request carrying n bytes of an unknown field,
// which the server would otherwise skip over.
func paddedSignIn(username, password string, n int) *connect.Request[v1.SignInRequest] {
	m := &v1.SignInRequest{Username: username, Password: password}
	pad := protowire.AppendTag(nil, 1000, protowire.BytesType)
	m.ProtoReflect().SetUnknown(protowire.AppendBytes(pad, make([]byte, n)))
	return connect.NewRequest(m)
}

// TestOversizedSignInRefusedUnread: SignIn accepts small bodies only. An
// oversized one is refused with resource_exhausted before anything runs:
// twenty oversized wrong guesses leave no trace in the sign-in throttle
// (ten checked ones would lock the account), and the right password with
// the same padding is refused too.
func TestOversizedSignInRefusedUnread(t *testing.T) {
	s := startServer(t)
	s.signUp("admin")
	for _, p := range []protocol{connectProto, grpcH2C, grpcWeb} {
		t.Run(p.name, func(t *testing.T) {
			c := s.client(p, "")
			_, err := c.Auth.SignIn(ctxT(t), paddedSignIn("admin", testPassword, 1<<10))
			wantCode(t, err, codeOK) // small padding: accepted
			for i := range 20 {
				_, err := c.Auth.SignIn(ctxT(t), paddedSignIn("admin", fmt.Sprintf("guess %d", i), 100<<10))
				wantCode(t, err, connect.CodeResourceExhausted)
			}
			_, err = c.Auth.SignIn(ctxT(t), paddedSignIn("admin", testPassword, 100<<10))
			wantCode(t, err, connect.CodeResourceExhausted)
			wantCode(t, signInErr(t, c, "admin", testPassword), codeOK)
		})
	}
}

// TestMemoBodyLimit: a memo just over the content limit reaches the rules
// (which name the limit); a body far over it is cut off while read.
func TestMemoBodyLimit(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	for _, p := range []protocol{connectJSON, grpcH2C} {
		t.Run(p.name, func(t *testing.T) {
			c := s.client(p, tok)
			create := func(n int) error {
				_, err := c.Memos.CreateMemo(ctxT(t), connect.NewRequest(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: strings.Repeat("a", n)}}))
				return err
			}
			wantCode(t, create(1<<20), codeOK)
			wantCode(t, create(1<<20+1), connect.CodeInvalidArgument, "content")
			wantCode(t, create(3<<20), connect.CodeResourceExhausted)
			// GetMemo is a small procedure: a large body is refused.
			m := &v1.GetMemoRequest{Name: "memos/1"}
			m.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 1000, protowire.BytesType), make([]byte, 200<<10)))
			_, err := c.Memos.GetMemo(ctxT(t), connect.NewRequest(m))
			if p.name == "connect+json" {
				// protojson drops unknown fields: the request is small.
				wantCode(t, err, codeOK)
				return
			}
			wantCode(t, err, connect.CodeResourceExhausted)
		})
	}
}
