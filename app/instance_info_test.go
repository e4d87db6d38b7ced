package app_test

import (
	"testing"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/app"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

func TestInstanceInfo(t *testing.T) {
	s := startServer(t, func(cfg *app.Config) { cfg.MaxUploadBytes = 3 << 20 })
	info := func() *v1.GetInstanceInfoResponse {
		t.Helper()
		resp, err := s.anon().Auth.GetInstanceInfo(ctxT(t), connect.NewRequest(&v1.GetInstanceInfoRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Msg
	}
	if i := info(); !i.FirstSignUp || !i.AllowSignUp || i.MaxUploadBytes != 3<<20 {
		t.Fatalf("empty instance: %v", i)
	}
	_, admin := s.signUp("admin")
	if i := info(); i.FirstSignUp || i.AllowSignUp || i.DisallowPublicVisibility {
		t.Fatalf("after the first sign-up: %v", i)
	}
	if _, err := s.as(admin).System.UpdateSystemSetting(ctxT(t), connect.NewRequest(&v1.UpdateSystemSettingRequest{
		Setting: &v1.SystemSetting{AllowSignUp: true, DisallowPublicVisibility: true}, UpdateMask: mask("allow_sign_up", "disallow_public_visibility"),
	})); err != nil {
		t.Fatal(err)
	}
	if i := info(); !i.AllowSignUp || !i.DisallowPublicVisibility {
		t.Fatalf("after the admin opened sign-up: %v", i)
	}
}
