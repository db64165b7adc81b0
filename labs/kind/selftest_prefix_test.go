package kind

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// selftestLabPrefix is scenarios/selftest's LabPrefix, which starts the
// name of every lab `ckat selftest` makes, so its kind clusters are named
// ClusterName(selftestLabPrefix + scenario). This package cannot import
// selftest (selftest → session → providers → kind is a cycle), so the
// value is repeated here and TestSelftestLabPrefix keeps it in step.
const selftestLabPrefix = "st-"

func TestSelftestLabPrefix(t *testing.T) {
	const file = "../../scenarios/selftest/selftest.go"
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var lit *ast.BasicLit
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				for i, n := range v.Names {
					if n.Name == "LabPrefix" && i < len(v.Values) {
						lit, _ = v.Values[i].(*ast.BasicLit)
					}
				}
			}
		}
	}
	if lit == nil || lit.Kind != token.STRING {
		t.Fatalf("%s declares no const LabPrefix = \"...\"", file)
	}
	got, err := strconv.Unquote(lit.Value)
	if err != nil || got != selftestLabPrefix {
		t.Errorf("selftest.LabPrefix is %s, labs/kind's selftestLabPrefix %q", lit.Value, selftestLabPrefix)
	}
}
