package shareddata_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"freezetrace/internal/shareddata"
)

// recorder notes how Path ended a test instead of ending the real one.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func call(t *testing.T, parts ...string) (*recorder, string) {
	r := &recorder{TB: t}
	var got string
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = shareddata.Path(r, parts...)
	}()
	<-done
	return r, got
}

func TestPath(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		p := shareddata.Path(t, "SOURCES.md")
		if want := filepath.Join("..", "..", "..", "shared", "data", "SOURCES.md"); p != want {
			t.Errorf("got %q, want %q", p, want)
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("stat: %v", err)
		}
	})
	t.Run("SkipAbsent", func(t *testing.T) {
		r, _ := call(t, "no-such-folder", "x.csv")
		if r.skipped == "" || r.failed != "" {
			t.Errorf("skipped %q, failed %q: want a skip", r.skipped, r.failed)
		}
	})
	t.Run("FailOutsideModule", func(t *testing.T) {
		t.Chdir(t.TempDir())
		r, _ := call(t, "SOURCES.md")
		if r.failed == "" || r.skipped != "" {
			t.Errorf("skipped %q, failed %q: want a failure", r.skipped, r.failed)
		}
	})
}
