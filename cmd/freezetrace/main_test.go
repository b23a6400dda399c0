package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runCLI runs freezetrace in-process with args (without the program name)
// and returns the exit code and what it printed.
func runCLI(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"freezetrace"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "freezetrace ") {
		t.Fatalf("--version: code %d, out %q", code, out)
	}
}

func TestHelpListsExitCodes(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != 0 || !strings.Contains(out, "EXIT CODES") {
		t.Fatalf("--help: code %d, out %q", code, out)
	}
}

func TestUnknownFlagIsUsageError(t *testing.T) {
	code, _, errOut := runCLI(t, "--no-such-flag")
	if code != exitUsage {
		t.Fatalf("got exit %d, want %d (stderr %q)", code, exitUsage, errOut)
	}
}

func TestEveryCommandHelpListsExitCodes(t *testing.T) {
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			args := append(append([]string{}, prefix...), c.Name)
			code, out, errOut := runCLI(t, append(args, "--help")...)
			if code != 0 || !strings.Contains(out, "EXIT CODES") {
				t.Errorf("%v --help: exit %d, no exit codes in %q (stderr %q)", args, code, out, errOut)
			}
			walk(args, c.Subcommands)
		}
	}
	walk(nil, commands())
}

// A word that is no command is a usage error with a hint; help shows the
// help, of the app or of one command.
func TestCommandWords(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string // in stdout for 0, in stderr otherwise
	}{
		{nil, 0, "COMMANDS"},
		{[]string{"help"}, 0, "COMMANDS"},
		{[]string{"help", "trace"}, 0, "freezetrace trace"},
		{[]string{"help", "nope"}, exitUsage, `no command "nope"`},
		{[]string{"nope"}, exitUsage, `unknown command "nope"`},
		{[]string{"version"}, exitUsage, "Try: freezetrace --version"},
		{[]string{"report", "--trace", dir, "--case", dir, "--out", dir + "/r"}, exitUsage, "is a directory, not a file"},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		got := errOut
		if tc.code == 0 {
			got = out
		}
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q in %q", tc.args, code, tc.code, tc.want, got)
		}
	}
}
