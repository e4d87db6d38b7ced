package server

import (
	"strings"
	"testing"

	"github.com/memoria-app/memoria/rules"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func TestMaskPaths(t *testing.T) {
	allowed := []string{"content", "visibility", "pinned", "resources"}
	good := map[string]struct {
		paths []string
		want  []string
	}{
		"one path":       {[]string{"content"}, []string{"content"}},
		"all paths":      {allowed, allowed},
		"duplicate path": {[]string{"pinned", "pinned"}, []string{"pinned"}},
	}
	for name, tt := range good {
		t.Run(name, func(t *testing.T) {
			got, err := maskPaths(&fieldmaskpb.FieldMask{Paths: tt.paths}, allowed...)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, p := range tt.want {
				if !got[p] {
					t.Errorf("missing %q in %v", p, got)
				}
			}
		})
	}
	bad := map[string]struct {
		mask *fieldmaskpb.FieldMask
		msgs []string
	}{
		"nil mask":        {nil, []string{"update_mask is required", "content, visibility, pinned, resources"}},
		"empty mask":      {&fieldmaskpb.FieldMask{}, []string{"update_mask is required"}},
		"unknown path":    {&fieldmaskpb.FieldMask{Paths: []string{"content", "creator"}}, []string{`update_mask: unknown field "creator"`, "allowed paths: content, pinned, resources, visibility"}},
		"camelCase path":  {&fieldmaskpb.FieldMask{Paths: []string{"createTime"}}, []string{`unknown field "createTime"`}},
		"wildcard":        {&fieldmaskpb.FieldMask{Paths: []string{"*"}}, []string{`unknown field "*"`}},
		"empty path":      {&fieldmaskpb.FieldMask{Paths: []string{""}}, []string{`unknown field ""`}},
		"nested path":     {&fieldmaskpb.FieldMask{Paths: []string{"content.text"}}, []string{`unknown field "content.text"`}},
		"output-only tag": {&fieldmaskpb.FieldMask{Paths: []string{"tags"}}, []string{`unknown field "tags"`}},
	}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := maskPaths(tt.mask, allowed...)
			if rules.ErrorCode(err) != rules.CodeInvalidArgument {
				t.Fatalf("error = %v, want InvalidArgument", err)
			}
			for _, m := range tt.msgs {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q does not contain %q", err, m)
				}
			}
		})
	}
}

func TestNameID(t *testing.T) {
	good := map[string]struct {
		name string
		want int64
	}{"memo": {"memos/1", 1}, "big": {"memos/9223372036854775807", 1<<63 - 1}}
	for n, tt := range good {
		t.Run(n, func(t *testing.T) {
			id, err := nameID("name", tt.name, "memos")
			if err != nil || id != tt.want {
				t.Fatalf("nameID(%q) = %d, %v", tt.name, id, err)
			}
		})
	}
	bad := map[string]struct{ name, msg string }{
		"empty":          {"", "name is required (memos/{id})"},
		"other kind":     {"users/1", `name "users/1" is not a valid name; want memos/{id}`},
		"zero":           {"memos/0", "not a valid name"},
		"negative":       {"memos/-1", "not a valid name"},
		"leading zero":   {"memos/01", "not a valid name"},
		"plus sign":      {"memos/+1", "not a valid name"},
		"trailing slash": {"memos/1/", "not a valid name"},
		"overflow":       {"memos/9223372036854775808", "not a valid name"},
		"bare id":        {"1", "not a valid name"},
	}
	for n, tt := range bad {
		t.Run(n, func(t *testing.T) {
			_, err := nameID("name", tt.name, "memos")
			if rules.ErrorCode(err) != rules.CodeInvalidArgument || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("nameID(%q) error = %v, want InvalidArgument containing %q", tt.name, err, tt.msg)
			}
		})
	}
}
