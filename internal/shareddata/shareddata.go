// Package shareddata finds the project's shared test data: the folder
// ../shared/data next to the module root, which holds recorded mainnet
// data, real label lists and ethereum-etl exports (see its SOURCES.md).
// The data is not part of the module; a test that needs it is skipped
// where it is absent. It is for tests only and depends on nothing of the
// module.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of parts (joined as by filepath.Join) under the
// shared data folder, relative to the working directory (a package's
// folder, under go test); the folder is found from the nearest go.mod
// above it. Path skips the test when the folder or the named file is not
// there, and fails it when there is no go.mod above.
func Path(t testing.TB, parts ...string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("shared test data: %v", err)
	}
	root, ok := moduleRoot(wd)
	if !ok {
		t.Fatalf("shared test data: no go.mod at or above %s", wd)
	}
	p := filepath.Join(append([]string{root, "..", "shared", "data"}, parts...)...)
	if rel, err := filepath.Rel(wd, p); err == nil {
		p = rel
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test data %s not present: %v", filepath.Join(parts...), err)
	}
	return p
}

// moduleRoot returns the nearest folder at or above dir that holds a
// go.mod.
func moduleRoot(dir string) (string, bool) {
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
