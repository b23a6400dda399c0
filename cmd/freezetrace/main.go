// Command freezetrace follows stolen crypto from the addresses a scam victim
// paid into, hop by hop, to where it can still be frozen, and writes the
// freeze requests that an exchange, a stablecoin issuer or a bank can act on.
//
// This package only parses flags, wires the other packages together, prints
// and sets the exit code.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/chains/untrusted"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes.
const (
	exitOK       = 0
	exitInternal = 1
	exitUsage    = 2
	// screen: an address reached --fail-on; else some are unknown.
	exitFound   = 3
	exitUnknown = 4
)

const exitCodesHelp = `EXIT CODES:
   0  success
   1  internal failure (a bug, a failing node or API, a full disk)
   2  bad usage or bad input (unknown flag, malformed file, bad address or hash)
   3  screen: an address reached --fail-on
   4  screen: no address reached --fail-on, but some are unknown (no data; see --unknown-ok)`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startProfile(os.Getenv("FREEZETRACE_CPUPROFILE"), os.Stderr)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	writeHeapProfile(os.Getenv("FREEZETRACE_MEMPROFILE"), os.Stderr)
	stop()
	os.Exit(code)
}

// startProfile writes a CPU profile of the whole run to path, when set
// (FREEZETRACE_CPUPROFILE), for `go tool pprof`; the returned function ends
// it. A profile that cannot be written is reported and the run goes on.
func startProfile(path string, stderr io.Writer) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "freezetrace: FREEZETRACE_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// writeHeapProfile writes the memory in use at the end of the run to path,
// when set (FREEZETRACE_MEMPROFILE), for `go tool pprof`.
func writeHeapProfile(path string, stderr io.Writer) {
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "freezetrace: FREEZETRACE_MEMPROFILE: %v\n", err)
	}
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	var st exitStatus
	if errors.As(err, &st) {
		return st.code
	}
	code := exitInternal
	var ie *chains.InputError
	var ue usageError
	switch {
	case errors.As(err, &ue), errors.As(err, &ie):
		code = exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "freezetrace: interrupted; everything fetched so far is kept")
		return exitInternal
	case isFlagError(err):
		code = exitUsage
	}
	// Errors quote files, explorers and nodes: third-party text.
	fmt.Fprintf(stderr, "freezetrace: %s\n", untrusted.Terminal(err.Error()))
	if ue.hint != "" {
		fmt.Fprintf(stderr, "Try: %s\n", ue.hint)
	}
	return code
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintf(c.App.Writer, "freezetrace %s\n", c.App.Version) }
	return &cli.App{
		Name:    "freezetrace",
		Usage:   "trace stolen crypto to where it can be frozen, and write the freeze requests",
		Version: version,
		Description: "freezetrace follows funds from a scam victim's payments, hop by hop, to exchange\n" +
			"deposit addresses and wallets holding freezable stablecoins, and writes the letters,\n" +
			"evidence tables and audit ledger that an exchange, an issuer or a court can act on.\n\n" +
			exitCodesHelp,
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		ExitErrHandler:       func(*cli.Context, error) {}, // run() maps errors to exit codes
		// A flag of the app's own; each command has its own hint (decorate).
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err: err, hint: "freezetrace --help"}
		},
		Commands: commands(),
		// Reached with no command, "help [COMMAND]" or a word that is no
		// command: the last is a usage error, not a missing help topic.
		Action: func(c *cli.Context) error {
			switch a := c.Args().First(); a {
			case "":
				return cli.ShowAppHelp(c)
			case "help":
				if topic := c.Args().Get(1); topic != "" {
					if c.App.Command(topic) == nil {
						return usagef("freezetrace --help", "help: no command %q", topic)
					}
					return cli.ShowCommandHelp(c, topic)
				}
				return cli.ShowAppHelp(c)
			case "version":
				return usagef("freezetrace --version", "unknown command %q", a)
			default:
				return usagef("freezetrace --help", "unknown command %q", a)
			}
		},
	}
}

// commands lists the subcommands; each lives in its own file.
func commands() []*cli.Command {
	cmds := []*cli.Command{
		importCommand(),
		dbCommand(),
		labelsCommand(),
		traceCommand(),
		clusterCommand(),
		reportCommand(),
		caseCommand(),
		statusCommand(),
		screenCommand(),
		servicesCommand(),
		// One line per command, each defined in its own file.
	}
	decorate("freezetrace", cmds)
	return cmds
}

