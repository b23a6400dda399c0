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
// of the trial folder the last step writes its outputs into: delay after
// the moment the last step has created or changed progress entries
// (files and folders) under it, so that kills land while the outputs are
// written and renamed, however long the work before took.
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
	// written is the most entries under the watched folder the last step
	// had created or changed at once, and writtenAt when it first had.
	written   int
	writtenAt time.Duration
}

// runSteps runs the scenario's steps in dir, one after the other, killing
// one as p says and then running no further step. A step that fails on its
// own is an error.
func runSteps(sc *scenario, dir string, p plan, timeout time.Duration) (outcome, error) {
	began := time.Now()
	out := outcome{step: -1}
	for i, args := range sc.steps {
		q := p
		if p.watch != "" && i < len(sc.steps)-1 {
			q = plan{delay: -1} // the outputs are the last step's
		}
		killed, w, err := runOne(sc, dir, args, began, q, timeout)
		if q.watch != "" {
			out.written, out.writtenAt = w.most, w.at
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

// watched is what runOne saw of its watched folder: the most entries
// created or changed at once, and when (since began) it first saw them.
type watched struct {
	most int
	at   time.Duration
}

// runOne runs one command in dir and kills it as p says (counting a delay
// without watch from began), unless it ends first; it reports whether it
// killed it.
func runOne(sc *scenario, dir string, args []string, began time.Time, p plan, timeout time.Duration) (bool, watched, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, freezetraceBin, args...)
	cmd.Dir = dir
	cmd.Env = sc.env
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var before map[string]bool
	if p.watch != "" {
		before = treeEntries(filepath.Join(dir, p.watch))
	}
	if err := cmd.Start(); err != nil {
		return false, watched{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var w watched
	var deadline, poll <-chan time.Time
	if p.delay >= 0 && p.watch == "" {
		deadline = time.After(time.Until(began.Add(p.delay)))
	}
	if p.watch != "" {
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
			n := changedEntries(filepath.Join(dir, p.watch), before)
			if n > w.most {
				w = watched{most: n, at: time.Since(began)}
			}
			if p.delay >= 0 && n >= p.progress {
				deadline, poll = time.After(p.delay), nil
			}
		case <-deadline:
			if cmd.Process.Signal(syscall.SIGKILL) != nil {
				err = <-done // it had ended already
				break wait
			}
			err = <-done
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
					return true, w, nil
				}
			}
			break wait // it ended on its own just before the signal
		}
	}
	if p.watch != "" {
		// What the last poll did not see.
		if n := changedEntries(filepath.Join(dir, p.watch), before); n > w.most {
			w = watched{most: n, at: time.Since(began)}
		}
	}
	if ctx.Err() != nil {
		return false, w, fmt.Errorf("no end after %v: %w", timeout, ctx.Err())
	}
	if err != nil {
		return false, w, fmt.Errorf("%w; stderr: %s", err, lastLines(stderr.String(), 4))
	}
	return false, w, nil
}

// treeEntries lists what is under dir, each entry as its path, size and
// modification time (nothing when dir is absent).
func treeEntries(dir string) map[string]bool {
	m := map[string]bool{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil {
			m[fmt.Sprintf("%s %d %d", p, info.Size(), info.ModTime().UnixNano())] = true
		}
		return nil
	})
	return m
}

// changedEntries counts the entries under dir that were not there, as
// they are, in before.
func changedEntries(dir string, before map[string]bool) int {
	n := 0
	for e := range treeEntries(dir) {
		if !before[e] {
			n++
		}
	}
	return n
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
