package crash

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The binary under test and the module it is built from, set once by
// TestMain before any test runs and only read afterwards.
var (
	freezetraceBin string
	moduleRoot     string
)

// TestMain builds the freezetrace binary once into a temporary folder, so
// that every scenario runs (and kills) the real command.
func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "crash: %v\n", err)
		return 1
	}
	root, ok := findModuleRoot(wd)
	if !ok {
		fmt.Fprintf(os.Stderr, "crash: no go.mod at or above %s\n", wd)
		return 1
	}
	dir, err := os.MkdirTemp("", "freezetrace-crash-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "crash: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "freezetrace")
	// go test puts the toolchain's bin folder first on PATH.
	build := exec.Command("go", "build", "-o", bin, "./cmd/freezetrace")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "crash: go build ./cmd/freezetrace: %v\n%s", err, out)
		return 1
	}
	freezetraceBin, moduleRoot = bin, root
	return m.Run()
}

// findModuleRoot returns the nearest folder at or above dir holding a
// go.mod.
func findModuleRoot(dir string) (string, bool) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", false
		}
		dir = up
	}
}

// config is what the environment asks of a run of the harness.
type config struct {
	Kills int    // SIGKILLs per scenario (CRASH_KILLS)
	Seed  uint64 // the random seed (CRASH_SEED)
}

// defaultKills is the quick subset that `go test ./...` runs.
const defaultKills = 3

func loadConfig(t *testing.T) config {
	t.Helper()
	c := config{Kills: defaultKills, Seed: uint64(time.Now().UnixNano())}
	if s := os.Getenv("CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("CRASH_KILLS=%q: want a positive number of kills per scenario", s)
		}
		c.Kills = n
	}
	if s := os.Getenv("CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CRASH_SEED=%q: want an unsigned integer (a seed a failing run printed)", s)
		}
		c.Seed = n
	}
	return c
}

// sharedData returns the path of parts under the shared data folder
// (../shared/data next to the module root) and fails the test, never
// skips it, when it is absent: the crash scenarios are meant to run on
// the real files wherever the harness runs (CI has them).
func sharedData(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{moduleRoot, "..", "shared", "data"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data %s is absent (%v): this scenario imports the real files of ../shared/data "+
			"(see its SOURCES.md); check out the shared data next to the repository", filepath.Join(parts...), err)
	}
	return p
}
