package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A command is one external process to measure.
type command struct {
	path  string
	args  []string
	dir   string // working directory; "" for the current one
	stdin string // a file fed on standard input; "" for none
	// stdout, when set, is a file the process's standard output is
	// written to (created or truncated) instead of being kept in memory.
	stdout string
	env    []string // nil for the driver's own environment
}

// String is the command as a shell would show it, shortened for progress
// lines: the program by its base name, hashes cut to their first bytes, and
// a flag repeated many times in a row shown once with a count.
func (c command) String() string {
	parts := []string{filepath.Base(c.path)}
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		if strings.HasPrefix(a, "--") && i+1 < len(c.args) {
			n := 1
			for i+2*n+1 < len(c.args) && c.args[i+2*n] == a {
				n++
			}
			if n > 2 {
				parts = append(parts, a, abbreviate(c.args[i+1]), fmt.Sprintf("…(%d× %s)", n, a))
				i += 2*n - 1
				continue
			}
		}
		parts = append(parts, abbreviate(a))
	}
	s := strings.Join(parts, " ")
	if c.stdin != "" {
		s += " < " + shellQuote(c.stdin)
	}
	if c.stdout != "" {
		s += " > " + shellQuote(c.stdout)
	}
	return s
}

var longHash = regexp.MustCompile(`^0x[0-9a-fA-F]{64}$`)

// abbreviate quotes a for a shell, a transaction hash cut to 10 characters.
func abbreviate(a string) string {
	if longHash.MatchString(a) {
		return a[:10] + "…"
	}
	return shellQuote(a)
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./:=,+@%-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// A result is what one run of a command measured. A run that did not
// succeed keeps why: skipped (never started), interrupted, killed at its
// timeout, or failed (did not start, or exited non-zero).
type result struct {
	wall   time.Duration
	maxRSS int64 // peak resident set in KiB (ru_maxrss on Linux)
	exit   int
	stdout string
	stderr string

	skip        string        // the run was not attempted, and why
	interrupted bool          // the driver was stopped during the run
	timeout     time.Duration // the run was killed at this timeout
	err         error         // from exec: did not start, or non-zero exit
}

// skipped is a run that was not attempted.
func skipped(why string) result { return result{skip: why} }

// ok reports whether the run happened and exited 0.
func (r result) ok() bool {
	return r.skip == "" && !r.interrupted && r.timeout == 0 && r.err == nil
}

// status is "ok" or a one-line account of what went wrong.
func (r result) status() string {
	switch {
	case r.skip != "":
		return "skipped: " + r.skip
	case r.interrupted:
		return "interrupted"
	case r.timeout != 0:
		return "timeout after " + shortDuration(r.timeout)
	case r.err != nil:
		if l := errorLine(r.stderr); l != "" {
			return "failed: " + l
		}
		return "failed: " + r.err.Error()
	}
	return "ok"
}

// measure runs c as a fresh process and measures its wall time, from just
// before start to just after exit, and its peak RSS as the OS reports it
// on exit. The process runs in a process group of its own, killed whole at
// the timeout or when ctx ends.
func measure(ctx context.Context, timeout time.Duration, c command) result {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, c.path, c.args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if c.stdin != "" {
		f, err := os.Open(c.stdin)
		if err != nil {
			return result{err: err}
		}
		defer f.Close()
		cmd.Stdin = f
	}
	if c.stdout != "" {
		f, err := os.Create(c.stdout)
		if err != nil {
			return result{err: err}
		}
		defer f.Close()
		cmd.Stdout = f
	}
	start := time.Now()
	err := cmd.Run()
	r := result{wall: time.Since(start), err: err}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	if ps := cmd.ProcessState; ps != nil {
		r.exit = ps.ExitCode()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.maxRSS = ru.Maxrss
		}
	}
	switch {
	case ctx.Err() != nil:
		r.interrupted = true
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		r.timeout = timeout
	}
	return r
}

// firstLine is s's first non-blank line, trimmed and cut to 160 bytes.
func firstLine(s string) string {
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 160 {
				l = l[:157] + "..."
			}
			return l
		}
	}
	return ""
}

// errorLine is the line of a failed run's stderr that says what went
// wrong: the first, or the last of a Python traceback.
func errorLine(stderr string) string {
	l := firstLine(stderr)
	if !strings.HasPrefix(l, "Traceback (most recent call last)") {
		return l
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	return firstLine(lines[len(lines)-1])
}

// shortDuration writes d without zero trailing units: 10m, 1h30m, 45s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// A summary is what a trace's summary on stdout says; -1 is a figure it
// does not give.
type summary struct {
	flows int // traced transfers
	steps int // ledger steps
	read  int // transfers read from the database
}

var (
	summaryRe = regexp.MustCompile(`(?m)^([0-9,]+) traced transfers, ([0-9,]+) ledger steps\.`)
	readRe    = regexp.MustCompile(`read ([0-9,]+) transfers from the database`)
)

// parseSummary reads the counts from a trace's stdout: the last
// "N traced transfers, M ledger steps." line and the last
// "read N transfers from the database".
func parseSummary(out string) summary {
	s := summary{flows: -1, steps: -1, read: -1}
	if m := summaryRe.FindAllStringSubmatch(out, -1); m != nil {
		last := m[len(m)-1]
		s.flows, s.steps = parseCount(last[1]), parseCount(last[2])
	}
	if m := readRe.FindAllStringSubmatch(out, -1); m != nil {
		s.read = parseCount(m[len(m)-1][1])
	}
	return s
}

// parseCount reads a count written with commas between thousands; -1 if
// it is not one.
func parseCount(s string) int {
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// number is what median takes.
type number interface {
	~int | ~int64 | ~float64
}

// median is the middle of xs, or the mean of the two middle values when
// there are an even number; 0 for none. xs is not modified.
func median[T number](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// fileSize is the size of path, 0 if it does not exist.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// dbSize is an SQLite database's size on disk: the file and its WAL.
func dbSize(path string) int64 { return fileSize(path) + fileSize(path+"-wal") }

// removeDB deletes an SQLite database with its WAL and shared-memory files.
func removeDB(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", p, err)
		}
	}
	return nil
}
