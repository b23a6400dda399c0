package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"freezetrace/chains/store"
	"freezetrace/chains/untrusted"
)

// dbImportsCommand is `freezetrace db imports`: the imports table.
func dbImportsCommand() *cli.Command {
	return &cli.Command{
		Name:  "imports",
		Usage: "the imported files, oldest first: rows read, added, skipped, already stored and replaced",
		Flags: []cli.Flag{dbFlag()},
		Action: func(c *cli.Context) error {
			db, err := dbPath(c)
			if err != nil {
				return err
			}
			return runDBImports(c.Context, db, c.App.Writer)
		},
	}
}

func runDBImports(ctx context.Context, path string, w io.Writer) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return usagef("freezetrace import --db "+path+" --format FORMAT FILE…", "db imports: no database at %s", path)
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	recs, err := db.Imports(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IMPORTED (UTC)\tCHAIN\tFORMAT\tREAD\tADDED\tSKIPPED\tALREADY STORED\tREPLACED\tLAST BLOCK\tFILE")
	for _, r := range recs {
		replaced := fmt.Sprint(r.Replaced)
		if !r.ReplaceAllowed {
			replaced = "-" // imported without --replace
		}
		// File names and formats were given by users: third-party text.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%d\t%s\n", r.Time.Format("2006-01-02 15:04:05"), r.Chain,
			untrusted.Terminal(r.Format), r.Read, r.Added, r.Skipped, r.Stored, replaced, r.MaxBlock, untrusted.Terminal(r.File))
	}
	if len(recs) == 0 {
		fmt.Fprintln(tw, "(none)\t\t\t\t\t\t\t\t\t")
	}
	return tw.Flush()
}
