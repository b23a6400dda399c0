// Package ingest wires the file readers of the adapters to the store: it
// begins an import in the store, reads the file into it and commits it, so
// that each file is stored whole or not at all, with its provenance. The
// adapters themselves know nothing of each other (chains/etl reads into an
// etl.Sink, chains/tron into a tron.Sink).
package ingest

import (
	"context"
	"io"

	"freezetrace/chains/etl"
	"freezetrace/chains/store"
)

// ETLFile imports one ethereum-etl file into db.
func ETLFile(ctx context.Context, db *store.DB, path string, opt etl.Options) (etl.Result, error) {
	r, size, err := etl.Open(path)
	if err != nil {
		return etl.Result{File: path, Format: opt.Format}, err
	}
	defer r.Close()
	return ETL(ctx, db, r, path, size, opt)
}

// ETL imports the ethereum-etl CSV read from r, named name in messages and
// provenance; size (0 if unknown) estimates its length in bytes.
func ETL(ctx context.Context, db *store.DB, r io.Reader, name string, size int64, opt etl.Options) (etl.Result, error) {
	if err := etl.Check(name, opt); err != nil {
		return etl.Result{File: name, Format: opt.Format}, err
	}
	im, err := db.BeginImport(ctx, store.ImportInfo{Chain: opt.Chain, File: name, Format: string(opt.Format),
		Time: opt.Time, ExpectedRows: etl.ExpectedRows(opt.Format, size)})
	if err != nil {
		return etl.Result{File: name, Format: opt.Format}, err
	}
	defer im.Rollback()
	res, err := etl.Load(ctx, r, name, opt, im)
	if err != nil {
		return res, err
	}
	c, err := im.Commit(ctx, store.ImportCounts{Read: res.Read, Added: res.Added, Skipped: res.Skipped})
	if err != nil {
		return res, err
	}
	res.Added = c.Added
	return res, nil
}
