package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in fixtures/report-golden")

// goldenRoot is the one tree of report goldens: fixture-case and
// fixture-case-limits are this package's fixture cases, pigbutcher is the
// pigbutcher fixture traced and reported by the CLI (cmd/freezetrace).
var goldenRoot = filepath.Join("..", "fixtures", "report-golden")

var fixtureAt = time.Date(2024, 4, 3, 10, 0, 0, 0, time.UTC)

func fixtureCaseText() string {
	return strings.NewReplacer("PAY1", txh("s1").String(), "PAY2", txh("s2").String(), "PAY3", txh("s3").String()).Replace(fixtureCase)
}

func mustCase(t testing.TB, text string) *CaseFile {
	t.Helper()
	c, err := ParseCase("case.yaml", []byte(text))
	if err != nil {
		t.Fatalf("ParseCase: %v", err)
	}
	return c
}

// renderFixture renders the fixture case in the given formats (nil: all).
func renderFixture(t testing.TB, formats ...Format) (map[string][]byte, *Summary) {
	t.Helper()
	files, sum, err := Render(context.Background(), fixtureResult(), mustCase(t, fixtureCaseText()), Options{Formats: formats, At: fixtureAt})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return files, sum
}

// golden compares got with fixtures/report-golden/tree/name, or rewrites
// it with -update.
func golden(t *testing.T, tree, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenRoot, tree, filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s: %v (run go test ./report -update)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run go test ./report -update and review the diff)\n%s", name, path, firstDiff(string(got), string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return "line " + itoa(i+1) + ":\n got: " + a + "\nwant: " + b
		}
	}
	return ""
}

func TestDumpForInspection(t *testing.T) {
	dir := os.Getenv("REPORT_DUMP")
	if dir == "" {
		t.Skip("set REPORT_DUMP=DIR to write the fixture case's files there")
	}
	_, err := Write(context.Background(), fixtureResult(), mustCase(t, fixtureCaseText()), dir, Options{At: fixtureAt})
	if err != nil {
		t.Fatal(err)
	}
}
