package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/memoria-app/memoria"

// prometheus is the prefix of the Prometheus client libraries.
const prometheus = "github.com/prometheus/"

// forbidden lists, for each package of ours, the import-path prefixes its
// dependencies (direct or not) must not include: the directions of
// ../shared/ARCHITECTURE.md. "ours" stands for every package of this module.
// Prometheus stays in metrics/: the others report through plain-Go
// observer interfaces.
var forbidden = map[string][]string{
	"rules":   {"connectrpc.com/", module + "/gen/", module + "/server", module + "/bot", module + "/app", module + "/metrics", "github.com/PaulSonOfLars/gotgbot", prometheus},
	"bot":     {"connectrpc.com/", module + "/gen/", module + "/server", module + "/app", module + "/metrics", prometheus},
	"store":   {"connectrpc.com/", module + "/gen/", module + "/rules", module + "/server", module + "/bot", module + "/app", module + "/metrics", "github.com/PaulSonOfLars/gotgbot", prometheus},
	"server":  {module + "/bot", module + "/app", module + "/metrics", "github.com/PaulSonOfLars/gotgbot", prometheus},
	"tgtoken": {"ours"},
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list %v: %v\n%s", args, err, stderr)
	}
	return strings.Fields(string(out))
}

// TestImportDirections fails when a package depends on one it must not
// (e.g. the bot on the Connect edge, the rules on generated code).
func TestImportDirections(t *testing.T) {
	for pkg, bad := range forbidden {
		t.Run(pkg, func(t *testing.T) {
			path := module + "/" + pkg
			for _, dep := range goList(t, "-deps", "-f", "{{.ImportPath}}", "./"+pkg) {
				if dep == path {
					continue
				}
				for _, b := range bad {
					if b == "ours" && strings.HasPrefix(dep, module+"/") || b != "ours" && strings.HasPrefix(dep, b) {
						t.Errorf("%s depends on %s", pkg, dep)
					}
				}
			}
		})
	}
}

// TestEveryPackageHasDocGo: each package says in a doc.go what it holds
// and how data moves through it.
func TestEveryPackageHasDocGo(t *testing.T) {
	for _, dir := range goList(t, "-f", "{{.Dir}}", "./...") {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(wd, dir)
		if strings.HasPrefix(rel, "gen"+string(filepath.Separator)) {
			continue // generated
		}
		if _, err := os.Stat(filepath.Join(dir, "doc.go")); err != nil {
			t.Errorf("package %s has no doc.go", rel)
		}
	}
}
