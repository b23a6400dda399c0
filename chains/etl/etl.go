// Package etl reads the CSV exports of ethereum-etl (token_transfers,
// transactions, blocks, tokens, contracts, logs, traces) into a Sink: the
// store's import batch, which the caller begins and commits
// (internal/ingest wires the two).
//
// logs.csv gives each transaction's venue events (swaps, wraps, bridge
// deposits, decoded by chains/evmlog) and WETH's Deposit and Withdrawal
// as transfers; traces.csv the native value of internal calls, at the
// positions a node's call trace gives. With them an offline trace follows
// taint through a swap: see importLogs and importTraces for what each
// assumes of a file (whole blocks, as ethereum-etl exports them).
//
// Every importer streams its file and finds its columns by the header
// (order free, extra columns ignored, a column named twice an error); the
// caller applies the whole file in one store transaction: a malformed row
// stops the import with "file:line: what is wrong" and nothing of that
// file is stored. So does a file that looks cut short (its last line
// without a line end, a quoted field left open, a row with fewer or more
// fields than the header) and a line or value past its bound (see
// MaxLine): bounds are checked while reading, before a value is parsed,
// and messages quote at most 80 bytes of a value. The sink judges rows
// against what it holds: a row repeating a stored one (or an earlier row)
// is counted, not stored again, so re-importing a file adds nothing; a row
// contradicting one is an error unless the sink may replace it. Files
// ending in .gz are decompressed on the fly (Open); a damaged one is bad
// input.
//
// Non-fungible tokens: ERC-721 Transfer events look like ERC-20 ones in
// token_transfers.csv (the value is a token id). A row is skipped as
// non-fungible when its token is known as ERC-721 to the store: from a
// tokens.csv row without decimals, or a contracts.csv row with
// is_erc721=true, imported earlier. Without that knowledge such rows cannot
// be told apart and are stored.
//
// etl depends on chains and the pure log decoding of chains/evmlog (with
// go-ethereum's common types its logs use) only; it must not depend on the
// store, trace, report, the CLI or any network client.
package etl

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"freezetrace/chains"
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
	Logs           Format = "etl-logs"            // logs.csv (venue events, WETH deposits and withdrawals)
	Traces         Format = "etl-traces"          // traces.csv (internal native value transfers)
)

// importer reads one format into an open import.
type importer func(ctx context.Context, t *table, im Sink, res *Result) error

// Sink is where an import puts what it reads: the store's import batch
// (*store.Import), or a fake in the fuzz tests. The caller begins and
// commits it, so that a file is stored whole or not at all.
//
// The Put methods take the file line of each row (aligned with the rows)
// and return how many rows were new. A row that repeats what is stored
// or an earlier row identically is counted by the sink and not stored
// again; one that contradicts it is an error (chains.Invalid) naming both,
// unless the sink was told to replace stored rows. txIndexKnown says the
// file gives the transactions' indexes.
type Sink interface {
	PutFileTransfers(ctx context.Context, ts []chains.Transfer, lines []int, txIndexKnown bool) (int, error)
	PutFileBlocks(ctx context.Context, bs []chains.Block, lines []int) (int, error)
	PutFileAssets(ctx context.Context, as []chains.Asset, lines []int) (int, error)
	PutNonFungible(ctx context.Context, ids []chains.AssetID, symbol string) (int, error)
	PutContracts(ctx context.Context, c chains.Chain, addrs []chains.Address, isContract bool, source string) (int, error)
	NonFungible(ctx context.Context, c chains.Chain) (map[chains.AssetID]bool, error)
	NoteBlock(n uint64)
	// PutFileTxEvents puts evs as every venue event of transaction tx
	// (none: tx is known to have emitted none), decoded from rows rows of
	// the file, the first at line; it returns rows when they were new, 0
	// when the same events were stored (or put) already.
	PutFileTxEvents(ctx context.Context, c chains.Chain, tx chains.TxHash, evs []chains.TxEvent, rows, line int) (int, error)
}

