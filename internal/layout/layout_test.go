package layout

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowed is what each production package may import from the module;
// a package not listed may import nothing of it. chains/untrusted (the
// escapers) and chains/transport (the retrying HTTP client of the network
// adapters) are shared tools, not adapters: they import nothing;
// chains/evmlog (the EVM log decoding of the JSON-RPC and explorer
// adapters) is one too, on chains alone. Packages under cmd/ and
// internal/ (and the generator fixtures/cmd/) wire and test: they are not
// held. fixtures/ is test data that every package's tests load, so it is
// held to chains and chains/mem.
var allowed = map[string][]string{
	"chains":           {},
	"chains/untrusted": {},
	"chains/transport": {},
	"chains/etl":       {"chains", "chains/evmlog", "chains/untrusted"},
	"chains/evmlog":    {"chains"},
	"chains/evm":       {"chains", "chains/evmlog", "chains/transport", "chains/untrusted"},
	"chains/explorer":  {"chains", "chains/evmlog", "chains/transport", "chains/untrusted"},
	"chains/labels":    {"chains", "chains/untrusted"},
	"chains/mem":       {"chains"},
	"chains/store":     {"chains", "chains/untrusted"},
	"chains/tron":      {"chains", "chains/transport", "chains/untrusted"},
	"trace":            {"chains", "chains/untrusted"},
	"trace/attribute":  {"chains", "chains/untrusted", "trace"},
	"trace/screen":     {"chains", "trace"},
	"report":           {"chains", "chains/untrusted", "trace"},

	"fixtures":           {"chains", "chains/mem"},
	"fixtures/contracts": {},
}

const module = "freezetrace/"

// free are the trees whose packages may import anything.
var free = []string{"cmd/", "internal/", "fixtures/cmd/"}

func TestDependenciesPointInward(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], module)
		if slices.ContainsFunc(free, func(p string) bool { return strings.HasPrefix(pkg, p) }) {
			continue
		}
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("%s is not in the layout table: add it with what it may import", pkg)
			continue
		}
		seen++
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if dep := strings.TrimPrefix(imp, module); !slices.Contains(ok, dep) {
				t.Errorf("%s imports %s: it may import only %v from the module", pkg, dep, ok)
			}
		}
	}
	if seen < len(allowed) {
		t.Errorf("go list named %d of the %d packages in the table", seen, len(allowed))
	}
}
