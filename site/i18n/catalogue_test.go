package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// keyShape is what a message key looks like: dotted lower-case words.
var keyShape = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+$`)

// notKeys look like keys but are data: the kinds of the audit events
// the registry stores, and file names.
var notKeys = regexp.MustCompile(`^(body|user|apikey)\.(created|enabled|disabled|login|password|totp|revoked)$|\.(js|json|css|csv|ndjson|xlsx|xml|png|svg|atom|txt|db)$`)

// keyFuncs are the functions and methods whose argument at the index given
// is a message key: a use of a key must be a literal there, or a value
// from a table of literals (a field's Label, a status's MessageKey), never
// built by concatenation.
var keyFuncs = map[string]int{"T": 0, "Tf": 0, "Label": 0, "Lookup": 0}

// source is every string literal of the module's code (generated templ code
// included, tests and this catalogue's own files not), with where it is,
// and every key built by concatenation.
type source struct {
	literals map[string][]string // literal → positions
	built    []string            // positions of T("x." + y) and the like
}

func readSource(t *testing.T) *source {
	t.Helper()
	root := filepath.Join("..", "..")
	src := &source{literals: map[string][]string{}}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == ".git" || name == "testdata" || name == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		switch {
		case strings.HasSuffix(path, "_test.go"):
			return nil
		case strings.HasPrefix(filepath.ToSlash(rel), "site/i18n/"):
			return nil // the catalogue itself
		case strings.HasSuffix(path, ".js"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range regexp.MustCompile(`["']([a-z][a-z0-9_]*(?:\.[a-z0-9_-]+)+)["']`).FindAllStringSubmatch(string(b), -1) {
				src.literals[m[1]] = append(src.literals[m[1]], rel)
			}
			return nil
		case !strings.HasSuffix(path, ".go"):
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					if v, err := strconv.Unquote(n.Value); err == nil {
						src.literals[v] = append(src.literals[v], fset.Position(n.Pos()).String())
					}
				}
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
				}
				if i, ok := keyFuncs[name]; ok && i < len(n.Args) {
					if b, ok := n.Args[i].(*ast.BinaryExpr); ok && b.Op == token.ADD {
						src.built = append(src.built, fset.Position(n.Pos()).String())
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// Every key the code uses is in the catalogue, in both languages; every key
// of the catalogue is used, spelt out literally where it is; no key is
// built by concatenation, so that grep finds every use.
func TestCatalogueKeysUsedAndDefined(t *testing.T) {
	src := readSource(t)
	namespaces := map[string]bool{}
	for _, k := range Keys() {
		ns, _, _ := strings.Cut(k, ".")
		namespaces[ns] = true
	}
	var missing, unused []string
	for lit, where := range src.literals {
		ns, _, _ := strings.Cut(lit, ".")
		if !keyShape.MatchString(lit) || !namespaces[ns] || notKeys.MatchString(lit) {
			continue
		}
		if _, ok := Lookup(lit); !ok {
			missing = append(missing, lit+" (at "+where[0]+")")
		}
	}
	for _, k := range Keys() {
		if len(src.literals[k]) == 0 {
			unused = append(unused, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(unused)
	for _, k := range missing {
		t.Errorf("key used but not in the catalogue: %s", k)
	}
	for _, k := range unused {
		t.Errorf("key in the catalogue but used nowhere: %s", k)
	}
	for _, at := range src.built {
		t.Errorf("message key built by concatenation at %s: spell it out", at)
	}
}

// Each language of a message takes the same arguments with the same verbs
// (explicit argument indexes resolved), so that a translation can neither
// drop nor add a value; a language may leave an argument out only where
// the message numbers its arguments (a figure given in two units).
func TestCatalogueVerbsAgree(t *testing.T) {
	for _, k := range Keys() {
		m, _ := Lookup(k)
		zh, zhIndexed := argVerbs(m.ZH)
		en, enIndexed := argVerbs(m.EN)
		for i := range max(len(zh), len(en)) {
			z, e := at(zh, i), at(en, i)
			switch {
			case z != "" && e != "" && z != e:
				t.Errorf("%s: argument %d is %%%s in Chinese, %%%s in English", k, i+1, z, e)
			case (z == "") != (e == "") && !(zhIndexed && enIndexed):
				t.Errorf("%s: argument %d is used in one language only: %q / %q", k, i+1, m.ZH, m.EN)
			}
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// argVerbs returns the verb that takes each argument (by position, from 0;
// "" where none does) and whether explicit indexes were used.
func argVerbs(s string) ([]string, bool) {
	var out []string
	indexed := false
	next := 0
	re := regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])`)
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		if m[2] == "%" {
			continue
		}
		i := next
		if m[1] != "" {
			n, _ := strconv.Atoi(m[1])
			i, indexed = n-1, true
		}
		for len(out) <= i {
			out = append(out, "")
		}
		out[i] = m[2]
		next = i + 1
	}
	return out, indexed
}

func TestArgVerbs(t *testing.T) {
	got, indexed := argVerbs("证书 %[2]s 的事件 #%[1]d，%%")
	if !slices.Equal(got, []string{"d", "s"}) || !indexed {
		t.Fatalf("argVerbs = %v %v", got, indexed)
	}
}
