package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// TestProtocols: the same API over Connect (JSON and binary), gRPC (h2c)
// and gRPC-Web, on one port, with the same results and error codes.
func TestProtocols(t *testing.T) {
	s := startServer(t)
	_, adminTok := s.signUp("admin")
	content := "多语言 memo 🙂 with #tag and #标签"
	for _, p := range []protocol{connectJSON, connectProto, grpcH2C, grpcWeb} {
		t.Run(p.name, func(t *testing.T) {
			ctx := ctxT(t)
			c := s.client(p, adminTok)
			me, err := c.Auth.GetCurrentUser(ctx, req(&v1.GetCurrentUserRequest{}))
			wantCode(t, err, codeOK)
			if me.Msg.GetUser().GetUsername() != "admin" {
				t.Fatalf("GetCurrentUser = %v", me.Msg)
			}
			created, err := c.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: content, Visibility: v1.Visibility_VISIBILITY_PUBLIC}}))
			wantCode(t, err, codeOK)
			m := created.Msg
			if m.GetContent() != content || !slices.Equal(m.GetTags(), []string{"tag", "标签"}) || m.GetSource() != v1.Source_SOURCE_API ||
				m.GetCreator() != me.Msg.GetUser().GetName() || m.GetCreateTime() == nil || m.GetUpdateTime() == nil {
				t.Fatalf("CreateMemo = %v", m)
			}
			got, err := s.client(p, "").Memos.GetMemo(ctx, req(&v1.GetMemoRequest{Name: m.GetName()}))
			wantCode(t, err, codeOK)
			if !proto.Equal(got.Msg, m) {
				t.Fatalf("GetMemo = %v, want %v", got.Msg, m)
			}
			_, err = s.client(p, "").Memos.GetMemo(ctx, req(&v1.GetMemoRequest{Name: "memos/999"}))
			wantCode(t, err, connect.CodeNotFound, "memos/999 not found")
			_, err = s.client(p, "").Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{Content: "x"}}))
			wantCode(t, err, connect.CodeUnauthenticated, "sign in first")
			_, err = c.Memos.CreateMemo(ctx, req(&v1.CreateMemoRequest{Memo: &v1.Memo{}}))
			wantCode(t, err, connect.CodeInvalidArgument, "content is required")
		})
	}
}

