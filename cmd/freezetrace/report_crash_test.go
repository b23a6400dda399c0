package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// reportBinary is the freezetrace command TestMain puts on PATH: this test
// binary, running main in a process of its own, which a test can kill.
func reportBinary(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("freezetrace")
	if err != nil {
		t.Fatalf("no freezetrace on PATH (TestMain puts it there): %v", err)
	}
	return p
}

// bigTrace writes to dst the golden trace with n more exchanges, named
// prefix and a number, each a deposit address of its own holding 1 USDT
// split off a deposit address of the trace, so that the report has a
// folder per exchange and the trace still conserves taint. The holdings
// are dropped (none read).
func bigTrace(t *testing.T, dst, prefix string, n int) {
	t.Helper()
	editTrace(t, goldenTrace, dst, func(r *trace.Result) {
		r.Holdings = nil
		at := slices.IndexFunc(r.Endpoints, func(e trace.Endpoint) bool { return e.Kind == trace.KindExchange && len(e.BySource) == 1 })
		if at < 0 {
			t.Fatal("the golden trace has no exchange endpoint with one source")
		}
		one := chains.NewAmount(1_000_000)
		for i := range n {
			e := r.Endpoints[at]
			rest, ok := e.Amount.Sub(one)
			if !ok {
				t.Fatalf("endpoint %s holds too little to split %d times", e.Address, n)
			}
			r.Endpoints[at].Amount = rest
			r.Endpoints[at].BySource = []trace.Share{{Source: e.BySource[0].Source, Amount: rest}}
			s := sha256.Sum256(fmt.Appendf(nil, "%s %d", prefix, i))
			e.Address = chains.NewAddress(e.Address.Family(), [20]byte(s[:20]))
			e.Entity = fmt.Sprintf("%s %03d", prefix, i)
			e.Amount, e.BySource = one, []trace.Share{{Source: e.BySource[0].Source, Amount: one}}
			e.Labels = nil
			r.Endpoints = append(r.Endpoints, e)
		}
	})
}

// readTree returns every file under dir by slash-separated name; nil when
// dir does not exist.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return out
}

// manifestProblem is what `sha256sum -c MANIFEST.sha256` and a listing of
// the folder would find wrong with a report's files: "" when every file
// the manifest lists is there with that SHA-256 and no other file is.
func manifestProblem(files map[string][]byte) string {
	m, ok := files["MANIFEST.sha256"]
	if !ok {
		return fmt.Sprintf("%d files and no MANIFEST.sha256", len(files))
	}
	listed := map[string]bool{"MANIFEST.sha256": true}
	for _, line := range strings.Split(strings.TrimSuffix(string(m), "\n"), "\n") {
		digest, name, ok := strings.Cut(line, "  ")
		if !ok {
			return fmt.Sprintf("manifest line %q", line)
		}
		listed[name] = true
		b, ok := files[name]
		if !ok {
			return "the manifest lists " + name + ", which is missing"
		}
		if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != digest {
			return name + " does not have the SHA-256 the manifest lists"
		}
	}
	for name := range files {
		if !listed[name] {
			return name + " is present and not listed"
		}
	}
	return ""
}

func sameTree(a, b map[string][]byte) bool {
	return a != nil && b != nil && maps.EqualFunc(a, b, bytes.Equal)
}

// writeCase writes a case file for goldenTrace with the given reference.
func writeCase(t *testing.T, path, ref string) string {
	t.Helper()
	text := "reference: " + ref + "\nsender: victim\nrequester:\n  organisation: Org\n  email: a@b.example\nactions: [freeze]\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// hidden lists the entries of dir other than those named keep.
func hidden(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !slices.Contains(keep, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// writing reports whether a report run started at start has begun
// writing files: into its temporary folder beside out, or (as it did
// before) into out, its manifest first.
func writing(out string, start time.Time) bool {
	entries, _ := os.ReadDir(filepath.Dir(out))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+filepath.Base(out)+".tmp-") {
			if kids, _ := os.ReadDir(filepath.Join(filepath.Dir(out), e.Name())); len(kids) > 0 {
				return true
			}
		}
	}
	st, err := os.Stat(filepath.Join(out, "MANIFEST.sha256"))
	return err == nil && !st.ModTime().Before(start)
}

// movedAside reports whether a report run has moved the earlier report in
// out aside, ".out.old-N".
func movedAside(out string) bool {
	entries, _ := os.ReadDir(filepath.Dir(out))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+filepath.Base(out)+".old-") {
			return true
		}
	}
	return false
}

