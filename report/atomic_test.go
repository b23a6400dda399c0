package report

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// manyRecipients is the fixture case with n more exchanges, each a copy of
// one of its exchange endpoints under a name of its own ("NAME 007"), so
// that the report has a folder per exchange.
func manyRecipients(n int, name string) *trace.Result {
	r := fixtureResult()
	var ex []trace.Endpoint
	for _, e := range r.Endpoints {
		if e.Kind == trace.KindExchange {
			ex = append(ex, e)
		}
	}
	for i := range n {
		e := ex[i%len(ex)]
		e.Entity = fmt.Sprintf("%s %03d", name, i)
		r.Endpoints = append(r.Endpoints, e)
	}
	return r
}

// readFolder returns every file under dir by slash-separated name.
func readFolder(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// siblings lists the entries of dir's parent other than dir itself.
func siblings(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != filepath.Base(dir) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestWriteReplacesReport: a report written over an earlier one (of
// another case, with other recipients) leaves exactly the new report's
// files, none of the earlier one, and nothing beside the folder. Before,
// Write wrote in place and left the earlier case's files, which the new
// manifest did not list.
func TestWriteReplacesReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	c := mustCase(t, fixtureCaseText())
	opts := Options{At: fixtureAt, Formats: []Format{FormatMarkdown, FormatCSV, FormatJSON}}
	if _, err := Write(context.Background(), manyRecipients(3, "Earlier"), c, dir, opts); err != nil {
		t.Fatal(err)
	}
	if _, ok := readFolder(t, dir)["exchange-earlier-000/letter.md"]; !ok {
		t.Fatal("the earlier report has no exchange-earlier-000/letter.md")
	}
	r := manyRecipients(2, "Later")
	if _, err := Write(context.Background(), r, c, dir, opts); err != nil {
		t.Fatal(err)
	}
	want, _, err := Render(context.Background(), r, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := readFolder(t, dir)
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is left from the earlier report", name)
		}
	}
	if !maps.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("the folder holds %d files, the report %d, or their contents differ", len(got), len(want))
	}
	if s := siblings(t, dir); len(s) != 0 {
		t.Errorf("left beside the folder: %v", s)
	}
}

// TestWriteOutErrors: an output folder that cannot take a report is an
// input error (an OutputError) that says why, and nothing is written or
// removed.
func TestWriteOutErrors(t *testing.T) {
	c := mustCase(t, fixtureCaseText())
	write := func(dir string) error {
		_, err := Write(context.Background(), fixtureResult(), c, dir, Options{At: fixtureAt, Formats: []Format{FormatMarkdown}})
		return err
	}
	check := func(t *testing.T, err error, want string) {
		t.Helper()
		var oe *OutputError
		var ie *chains.InputError
		if !errors.As(err, &oe) || !errors.As(err, &ie) {
			t.Fatalf("error %v, want an OutputError wrapped as an input error", err)
		}
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("error %q, want one line saying %q", err, want)
		}
	}
	t.Run("ErrIsFile", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "out.txt")
		os.WriteFile(p, []byte("x"), 0o644)
		check(t, write(p), "out.txt: is a file, not a folder")
		if b, _ := os.ReadFile(p); string(b) != "x" {
			t.Error("the file was changed")
		}
	})
	t.Run("ErrParentIsFile", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "file")
		os.WriteFile(p, []byte("x"), 0o644)
		check(t, write(filepath.Join(p, "out")), "a part of the path is a file")
	})
	t.Run("ErrNotAReport", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
		check(t, write(dir), "holds 1 file that a new report would delete (notes.txt): it is not a report (no MANIFEST.sha256)")
		if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
			t.Error("notes.txt was changed or removed")
		}
		if s := siblings(t, dir); len(s) != 0 {
			t.Errorf("left beside the folder: %v", s)
		}
	})
	t.Run("ErrUnlistedFile", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		if err := write(dir); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "exchange-okx", "reply.eml"), []byte("mine"), 0o644)
		check(t, write(dir), "holds 1 file that a new report would delete (exchange-okx/reply.eml): its MANIFEST.sha256 does not list them")
	})
	t.Run("ErrUnwritable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into read-only folders; TestOutputWriteErr checks the mapping")
		}
		parent := t.TempDir()
		os.Chmod(parent, 0o555)
		defer os.Chmod(parent, 0o755)
		check(t, write(filepath.Join(parent, "out")), "cannot write in "+parent+": permission denied")
	})
}

