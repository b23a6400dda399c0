// Package etl imports the CSV exports of ethereum-etl (token_transfers,
// transactions, blocks, tokens, contracts) into the store.
//
// Every importer streams its file, finds its columns by the header (order
// free, extra columns ignored) and applies the whole file in one store
// transaction: a malformed row stops the import with "file:line: what is
// wrong" and nothing of that file is stored. Re-importing a file adds
// nothing. Files ending in .gz are decompressed on the fly.
//
// Non-fungible tokens: ERC-721 Transfer events look like ERC-20 ones in
// token_transfers.csv (the value is a token id). A row is skipped as
// non-fungible when its token is known as ERC-721 to the store: from a
// tokens.csv row without decimals, or a contracts.csv row with
// is_erc721=true, imported earlier. Without that knowledge such rows cannot
// be told apart and are stored.
//
// etl depends on chains and store only; it must not depend on trace,
// report, the CLI or any network client.
package etl

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
)

// Format names an input file format.
type Format string

// The formats this package imports.
const (
	TokenTransfers Format = "etl-token-transfers" // token_transfers.csv
	Transactions   Format = "etl-transactions"    // transactions.csv (native value transfers)
	Blocks         Format = "etl-blocks"          // blocks.csv
	Tokens         Format = "etl-tokens"          // tokens.csv (symbol, decimals)
	Contracts      Format = "etl-contracts"       // contracts.csv (known contracts)
)

// importer reads one format into an open import.
type importer func(ctx context.Context, t *table, im sink, res *Result) error

// sink is where importers put what they read: a *store.Import, or a fake
// in the fuzz tests.
type sink interface {
	PutTransfers(ctx context.Context, ts []chains.Transfer) (int, error)
	PutBlocks(ctx context.Context, bs []store.Block) (added, reorged int, err error)
	PutAssets(ctx context.Context, as []chains.Asset) (int, error)
	PutNonFungible(ctx context.Context, ids []chains.AssetID, symbol string) (int, error)
	PutContracts(ctx context.Context, c chains.Chain, addrs []chains.Address, isContract bool, source string) (int, error)
	NonFungible(ctx context.Context, c chains.Chain) (map[chains.AssetID]bool, error)
	NoteBlock(n uint64)
}

var _ sink = (*store.Import)(nil)

// formats is the fixed table of formats; new formats add a row.
var formats = []struct {
	f    Format
	imp  importer
	desc string
	// rowBytes is a typical row size, used to estimate the row count.
	rowBytes int64
}{
	{TokenTransfers, importTokenTransfers, "ethereum-etl token_transfers.csv", 150},
	{Transactions, importTransactions, "ethereum-etl transactions.csv", 300},
	{Blocks, importBlocks, "ethereum-etl blocks.csv", 600},
	{Tokens, importTokens, "ethereum-etl tokens.csv", 100},
	{Contracts, importContracts, "ethereum-etl contracts.csv", 1000},
}

// Formats lists the format names in a fixed order.
func Formats() []Format {
	out := make([]Format, len(formats))
	for i, f := range formats {
		out[i] = f.f
	}
	return out
}

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	for _, f := range formats {
		if string(f.f) == strings.TrimSpace(s) {
			return f.f, nil
		}
	}
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f.f)
	}
	return "", fmt.Errorf("unknown format %q (known: %s)", s, strings.Join(names, ", "))
}

// Options say how to import a file.
type Options struct {
	Chain  chains.Chain
	Format Format
	// Time is when the import runs, recorded as its provenance.
	Time time.Time
	// Progress, when set, is called now and then with the bytes read so far.
	Progress func(read int64)
}

// Result are the figures of one imported file.
type Result struct {
	File    string
	Format  Format
	Read    int // data rows read
	Added   int // rows stored that were not stored before
	Skipped int // rows deliberately not stored; the reasons follow
	// NonFungible counts ERC-721 transfers skipped, Failed failed
	// transactions skipped, NoRecipient contract creations without the
	// created address; Zero the zero-value transfers stored (flagged).
	NonFungible, Failed, NoRecipient, Zero int
}

// ImportFile imports one file into db.
func ImportFile(ctx context.Context, db *store.DB, path string, opt Options) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{File: path, Format: opt.Format}, chains.Invalid(fmt.Errorf("import: %w", err))
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
		if err != nil {
			return Result{File: path, Format: opt.Format}, chains.Invalid(fmt.Errorf("%s: %w", path, err))
		}
		defer zr.Close()
		r, size = zr, size*5
	}
	return Import(ctx, db, r, path, size, opt)
}

// Import imports the CSV read from r, named name in messages and
// provenance; size (0 if unknown) estimates its length in bytes.
func Import(ctx context.Context, db *store.DB, r io.Reader, name string, size int64, opt Options) (Result, error) {
	res := Result{File: name, Format: opt.Format}
	var imp importer
	var rowBytes int64 = 1
	for _, f := range formats {
		if f.f == opt.Format {
			imp, rowBytes = f.imp, f.rowBytes
		}
	}
	if imp == nil {
		_, err := ParseFormat(string(opt.Format))
		return res, chains.Invalid(err)
	}
	if !opt.Chain.Valid() {
		return res, chains.Invalid(fmt.Errorf("import %s: unknown chain %q", name, string(opt.Chain)))
	}
	if opt.Chain.Family() != chains.FamilyEVM {
		return res, chains.Invalid(fmt.Errorf("import %s: %s files describe EVM chains, not %s", name, opt.Format, opt.Chain))
	}
	cr := &countingReader{r: r, progress: opt.Progress}
	t, err := newTable(cr, name, opt.Chain)
	if err != nil {
		return res, err
	}
	im, err := db.BeginImport(ctx, store.ImportInfo{Chain: opt.Chain, File: name, Format: string(opt.Format),
		Time: opt.Time, ExpectedRows: int(size / rowBytes)})
	if err != nil {
		return res, err
	}
	defer im.Rollback()
	if err := imp(ctx, t, im, &res); err != nil {
		return res, err
	}
	c, err := im.Commit(ctx, store.ImportCounts{Read: res.Read, Added: res.Added, Skipped: res.Skipped})
	if err != nil {
		return res, err
	}
	res.Added = c.Added
	if opt.Progress != nil {
		opt.Progress(cr.n)
	}
	return res, nil
}

// countingReader counts bytes and reports them every MiB.
type countingReader struct {
	r        io.Reader
	n, last  int64
	progress func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && c.n-c.last >= 1<<20 {
		c.last = c.n
		c.progress(c.n)
	}
	return n, err
}