// TestReportCrashSafe kills `freezetrace report` with SIGKILL at random
// points of its run, over and over, alternating two cases with different
// recipients written into the same --out, and after every kill checks the
// folder: absent, or the complete earlier report, or the complete new one,
// by its manifest (every file it lists present with its SHA-256, none
// present that it does not list) and byte for byte. A third of the kills
// fall anywhere in the run, a third while the files are being written, a
// third around the renames that put the new report in place. At the end
// a run that completes leaves nothing beside the folder.
// Before, files were written in place, the manifest first: a kill left a
// manifest listing files that were missing or truncated, or the earlier
// case's files beside the new manifest.
func TestReportCrashSafe(t *testing.T) {
	const kills = 50
	bin := reportBinary(t)
	work := t.TempDir()
	traces := []string{filepath.Join(work, "a.json"), filepath.Join(work, "b.json")}
	bigTrace(t, traces[0], "Alpha", 12)
	bigTrace(t, traces[1], "Beta", 12)
	cases := []string{writeCase(t, filepath.Join(work, "a.yaml"), "R-A"), writeCase(t, filepath.Join(work, "b.yaml"), "R-B")}
	args := func(k int, out string) []string {
		return []string{"report", "--trace", traces[k], "--case", cases[k], "--out", out, "--format", "md,csv,json",
			"--at", "2024-04-03T10:00:00Z"}
	}
	// The complete reports, and how long a run takes (the shorter of
	// two): in all, and from the first file written to the end.
	var want [2]map[string][]byte
	var whole, tail time.Duration
	for k := range 2 {
		ref := filepath.Join(work, fmt.Sprintf("ref%d", k), "out")
		start := time.Now()
		cmd := exec.Command(bin, args(k, ref)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var began time.Time
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
	watch:
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("report: %v", err)
				}
				break watch
			case <-time.After(200 * time.Microsecond):
				if began.IsZero() && writing(ref, start) {
					began = time.Now()
				}
			}
		}
		if began.IsZero() {
			began = time.Now()
		}
		if k == 0 || time.Since(start) < whole {
			whole, tail = time.Since(start), time.Since(began)
		}
		want[k] = readTree(t, ref)
		if p := manifestProblem(want[k]); p != "" || len(want[k]) < 120 {
			t.Fatalf("the uninterrupted report (%d files): %s", len(want[k]), p)
		}
	}
	if sameTree(want[0], want[1]) {
		t.Fatal("the two cases give the same report")
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d; a run takes %v, %v of it writing", seed, whole, tail)

	out := filepath.Join(work, "reports", "out")
	finish := func(k int) {
		t.Helper()
		if b, err := exec.Command(bin, args(k, out)...).CombinedOutput(); err != nil {
			t.Fatalf("report: %v\n%s", err, b)
		}
	}
	// The folder starts as case A's report and the runs write B over it;
	// every tenth run is left to end, and the runs after it write the
	// other case over that.
	finish(0)
	last := readTree(t, out) // the last complete report in out
	next, killed, ended := 1, 0, 0
	states := map[string]int{}
	for try := 0; killed < kills; try++ {
		if try > 4*kills {
			t.Fatalf("only %d of %d runs were killed before they ended", killed, try)
		}
		if try%10 == 9 {
			finish(next)
			last, next = want[next], 1-next
		}
		cmd := exec.Command(bin, args(next, out)...)
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Until what, then how long: a third of the kills anywhere in the
		// run, a third while files are written, a third once the
		// earlier report is moved aside (renames and clean-up).
		until, wait := func() bool { return true }, time.Duration(rng.Int64N(int64(whole+whole/10)))
		switch try % 3 {
		case 1:
			until, wait = func() bool { return writing(out, start) }, time.Duration(rng.Int64N(int64(tail+tail/5)))
		case 2:
			until, wait = func() bool { return movedAside(out) }, time.Duration(rng.Int64N(int64(2*time.Millisecond)))
		}
		for deadline := time.Now().Add(4 * whole); !until() && time.Now().Before(deadline); {
			time.Sleep(100 * time.Microsecond)
		}
		var err error
		select {
		case err = <-done:
			ended++
		case <-time.After(wait):
			cmd.Process.Kill()
			err = <-done
			killed++
		}
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		got := readTree(t, out)
		switch {
		case got == nil:
			states["absent"]++
		case manifestProblem(got) != "":
			t.Fatalf("kill %d (after %v): the folder looks like a report and is not: %s", killed, wait, manifestProblem(got))
		case sameTree(got, want[next]):
			last = got
			states["the new report"]++
		case sameTree(got, last):
			states["the earlier report"]++
		default:
			t.Fatalf("kill %d (after %v): a complete report (%d files) that is neither the earlier one nor the new one", killed, wait, len(got))
		}
		if sameTree(last, want[next]) {
			next = 1 - next
		}
	}
	t.Logf("%d runs killed, %d ended first; after them the folder was %v", killed, ended, states)
	// A run that ends writes the report and removes every leftover.
	finish(next)
	if !sameTree(readTree(t, out), want[next]) {
		t.Error("after an uninterrupted run the folder is not its report")
	}
	if left := hidden(t, filepath.Dir(out), "out"); len(left) != 0 {
		t.Errorf("left beside the folder: %v", left)
	}
}

