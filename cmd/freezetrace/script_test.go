package main

import (
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts run the real CLI: "exec freezetrace" starts
// this test binary again as a process of its own that runs main.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"freezetrace": main})
}

// TestScripts runs testdata/script/*.txtar: the CLI end to end, one
// process per command, checking what it prints and its exit code. The
// scripts find the pigbutcher fixture's files in $FIXTURE, the example
// case file at $CASE_FILE, and a loopback address where nothing listens
// in $REFUSED. No script reaches the network. Besides testscript's own
// commands, "exitcode N PROGRAM ARGS…" runs a program as exec does and
// fails unless it exits with status N.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	refused := refusedAddr(t)
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"exitcode": exitCode},
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURE", filepath.Join(root, "fixtures", "pigbutcher"))
			env.Setenv("CASE_FILE", filepath.Join(root, "fixtures", "case.example.yaml"))
			env.Setenv("REFUSED", refused)
			// The default database lives under the user's cache directory:
			// here, inside the script's own directory.
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			return nil
		},
	})
}

// exitCode is the scripts' "exitcode N PROGRAM ARGS…".
func exitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROGRAM [ARGS…]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// refusedAddr returns a loopback host:port that refuses connections: a
// port that was listened on, then closed.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
