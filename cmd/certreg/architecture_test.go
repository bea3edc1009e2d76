package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The import graph in docs/architecture.md is the module's: every import
// between its packages (tests aside), as go list gives them.
func TestArchitectureDocMatchesImports(t *testing.T) {
	const module = "github.com/certreg/certreg/"
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, graph, ok := strings.Cut(string(doc), "<!-- import graph -->")
	graph, _, ok2 := strings.Cut(graph, "<!-- end import graph -->")
	if !ok || !ok2 {
		t.Fatal("docs/architecture.md has no import graph between its markers")
	}
	documented := map[string][]string{}
	for _, line := range strings.Split(graph, "\n") {
		pkg, imports, ok := strings.Cut(line, "→")
		if !ok {
			continue
		}
		documented[strings.TrimSpace(pkg)] = strings.Fields(imports)
	}

	// Every package of the module and everything it depends on.
	out, err := exec.Command("go", "list", "-deps", "-json", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	actual := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkg, ok := strings.CutPrefix(p.ImportPath, module)
		if !ok {
			continue
		}
		var own []string
		for _, imp := range p.Imports {
			if rest, ok := strings.CutPrefix(imp, module); ok {
				own = append(own, rest)
			}
		}
		slices.Sort(own)
		actual[pkg] = own
	}
	for pkg, imports := range actual {
		doc, ok := documented[pkg]
		switch {
		case !ok:
			t.Errorf("package %s is not in the doc's import graph; it imports %v", pkg, imports)
		case !slices.Equal(slices.Sorted(slices.Values(doc)), imports):
			t.Errorf("package %s: the doc says it imports %v, it imports %v", pkg, doc, imports)
		}
	}
	for pkg := range documented {
		if _, ok := actual[pkg]; !ok {
			t.Errorf("the doc's import graph names %s, which is no package of the module", pkg)
		}
	}
}