// formats is the fixed table of formats; new formats add a row.
var formats = []struct {
	f    Format
	imp  importer
	desc string
	// rowBytes is a typical row size, used to estimate the row count; 0
	// for a format whose rows are mostly not transfers (the estimate is
	// of transfers: it chooses the store's bulk load).
	rowBytes int64
}{
	{TokenTransfers, importTokenTransfers, "ethereum-etl token_transfers.csv", 150},
	{Transactions, importTransactions, "ethereum-etl transactions.csv", 300},
	{Blocks, importBlocks, "ethereum-etl blocks.csv", 600},
	{Tokens, importTokens, "ethereum-etl tokens.csv", 100},
	{Contracts, importContracts, "ethereum-etl contracts.csv", 1000},
	{Logs, importLogs, "ethereum-etl logs.csv", 0},
	{Traces, importTraces, "ethereum-etl traces.csv", 500},
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
	// Stored counts rows identical to rows stored before, not stored
	// again; Repeated rows identical to an earlier row of the file (also
	// in Skipped); Replaced stored rows the file's differing rows replaced
	// (an import with replacing allowed). The store sets them at commit.
	Stored, Repeated, Replaced int
	// NonFungible counts ERC-721 transfers skipped, Failed failed
	// transactions (or reverted traces) skipped, NoRecipient contract
	// creations without the created address; Zero the zero-value
	// transfers stored (flagged).
	NonFungible, Failed, NoRecipient, Zero int
	// Traces files: TopLevel counts transactions' own calls skipped (their
	// value is the transaction's, which transactions.csv gives), NoValue
	// traces that move no native value (a zero value, or a DELEGATECALL,
	// STATICCALL or CALLCODE), NoTx traces of no transaction (block
	// rewards). Logs files: Wraps counts the WETH deposits and withdrawals
	// stored as transfers (besides their events), Events the venue events.
	TopLevel, NoValue, NoTx, Wraps, Events int
}

// Open opens a file to import, decompressing a .gz file on the fly, and
// returns its size in bytes (an estimate for a .gz file).
func Open(path string) (io.ReadCloser, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, chains.Invalid(fmt.Errorf("import: %w", err))
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, size, nil
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		f.Close()
		return nil, 0, chains.Invalid(fmt.Errorf("%s: not a readable gzip file: %v", path, err))
	}
	return gzipFile{zr, f}, size * 5, nil
}

type gzipFile struct {
	*gzip.Reader
	f *os.File
}

// Read reports a damaged or cut .gz file as bad input naming the file.
func (g gzipFile) Read(p []byte) (int, error) {
	n, err := g.Reader.Read(p)
	var pe *fs.PathError
	if err != nil && !errors.Is(err, io.EOF) && !errors.As(err, &pe) {
		err = chains.Invalid(fmt.Errorf("%s: not a readable gzip file (damaged or cut short): %v", g.f.Name(), err))
	}
	return n, err
}

func (g gzipFile) Close() error {
	g.Reader.Close()
	return g.f.Close()
}

// ExpectedRows estimates how many transfer rows a file of format f and
// size bytes holds (0 when the size is unknown, and for a logs file, whose
// few transfers are its WETH wraps), so that the store can choose a bulk
// load for a large one.
func ExpectedRows(f Format, size int64) int {
	for _, x := range formats {
		if x.f == f && x.rowBytes > 0 {
			return int(size / x.rowBytes)
		}
	}
	return 0
}

// Check reports whether opt can be imported: a known format, an EVM chain.
func Check(name string, opt Options) error {
	if _, err := ParseFormat(string(opt.Format)); err != nil {
		return chains.Invalid(err)
	}
	if !opt.Chain.Valid() {
		return chains.Invalid(fmt.Errorf("import %s: unknown chain %q", name, string(opt.Chain)))
	}
	if opt.Chain.Family() != chains.FamilyEVM {
		return chains.Invalid(fmt.Errorf("import %s: %s files describe EVM chains, not %s", name, opt.Format, opt.Chain))
	}
	return nil
}

// Load reads the CSV from r, named name in messages, into sink. Added in
// the result counts what sink reported as new; a store that removes
// duplicates at commit corrects it then.
func Load(ctx context.Context, r io.Reader, name string, opt Options, sink Sink) (Result, error) {
	res := Result{File: name, Format: opt.Format}
	if err := Check(name, opt); err != nil {
		return res, err
	}
	var imp importer
	for _, f := range formats {
		if f.f == opt.Format {
			imp = f.imp
		}
	}
	cr := &countingReader{r: r, progress: opt.Progress}
	t, err := newTable(cr, name, opt.Chain)
	if err != nil {
		return res, err
	}
	if err := imp(ctx, t, sink, &res); err != nil {
		return res, err
	}
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