// TestConnectJSONWire checks the proto3 JSON the web UI and curl see:
// lowerCamelCase names, enums by name, int64 as strings, field masks in
// camelCase.
func TestConnectJSONWire(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	auth := http.Header{"Authorization": {"Bearer " + tok}}
	resp, body := postJSON(t, s.URL, memoriav1connect.MemoServiceCreateMemoProcedure,
		map[string]any{"memo": map[string]any{"content": "hello #wire", "visibility": "VISIBILITY_PROTECTED", "pinned": true}}, auth)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CreateMemo: %s %s", resp.Status, body)
	}
	var memo map[string]any
	if err := json.Unmarshal(body, &memo); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"content": "hello #wire", "visibility": "VISIBILITY_PROTECTED", "pinned": true, "source": "SOURCE_API", "creator": "users/1"} {
		if memo[k] != want {
			t.Errorf("%s = %v, want %v (body %s)", k, memo[k], want, body)
		}
	}
	if tags, _ := memo["tags"].([]any); len(tags) != 1 || tags[0] != "wire" {
		t.Errorf("tags = %v", memo["tags"])
	}
	if _, ok := memo["createTime"].(string); !ok {
		t.Errorf("createTime = %v, want an RFC 3339 string", memo["createTime"])
	}

	// int64 travels as a string; the mask is camelCase in JSON.
	resp, body = postJSON(t, s.URL, memoriav1connect.UserSettingServiceUpdateUserSettingProcedure,
		map[string]any{"setting": map[string]any{"telegramUserId": "9007199254740993", "defaultVisibility": "VISIBILITY_PUBLIC"}, "updateMask": "telegramUserId,defaultVisibility"}, auth)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("UpdateUserSetting: %s %s", resp.Status, body)
	}
	if !bytes.Contains(body, []byte(`"telegramUserId":"9007199254740993"`)) || !bytes.Contains(body, []byte(`"defaultVisibility":"VISIBILITY_PUBLIC"`)) {
		t.Errorf("UpdateUserSetting body = %s", body)
	}
	resp, body = postJSON(t, s.URL, memoriav1connect.SystemSettingServiceUpdateSystemSettingProcedure,
		map[string]any{"setting": map[string]any{"allowSignUp": true}, "updateMask": "allowSignUp"}, auth)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"allowSignUp":true`)) {
		t.Fatalf("UpdateSystemSetting: %s %s", resp.Status, body)
	}

	// Errors are Connect JSON errors with the code's name.
	resp, body = postJSON(t, s.URL, memoriav1connect.MemoServiceGetMemoProcedure, map[string]any{"name": "memos/77"}, nil)
	var e struct{ Code, Message string }
	if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != http.StatusNotFound || e.Code != "not_found" || e.Message != "memos/77 not found" {
		t.Fatalf("GetMemo missing: %s %s", resp.Status, body)
	}
	// Unknown fields are refused with a message, not ignored.
	resp, body = postJSON(t, s.URL, memoriav1connect.MemoServiceGetMemoProcedure, map[string]any{"nmae": "memos/1"}, nil)
	if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(body, []byte("invalid_argument")) {
		t.Fatalf("unknown JSON field: %s %s", resp.Status, body)
	}
}

// TestReflection lists the services through gRPC server reflection, resolves
// a file descriptor and makes calls built only from what reflection said.
func TestReflection(t *testing.T) {
	s := startServer(t)
	_, tok := s.signUp("admin")
	s.createMemo(tok, "visible to all #reflect", v1.Visibility_VISIBILITY_PUBLIC)
	for _, p := range []protocol{grpcH2C, {"connect", h2c, nil}} {
		t.Run(p.name, func(t *testing.T) {
			ctx := ctxT(t)
			client := grpcreflect.NewClient(p.http, s.URL, p.opts...)
			stream := client.NewStream(ctx)
			defer stream.Close()
			services, err := stream.ListServices()
			if err != nil {
				t.Fatalf("ListServices: %v", err)
			}
			var names []string
			for _, n := range services {
				names = append(names, string(n))
			}
			for _, want := range []string{
				memoriav1connect.AuthServiceName, memoriav1connect.UserServiceName, memoriav1connect.MemoServiceName,
				memoriav1connect.ResourceServiceName, memoriav1connect.SystemSettingServiceName,
				memoriav1connect.UserSettingServiceName, memoriav1connect.BotServiceName,
			} {
				if !slices.Contains(names, want) {
					t.Errorf("reflection lists %v, without %s", names, want)
				}
			}

			files := resolve(t, stream, memoriav1connect.MemoServiceName)
			d, err := files.FindDescriptorByName(memoriav1connect.MemoServiceName)
			if err != nil {
				t.Fatal(err)
			}
			sd := d.(protoreflect.ServiceDescriptor)
			want := v1.File_memoria_v1_memo_service_proto.Services().ByName("MemoService")
			if sd.Methods().Len() != want.Methods().Len() {
				t.Fatalf("reflected MemoService has %d methods, want %d", sd.Methods().Len(), want.Methods().Len())
			}
			// Call ListMemos with messages built from the reflected descriptors.
			list := sd.Methods().ByName("ListMemos")
			out := callDynamic(t, s.URL+"/"+memoriav1connect.MemoServiceName+"/ListMemos", list, nil)
			memos := out.Get(list.Output().Fields().ByName("memos")).List()
			if memos.Len() != 1 {
				t.Fatalf("reflected ListMemos returned %d memos, want 1", memos.Len())
			}
			content := memos.Get(0).Message().Get(list.Output().Fields().ByName("memos").Message().Fields().ByName("content")).String()
			if content != "visible to all #reflect" {
				t.Fatalf("content = %q", content)
			}

			// grpc.health.v1 is resolvable and answers SERVING.
			hfiles := resolve(t, stream, "grpc.health.v1.Health")
			hd, err := hfiles.FindDescriptorByName("grpc.health.v1.Health")
			if err != nil {
				t.Fatal(err)
			}
			check := hd.(protoreflect.ServiceDescriptor).Methods().ByName("Check")
			for svc, want := range map[string]string{"": "SERVING", memoriav1connect.MemoServiceName: "SERVING"} {
				status := healthStatus(t, s.URL, check, svc)
				if status != want {
					t.Errorf("health of %q = %s, want %s", svc, status, want)
				}
			}
		})
	}
}

// resolve fetches the file that defines symbol, with its dependencies.
func resolve(t *testing.T, stream *grpcreflect.ClientStream, symbol protoreflect.FullName) *protoregistry.Files {
	t.Helper()
	fds, err := stream.FileContainingSymbol(symbol)
	if err != nil {
		t.Fatalf("FileContainingSymbol(%s): %v", symbol, err)
	}
	files, err := protodesc.NewFiles(&descriptorpb.FileDescriptorSet{File: fds})
	if err != nil {
		t.Fatalf("descriptors of %s: %v", symbol, err)
	}
	return files
}

// callDynamic makes a gRPC unary call with dynamic messages.
func callDynamic(t *testing.T, url string, m protoreflect.MethodDescriptor, set func(*dynamicpb.Message)) *dynamicpb.Message {
	t.Helper()
	client := connect.NewClient[dynamicpb.Message, dynamicpb.Message](h2c, url, connect.WithGRPC(),
		connect.WithResponseInitializer(func(_ connect.Spec, msg any) error {
			*msg.(*dynamicpb.Message) = *dynamicpb.NewMessage(m.Output())
			return nil
		}))
	in := dynamicpb.NewMessage(m.Input())
	if set != nil {
		set(in)
	}
	resp, err := client.CallUnary(ctxT(t), connect.NewRequest(in))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return resp.Msg
}

func healthStatus(t *testing.T, base string, check protoreflect.MethodDescriptor, service string) string {
	t.Helper()
	out := callDynamic(t, base+"/grpc.health.v1.Health/Check", check, func(in *dynamicpb.Message) {
		in.Set(check.Input().Fields().ByName("service"), protoreflect.ValueOfString(service))
	})
	status := check.Output().Fields().ByName("status")
	return string(status.Enum().Values().ByNumber(out.Get(status).Enum()).Name())
}

// TestHealthConnectJSON: the health check also answers plain JSON (curl).
// connectrpc.com/grpchealth's own copy of health.proto prefixes the enum
// values, so JSON says "SERVING_STATUS_SERVING" where gRPC tools (which
// read the canonical descriptor through reflection) say "SERVING".
func TestHealthConnectJSON(t *testing.T) {
	s := startServer(t)
	for _, svc := range []string{"", "memoria.v1.BotService"} {
		resp, body := postJSON(t, s.URL, "/grpc.health.v1.Health/Check", map[string]string{"service": svc}, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"status":"SERVING`)) || bytes.Contains(body, []byte("NOT_SERVING")) {
			t.Errorf("Check(%q) = %s %s", svc, resp.Status, body)
		}
	}
	resp, body := postJSON(t, s.URL, "/grpc.health.v1.Health/Check", map[string]string{"service": "no.such.Service"}, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("Check(unknown) = %s %s, want 404 not_found", resp.Status, body)
	}
}