// TestOutputWriteErr: the file system's refusals are the user's errors,
// other failures the machine's.
func TestOutputWriteErr(t *testing.T) {
	o := &outFolder{dir: "out", parent: "/srv"}
	for _, c := range []struct {
		err   error
		input bool
		want  string
	}{
		{&fs.PathError{Op: "mkdir", Path: "/srv/.out.tmp-1", Err: syscall.EACCES}, true, "report folder out: cannot write in /srv: permission denied"},
		{&fs.PathError{Op: "mkdir", Path: "/srv/.out.tmp-1", Err: syscall.EPERM}, true, "cannot write in /srv"},
		{&fs.PathError{Op: "mkdir", Path: "/srv/.out.tmp-1", Err: syscall.EROFS}, true, "cannot write in /srv: read-only file system"},
		{&fs.PathError{Op: "mkdir", Path: "/srv", Err: syscall.ENOTDIR}, true, "cannot write in /srv: a part of the path is a file"},
		{&fs.PathError{Op: "mkdir", Path: "/srv/.out.tmp-1", Err: syscall.ENOSPC}, false, "no space left on device"},
	} {
		err := o.writeErr(c.err)
		var ie *chains.InputError
		if errors.As(err, &ie) != c.input || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v (input error %v), want %q (input error %v)", c.err, err, errors.As(err, &ie), c.want, c.input)
		}
	}
}

// TestWriteCancelled: once ctx is done, Write returns its error promptly,
// though rendering has not finished, and leaves no folder and no
// temporary folder. Before, Write rendered the whole report and wrote it.
func TestWriteCancelled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	c := mustCase(t, fixtureCaseText())
	r := manyRecipients(6, "Exchange")
	start := time.Now()
	if _, _, err := Render(context.Background(), r, c, Options{At: fixtureAt}); err != nil {
		t.Fatal(err)
	}
	whole := time.Since(start)
	ctx, cancel := context.WithCancel(context.Background())
	at := make(chan time.Time, 1)
	time.AfterFunc(whole/10, func() { at <- time.Now(); cancel() })
	_, err := Write(ctx, r, c, dir, Options{At: fixtureAt})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Write returned %v, want context.Canceled", err)
	}
	// Write must not wait for the render to end.
	if took := time.Since(<-at); took > whole/2 {
		t.Errorf("Write returned %v after the cancel; the whole render takes %v", took, whole)
	}
	// The render Write stopped waiting for still runs; the next tests'
	// renders must not overlap it.
	func() { renderMu.Lock(); defer renderMu.Unlock() }()
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the folder exists after an interrupted first report (%v)", err)
	}
	if s := siblings(t, dir); len(s) != 0 {
		t.Errorf("left beside the folder: %v", s)
	}
}

// TestWriteRestoresAfterCrash: a run killed between moving the earlier
// report aside and putting the new one in place leaves no folder, the
// earlier report beside it and the new one's temporary folder. The next
// run puts the earlier report back first, so that even when it fails
// (here: interrupted) the folder is the earlier report; one that completes
// removes every leftover.
func TestWriteRestoresAfterCrash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	c := mustCase(t, fixtureCaseText())
	opts := Options{At: fixtureAt, Formats: []Format{FormatMarkdown, FormatCSV}}
	if _, err := Write(context.Background(), fixtureResult(), c, dir, opts); err != nil {
		t.Fatal(err)
	}
	earlier := readFolder(t, dir)
	parent := filepath.Dir(dir)
	if err := os.Rename(dir, filepath.Join(parent, ".out.old-123")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(parent, ".out.tmp-456", "case"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A folder of another report, whose name starts like a leftover's.
	other := filepath.Join(parent, ".out.tmp-x.tmp-1")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, fixtureResult(), c, dir, opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write: %v, want context.Canceled", err)
	}
	if got := readFolder(t, dir); !maps.EqualFunc(got, earlier, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("after the interrupted run the folder holds %d files, not the earlier report's %d", len(got), len(earlier))
	}
	if _, err := Write(context.Background(), manyRecipients(1, "Later"), c, dir, opts); err != nil {
		t.Fatal(err)
	}
	if s := siblings(t, dir); !slices.Equal(s, []string{filepath.Base(other)}) {
		t.Errorf("beside the folder: %v, want only %s", s, filepath.Base(other))
	}
}

// TestWriteDamagedEarlierNotRestored: an earlier report left aside that is
// no longer whole (its removal was cut short) is not put back.
func TestWriteDamagedEarlierNotRestored(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	c := mustCase(t, fixtureCaseText())
	opts := Options{At: fixtureAt, Formats: []Format{FormatMarkdown}}
	if _, err := Write(context.Background(), fixtureResult(), c, dir, opts); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(filepath.Dir(dir), ".out.old-7")
	if err := os.Rename(dir, old); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(old, "overview.md"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	Write(ctx, fixtureResult(), c, dir, opts)
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a damaged earlier report was put back (%v)", err)
	}
}

// TestWritePDFWithMarkdown: PDF letters name letter.md for the text they
// cut, so Write writes the Markdown letters with them.
func TestWritePDFWithMarkdown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	sum, err := Write(context.Background(), fixtureResult(), mustCase(t, fixtureCaseText()), dir, Options{At: fixtureAt, Formats: []Format{FormatPDF}})
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range sum.Recipients {
		for _, f := range []string{"letter.pdf", pdfFullText} {
			if _, err := os.Stat(filepath.Join(dir, rc.Slug, f)); err != nil {
				t.Errorf("%s/%s: %v", rc.Slug, f, err)
			}
		}
	}
}
