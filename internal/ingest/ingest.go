// Package ingest wires the file readers of the adapters to the store: it
// begins an import in the store, reads the file into it and commits it, so
// that each file is stored whole or not at all, with its provenance. The
// store judges every row against what it holds (identical rows are
// counted, contradicting ones stop the import unless Options.Replace). The
// adapters themselves know nothing of each other (chains/etl reads into an
// etl.Sink, chains/tron into a tron.FileSink).
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/etl"
	"freezetrace/chains/store"
	"freezetrace/chains/tron"
)

// Options say how a file is stored.
type Options struct {
	// Replace lets the file's rows replace the stored rows they contradict
	// (recorded in the imports table); without it such a row is an error
	// and nothing of the file is stored.
	Replace bool
}

// ETLFile imports one ethereum-etl file into db, as o says (none: the
// zero Options; more than one is a mistake and refused). The store
// compares the file's rows with the stored ones before it takes the write
// lock; if a reorganisation or a replacing import changed stored rows
// meanwhile (store.ErrChanged), the file is imported once more holding the
// lock throughout.
func ETLFile(ctx context.Context, db *store.DB, path string, opt etl.Options, o ...Options) (etl.Result, error) {
	how, err := one(o)
	if err != nil {
		return etl.Result{File: path, Format: opt.Format}, err
	}
	for exclusive := false; ; exclusive = true {
		r, size, err := etl.Open(path)
		if err != nil {
			return etl.Result{File: path, Format: opt.Format}, err
		}
		res, err := load(ctx, db, r, path, size, opt, how, exclusive)
		r.Close()
		if !errors.Is(err, store.ErrChanged) || exclusive {
			return res, err
		}
	}
}

// ETL imports the ethereum-etl CSV read from r, named name in messages and
// provenance, as o says (see ETLFile); size (0 if unknown) estimates its
// length in bytes. It cannot read r again: store.ErrChanged is returned.
func ETL(ctx context.Context, db *store.DB, r io.Reader, name string, size int64, opt etl.Options, o ...Options) (etl.Result, error) {
	how, err := one(o)
	if err != nil {
		return etl.Result{File: name, Format: opt.Format}, err
	}
	return load(ctx, db, r, name, size, opt, how, false)
}

// one is the Options of a variadic argument.
func one(o []Options) (Options, error) {
	switch len(o) {
	case 0:
		return Options{}, nil
	case 1:
		return o[0], nil
	}
	return Options{}, errors.New("ingest: more than one Options")
}

func load(ctx context.Context, db *store.DB, r io.Reader, name string, size int64, opt etl.Options, o Options, exclusive bool) (etl.Result, error) {
	if err := etl.Check(name, opt); err != nil {
		return etl.Result{File: name, Format: opt.Format}, err
	}
	im, err := db.BeginImport(ctx, store.ImportInfo{Chain: opt.Chain, File: name, Format: string(opt.Format),
		Time: opt.Time, ExpectedRows: etl.ExpectedRows(opt.Format, size), Replace: o.Replace, Exclusive: exclusive})
	if err != nil {
		return etl.Result{File: name, Format: opt.Format}, err
	}
	defer im.Rollback()
	res, err := etl.Load(ctx, r, name, opt, im)
	if err != nil {
		return res, err
	}
	// Rows the importer found repeated in the file are in its Skipped;
	// Commit adds the repeats to Skipped itself.
	c, err := im.Commit(ctx, store.ImportCounts{Read: res.Read, Added: res.Added, Skipped: res.Skipped - res.Repeated, Repeated: res.Repeated})
	if err != nil {
		return res, err
	}
	res.Added, res.Skipped, res.Stored, res.Repeated, res.Replaced = c.Added, c.Skipped, c.Stored, c.Repeated, c.Replaced
	return res, nil
}

// TronscanFile imports one Tronscan TRC-20 export (see tron.ReadTronscan)
// into db, retrying as ETLFile does. The figures are the store's.
func TronscanFile(ctx context.Context, db *store.DB, path string, now time.Time, o Options) (store.ImportCounts, error) {
	for exclusive := false; ; exclusive = true {
		c, err := tronscan(ctx, db, path, now, o, exclusive)
		if !errors.Is(err, store.ErrChanged) || exclusive {
			return c, err
		}
	}
}

func tronscan(ctx context.Context, db *store.DB, path string, now time.Time, o Options, exclusive bool) (store.ImportCounts, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.ImportCounts{}, chains.Invalid(fmt.Errorf("import: %w", err))
	}
	defer f.Close()
	im, err := db.BeginImport(ctx, store.ImportInfo{Chain: chains.Tron, File: path, Format: "tronscan", Time: now,
		Replace: o.Replace, Exclusive: exclusive})
	if err != nil {
		return store.ImportCounts{}, err
	}
	defer im.Rollback()
	res, err := tron.ImportTronscan(ctx, f, path, tron.ExportOptions{}, im)
	if err != nil {
		return store.ImportCounts{}, err
	}
	return im.Commit(ctx, store.ImportCounts{Read: res.Read, Added: res.Added, Skipped: res.Skipped, Repeated: res.Repeated})
}