// decorate gives every command and subcommand under parent the
// usage-error hint and the exit codes in its help; a command with
// subcommands treats words as the app does (groupAction).
func decorate(parent string, cmds []*cli.Command) {
	for _, c := range cmds {
		name := parent + " " + c.Name
		if c.OnUsageError == nil {
			hint := name + " --help"
			c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
				return usageError{err: err, hint: hint}
			}
		}
		if len(c.Subcommands) > 0 {
			c.CustomHelpTemplate = cli.SubcommandHelpTemplate + "\n" + exitCodesHelp + "\n"
			c.HideHelpCommand = true
			if c.Action == nil {
				c.Action = groupAction(name)
			}
			decorate(name, c.Subcommands)
			continue
		}
		c.CustomHelpTemplate = cli.CommandHelpTemplate + "\n" + exitCodesHelp + "\n"
	}
}

// groupAction is the action of the command name that groups subcommands,
// reached with no subcommand, "help [SUBCOMMAND]" or a word that is no
// subcommand: the last is a usage error, as it is for the app.
func groupAction(name string) cli.ActionFunc {
	return func(c *cli.Context) error {
		switch a := c.Args().First(); a {
		case "":
			return cli.ShowSubcommandHelp(c)
		case "help":
			if topic := c.Args().Get(1); topic != "" {
				if c.Command.Command(topic) == nil {
					return usagef(name+" --help", "help: no command %q in %s", topic, name)
				}
				return cli.ShowCommandHelp(c, topic)
			}
			return cli.ShowSubcommandHelp(c)
		default:
			return usagef(name+" --help", "unknown command %q in %s", a, name)
		}
	}
}

// usageError is a mistake in how the command was called; exit code 2.
type usageError struct {
	err  error
	hint string
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitStatus ends a command that has said what it found with an exit code
// other than 0 and no message (screen's 3 and 4).
type exitStatus struct{ code int }

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usagef returns a usageError with a hint.
func usagef(hint, format string, args ...any) error {
	return usageError{err: fmt.Errorf(format, args...), hint: hint}
}

func isFlagError(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "flag provided but not defined") ||
		strings.HasPrefix(s, "Required flag") || strings.HasPrefix(s, "invalid value")
}

// dbFlag is the --db flag every command that opens the database takes.
func dbFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:    "db",
		Usage:   "SQLite database `FILE` (default: " + defaultDBHelp + ")",
		EnvVars: []string{"FREEZETRACE_DB"},
	}
}

const defaultDBHelp = "$XDG_CACHE_HOME/freezetrace/freezetrace.db, ~/.cache/freezetrace/freezetrace.db on Linux"

// dbPath resolves the database path: --db, then FREEZETRACE_DB (both read by
// the flag), then the user's cache directory; and refuses, before anything
// is opened or written, a path that names no database this freezetrace can
// use (see checkDB).
func dbPath(c *cli.Context) (string, error) {
	if p := c.String("db"); p != "" {
		return p, checkDB(c.Context, "--db "+p, p)
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", usagef("freezetrace --db FILE …", "no cache directory to keep the database in (%v); give --db", err)
	}
	dir = filepath.Join(dir, "freezetrace")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	p := filepath.Join(dir, "freezetrace.db")
	return p, checkDB(c.Context, "the database "+p, p)
}

// checkDB maps what store.Check says of the database at path, named for
// the user by what, to the CLI's errors: a directory, a file that is not a
// freezetrace database, one of a newer schema and a missing directory are
// usage errors (exit code 2); a database locked for longer than Open waits
// (store.LockedError) and failures to read are internal (exit code 1).
func checkDB(ctx context.Context, what, path string) error {
	err := store.Check(ctx, path)
	var ie *chains.InputError
	// The store's messages begin with the path; the user is told how they
	// named it.
	named := func() string { return what + strings.TrimPrefix(err.Error(), path) }
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrIsDirectory):
		return usagef("--db case.db", "%s is a directory, not a database file", what)
	case errors.Is(err, store.ErrNewerSchema):
		return usagef("a newer freezetrace for this database, or --db NEW.db for a new one",
			"%s", named())
	case errors.Is(err, store.ErrNoDirectory):
		return usagef("mkdir -p "+filepath.Dir(path)+", or --db in a directory that exists",
			"%s", named())
	case errors.As(err, &ie):
		return usagef("--db FILE naming a freezetrace database, or a new file to create one",
			"%s", named())
	}
	return err
}
