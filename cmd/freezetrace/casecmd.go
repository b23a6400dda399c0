package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/report"
)

func caseCommand() *cli.Command {
	return &cli.Command{
		Name:  "case",
		Usage: "start a case file for `freezetrace report`",
		Subcommands: []*cli.Command{{
			Name:      "init",
			Usage:     "write a commented case-file template with every field of the Freeze Asset Request standard",
			ArgsUsage: "[FILE]",
			Description: "Writes the template to FILE (refusing to overwrite one) or, without FILE, to stdout. Fill it in\n" +
				"and pass it to `freezetrace report --case FILE`; it is refused until its required fields\n" +
				"(reference, sender, requester, actions) are filled in, and every empty field the letters\n" +
				"need is listed under \"before you send\" when the report is written.\n\n" +
				"Example:\n" +
				"   freezetrace case init case.yaml",
			Action: func(c *cli.Context) error {
				if c.NArg() > 1 {
					return usagef("freezetrace case init [FILE]", "case init takes at most one FILE, got %d arguments", c.NArg())
				}
				if c.NArg() == 0 {
					_, err := c.App.Writer.Write(report.CaseTemplate())
					return err
				}
				path := c.Args().First()
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
				switch {
				case errors.Is(err, os.ErrExist):
					return chains.Invalid(fmt.Errorf("case init: %s already exists; it is not overwritten", path))
				case err != nil:
					return chains.Invalid(fmt.Errorf("case init: %v", err))
				}
				if _, err := f.Write(report.CaseTemplate()); err != nil {
					f.Close()
					return fmt.Errorf("case init: write %s: %w", path, err)
				}
				if err := f.Close(); err != nil {
					return fmt.Errorf("case init: write %s: %w", path, err)
				}
				fmt.Fprintf(c.App.Writer, "wrote %s; fill it in, then: freezetrace report --trace DIR/trace.json --case %s --out DIR/report\n", path, path)
				return nil
			},
		}},
	}
}
