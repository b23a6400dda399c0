package crash

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// A plan says when to kill a run. Without watch: delay after the start
// of the first step (a negative delay never kills). With watch, a folder
// of the trial folder the commands write into ("." for the trial folder
// itself, the database's files included): delay after the progress-th
// change seen under it, so that kills land between and inside the
// commands' writes (a database commit, an output file), however long the
// work before each took.
type plan struct {
	delay    time.Duration
	watch    string
	progress int
}

// outcome is how a run of the steps went, times counted from the start
// of the first step.
type outcome struct {
	step int           // the step killed, -1 when none was
	at   time.Duration // when it was killed, or when the last step ended
	// changes is how many changes under the watched folder were seen
	// (polling every half millisecond), lastChange when the last was.
	changes    int
	lastChange time.Duration
}

// runSteps runs the scenario's steps in dir, one after the other, killing
// one as p says and then running no further step. A step that fails on its
// own is an error.
func runSteps(sc *scenario, dir string, p plan, timeout time.Duration) (outcome, error) {
	began := time.Now()
	out := outcome{step: -1}
	var w *watcher
	if p.watch != "" {
		w = &watcher{dir: filepath.Join(dir, p.watch), began: began}
		w.last = treeSignature(w.dir)
	}
	for i, args := range sc.steps {
		killed, err := runOne(sc, dir, args, began, p, w, timeout)
		if w != nil {
			out.changes, out.lastChange = w.changes, w.lastAt
		}
		if killed {
			out.step, out.at = i, time.Since(began)
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("step %d (%s): %w", i+1, shortArgs(args), err)
		}
	}
	out.at = time.Since(began)
	return out, nil
}

// A watcher counts the changes of a folder's tree between polls.
type watcher struct {
	dir     string
	began   time.Time
	last    string        // the tree as last seen
	changes int           // how many polls saw it changed
	lastAt  time.Duration // when the last change was seen, since began
}

func (w *watcher) poll() {
	if s := treeSignature(w.dir); s != w.last {
		w.last, w.changes, w.lastAt = s, w.changes+1, time.Since(w.began)
	}
}

// runOne runs one command in dir and kills it as p says (counting a delay
// without watch from began, with watch from w's p.progress-th change),
// unless it ends first; it reports whether it killed it.
func runOne(sc *scenario, dir string, args []string, began time.Time, p plan, w *watcher, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, freezetraceBin, args...)
	cmd.Dir = dir
	cmd.Env = sc.env
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return false, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var deadline, poll <-chan time.Time
	armed := false
	arm := func() {
		if !armed && p.delay >= 0 && (w == nil || w.changes >= p.progress) {
			armed = true
			if w == nil {
				deadline = time.After(time.Until(began.Add(p.delay)))
			} else {
				deadline = time.After(p.delay)
			}
		}
	}
	arm()
	if w != nil {
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		poll = tick.C
	}
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-poll:
			w.poll()
			arm()
		case <-deadline:
			if cmd.Process.Signal(syscall.SIGKILL) != nil {
				err = <-done // it had ended already
				break wait
			}
			err = <-done
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
					return true, nil
				}
			}
			break wait // it ended on its own just before the signal
		}
	}
	if w != nil {
		w.poll() // what the last poll did not see
	}
	if ctx.Err() != nil {
		return false, fmt.Errorf("no end after %v: %w", timeout, ctx.Err())
	}
	if err != nil {
		return false, fmt.Errorf("%w; stderr: %s", err, lastLines(stderr.String(), 4))
	}
	return false, nil
}

// treeSignature sums up what is under dir: every entry's path, size and
// modification time ("" when dir is absent).
func treeSignature(dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil {
			fmt.Fprintf(&b, "%s %d %d\n", p, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return b.String()
}

// environment is the commands' environment: this process's, without
// anything that would point freezetrace at a real database, node or
// explorer, and with the user's cache folder under cache.
func environment(cache string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "FREEZETRACE_") || k == "ETHERSCAN_API_KEY" || k == "XDG_CACHE_HOME" || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "XDG_CACHE_HOME="+cache, "HOME="+cache, "NO_COLOR=1")
}

// copyTree copies the folder src (files and folders; it may be absent
// parts-wise, never src itself) to dst, which must not exist.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("copy %s: not a regular file", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func nameHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func shortArgs(args []string) string {
	var parts []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") || len(parts) < 2 {
			parts = append(parts, a)
		}
		if len(parts) >= 4 {
			break
		}
	}
	return strings.Join(parts, " ") + " …"
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