// TestReportInterrupt: Ctrl-C (SIGINT) stops a report within a second,
// exit code 1, and leaves --out as it was: here the earlier report, with
// nothing beside it. Before, the signal was ignored until the PDFs were
// done and the report was written.
func TestReportInterrupt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send on Windows")
	}
	bin := reportBinary(t)
	work := t.TempDir()
	tr := filepath.Join(work, "trace.json")
	bigTrace(t, tr, "Alpha", 40)
	cs := writeCase(t, filepath.Join(work, "case.yaml"), "R-1")
	out := filepath.Join(work, "reports", "out")
	if err := exec.Command(bin, "report", "--trace", goldenTrace, "--case", cs, "--out", out, "--format", "md").Run(); err != nil {
		t.Fatal(err)
	}
	earlier := readTree(t, out)
	// Every format: the PDFs and graphs of 43 recipients take seconds.
	cmd := exec.Command(bin, "report", "--trace", tr, "--case", cs, "--out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Wait until it has started its temporary folder (at most a second),
	// then a little more: it is rendering.
	for deadline := time.Now().Add(time.Second); len(hidden(t, filepath.Dir(out), "out")) == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 20 s after SIGINT")
	}
	took := time.Since(sent)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInternal || !strings.Contains(stderr.String(), "interrupted") {
		e := stderr.String()
		t.Fatalf("after SIGINT: %v, stderr ending %q; want exit %d, interrupted", err, e[max(0, len(e)-200):], exitInternal)
	}
	if took > time.Second {
		t.Errorf("stopped %v after SIGINT, want within a second", took)
	}
	if !sameTree(readTree(t, out), earlier) {
		t.Error("after the interrupt --out is not the earlier report")
	}
	if left := hidden(t, filepath.Dir(out), "out"); len(left) != 0 {
		t.Errorf("left beside the folder: %v", left)
	}
}

// TestReportOutErrors: an --out that cannot take a report is a one-line
// usage error (exit 2) naming it and why, and nothing is written or
// removed.
func TestReportOutErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "out.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	mine := filepath.Join(dir, "mine")
	os.MkdirAll(mine, 0o755)
	os.WriteFile(filepath.Join(mine, "notes.txt"), []byte("mine"), 0o644)
	cs := goldenCase(t)
	cases := []struct {
		name, out, want string
	}{
		{"ErrOutIsFile", file, "--out " + file + ": is a file, not a folder"},
		{"ErrParentIsFile", filepath.Join(file, "report"), "--out " + filepath.Join(file, "report") + ": cannot write in " + file + ": a part of the path is a file"},
		{"ErrNotAReport", mine, "--out " + mine + ": holds 1 file that a new report would delete (notes.txt): it is not a report (no MANIFEST.sha256); give a new or empty folder, or move them away"},
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		cases = append(cases, struct{ name, out, want string }{"ErrUnwritable", filepath.Join(ro, "out"), "cannot write in " + ro + ": permission denied"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "report", "--trace", goldenTrace, "--case", cs, "--out", c.out, "--at", "2024-04-03T10:00:00Z")
			first, _, _ := strings.Cut(stderr, "\n")
			if code != exitUsage || first != "freezetrace: "+c.want || !strings.Contains(stderr, "Try: freezetrace report --out DIR") {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, exitUsage, "freezetrace: "+c.want)
			}
		})
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Error("out.txt was changed")
	}
	if b, _ := os.ReadFile(filepath.Join(mine, "notes.txt")); string(b) != "mine" {
		t.Error("mine/notes.txt was changed or removed")
	}
	if left := hidden(t, dir, "out.txt", "mine", "ro"); len(left) != 0 {
		t.Errorf("left in the folder: %v", left)
	}
}
