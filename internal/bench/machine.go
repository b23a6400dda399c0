package main

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// machine is what the report says about where it ran.
type machine struct {
	date      time.Time
	kernel    string // uname -sr
	cpu       string // /proc/cpuinfo's first model name
	nproc     string
	memKiB    int64 // /proc/meminfo MemTotal
	loadStart string
	goVersion string
}

// tools are the external programs besides freezetrace, with a reason
// set when one is missing.
type tools struct {
	sqlite3, sqliteVersion, sqliteSkip          string
	python, pythonVersion, networkx, pythonSkip string
}

// vcs is the commit a freezetrace binary was built from, when known.
type vcs struct {
	revision string
	modified bool
	known    bool
}

// output runs a short command and returns its trimmed stdout, "" on
// failure.
func output(ctx context.Context, dir, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func machineInfo(ctx context.Context) machine {
	m := machine{date: time.Now().UTC(), loadStart: loadAverage()}
	m.kernel = orUnknown(output(ctx, "", "uname", "-sr"))
	m.nproc = output(ctx, "", "nproc")
	if m.nproc == "" {
		m.nproc = strconv.Itoa(runtime.NumCPU())
	}
	m.cpu = "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for l := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for l := range strings.Lines(string(b)) {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				m.memKiB, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	m.goVersion = orUnknown(strings.TrimPrefix(output(ctx, "", "go", "version"), "go version "))
	return m
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func findTools(ctx context.Context) tools {
	var t tools
	if p, err := exec.LookPath("sqlite3"); err != nil {
		t.sqliteSkip = "sqlite3 not installed"
	} else {
		t.sqlite3 = p
		t.sqliteVersion = orUnknown(strings.Join(first(strings.Fields(output(ctx, "", p, "--version")), 2), " "))
	}
	// The first python3 with networkx: the one on PATH, else Debian's
	// (python3-networkx installs there).
	t.pythonSkip = "python3 not installed"
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		nx := output(ctx, "", p, "-c", "import networkx; print(networkx.__version__)")
		if t.python == "" || nx != "" {
			t.python = p
			t.pythonVersion = orUnknown(strings.TrimPrefix(output(ctx, "", p, "--version"), "Python "))
			t.networkx, t.pythonSkip = nx, "networkx not installed"
		}
		if nx != "" {
			t.pythonSkip = ""
			break
		}
	}
	return t
}

// vcsInfo is the commit bin was built from: stamped in the binary, or, when
// the driver built it from root just now, root's checkout.
func vcsInfo(ctx context.Context, bin, root string, built bool) vcs {
	var v vcs
	for l := range strings.Lines(output(ctx, "", "go", "version", "-m", bin)) {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == "build" {
			if k, val, ok := strings.Cut(f[1], "="); ok {
				switch k {
				case "vcs.revision":
					v.revision, v.known = val, true
				case "vcs.modified":
					v.modified = val == "true"
				}
			}
		}
	}
	if v.known || !built {
		return v
	}
	if v.revision = output(ctx, root, "git", "rev-parse", "HEAD"); v.revision == "" {
		return v
	}
	v.known = true
	// Read-only: GIT_OPTIONAL_LOCKS=0 keeps status from refreshing the index.
	// The benchmark outputs themselves (make bench has just rewritten
	// bench-results.txt and the markdown files) do not make the code
	// modified.
	cmd := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no", "--",
		".", ":!bench-results.txt", ":!docs/benchmarks.md", ":!docs/benchmarks-screen.md")
	cmd.Dir, cmd.Env = root, append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	if out, err := cmd.Output(); err == nil {
		v.modified = strings.TrimSpace(string(out)) != ""
	}
	return v
}

func first(xs []string, n int) []string { return xs[:min(n, len(xs))] }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