// grpcurlPath finds a grpcurl binary: $MEMORIA_GRPCURL, tools/bin/grpcurl
// (built by `go -C tools build -o bin/grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl`)
// or grpcurl on $PATH.
func grpcurlPath() string {
	if p := os.Getenv("MEMORIA_GRPCURL"); p != "" {
		return p
	}
	if p, err := filepath.Abs(filepath.Join("..", "tools", "bin", "grpcurl")); err == nil {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	return ""
}

// TestGrpcurl runs the real grpcurl -plaintext against the server, as the
// contract promises.
func TestGrpcurl(t *testing.T) {
	bin := grpcurlPath()
	if bin == "" {
		t.Skip("grpcurl is not built: run `go -C tools build -o bin/grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl` (or set MEMORIA_GRPCURL)")
	}
	s := startServer(t)
	_, tok := s.signUp("admin")
	run := func(t *testing.T, args ...string) (string, string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, append([]string{"-plaintext"}, args...)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	t.Run("list", func(t *testing.T) {
		out, errOut, err := run(t, s.Addr, "list")
		if err != nil {
			t.Fatalf("grpcurl list: %v\n%s", err, errOut)
		}
		for _, svc := range []string{memoriav1connect.MemoServiceName, memoriav1connect.AuthServiceName, memoriav1connect.BotServiceName} {
			if !strings.Contains(out, svc+"\n") {
				t.Errorf("grpcurl list = %q, without %s", out, svc)
			}
		}
	})
	t.Run("describe", func(t *testing.T) {
		out, errOut, err := run(t, s.Addr, "describe", memoriav1connect.MemoServiceName)
		if err != nil || !strings.Contains(out, "rpc CreateMemo") {
			t.Fatalf("grpcurl describe: %v %q %s", err, out, errOut)
		}
	})
	t.Run("call", func(t *testing.T) {
		out, errOut, err := run(t, "-H", "Authorization: Bearer "+tok, "-d", `{"memo": {"content": "from grpcurl #cli"}}`, s.Addr, "memoria.v1.MemoService/CreateMemo")
		if err != nil {
			t.Fatalf("grpcurl CreateMemo: %v\n%s", err, errOut)
		}
		var m struct {
			Name, Content, Source string
			Tags                  []string
		}
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("grpcurl output %q: %v", out, err)
		}
		if m.Content != "from grpcurl #cli" || m.Source != "SOURCE_API" || !slices.Equal(m.Tags, []string{"cli"}) {
			t.Fatalf("grpcurl CreateMemo = %+v", m)
		}
	})
	t.Run("error", func(t *testing.T) {
		_, errOut, err := run(t, "-d", `{"memo": {"content": "x"}}`, s.Addr, "memoria.v1.MemoService/CreateMemo")
		if err == nil || !strings.Contains(errOut, "Code: Unauthenticated") || !strings.Contains(errOut, "sign in first") {
			t.Fatalf("anonymous CreateMemo via grpcurl: err %v, stderr %q", err, errOut)
		}
	})
	t.Run("health", func(t *testing.T) {
		out, errOut, err := run(t, s.Addr, "grpc.health.v1.Health/Check")
		if err != nil || !strings.Contains(out, `"status": "SERVING"`) {
			t.Fatalf("grpcurl health: %v %q %s", err, out, errOut)
		}
	})
}
