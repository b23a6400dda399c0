package tron_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/chains/tron"
)

const scanHeader = "transaction_id,block_ts,from_address,to_address,quant,contract_address,tokenDecimal,event_index\n"

func scanRow(txByte, quant, pos string) string {
	return strings.Join([]string{strings.Repeat(txByte, 32), "1767225903000", victim.String(), pool.String(), quant, usdt.Contract.String(), "6", pos}, ",") + "\n"
}

func wantScanError(t *testing.T, err error, want string) {
	t.Helper()
	var ie *chains.InputError
	if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want a one-line input error containing %q", err, want)
	}
}

// TestReadTronscanShape: an export cut short, with a broken row, a header
// naming a field twice, a line or a value past its bound, or a time past
// 9999 is refused naming the line. Before, a cut last field was read as a
// smaller value, a column named twice took the first, and lazy quotes let
// a stray quote swallow rows.
func TestReadTronscanShape(t *testing.T) {
	good := scanHeader + scanRow("ab", "5000000", "0") + scanRow("cd", "16000099", "1")
	long := strings.Repeat("9", 200)
	tx := strings.Repeat("ab", 32)
	item := `{"transaction_id":"` + tx + `","block_ts":1767225903000,"from_address":"` + victim.String() + `","to_address":"` + pool.String() +
		`","quant":"1","contract_address":"` + usdt.Contract.String() + `","tokenInfo":{"tokenDecimal":6}}`
	for _, c := range []struct{ name, in, want string }{
		{"ErrCutInLastField", good[:len(good)-4], "x.csv:3: the last line has no line end: the file looks truncated"},
		{"ErrNoLineEnd", good[:len(good)-1], "x.csv:3: the last line has no line end"},
		{"ErrOpenQuote", good + `"` + tx + ",1\n", "x.csv:4: a quoted field is still open at the end of the file"},
		{"ErrShortRow", good + tx + ",1767225903000\n", "x.csv:4: 2 fields, but the header names 8"},
		{"ErrStrayQuote", good + strings.Replace(scanRow("ef", "1", "2"), "1767225903000", `17672"25903000`, 1), "x.csv:4:"},
		{"ErrDuplicateHeader", strings.Replace(scanHeader, "event_index", "txid", 1) + scanRow("ab", "1", "0"), `x.csv:1: columns "transaction_id" and "txid" both give the transaction id`},
		{"ErrLongLine", scanHeader + strings.Repeat("x", tron.MaxLine+1) + "\n", "x.csv:2: line longer than 1048576 bytes"},
		{"ErrLongValue", scanHeader + scanRow("ab", long, "0"), `x.csv:2: raw: "` + long[:80] + `"… has 200 bytes, more than 78`},
		{"ErrYear10000", strings.Replace(good, "1767225903000", "253402300800000", 1), `x.csv:2: time "253402300800000" is after the year 9999`},
		{"ErrJSONCut", `{"data": [` + item + `]`, "x.csv:1: the object is not closed: the file looks truncated"},
		{"ErrJSONListCut", `[` + item + ",\n", "x.csv:2:"},
		{"ErrJSONTrailing", `[` + item + `] [`, "more after the end of the JSON value"},
		{"ErrJSONTwoLists", `{"data": [` + item + `], "transfers": []}`, `two lists of transfers, "data" and "transfers"`},
		{"ErrJSONKeysDisagree", `[` + strings.Replace(item, `"tokenDecimal":6}`, `"tokenDecimal":6,"tokenId":"`+usdt.Contract.String()+`"}`, 1) + `,` + strings.Replace(item, `"tokenInfo":{`, `"tokenInfo":{"tokenId":"`+pool.String()+`",`, 1) + `]`, `keys "contract_address" and "tokenInfo.tokenId" both give the token contract`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := tron.ReadTronscan(strings.NewReader(c.in), "x.csv", tron.ExportOptions{})
			wantScanError(t, err, c.want)
		})
	}
	t.Run("InFileConflict", func(t *testing.T) {
		_, _, err := tron.ReadTronscan(strings.NewReader(good+scanRow("ab", "7000000", "0")), "x.csv", tron.ExportOptions{})
		wantScanError(t, err, "x.csv:4: transaction "+tx+" position 0 (tron:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t): value 7000000 here, 5000000 at line 2")
	})
}

// TestImportTronscan stores exports through a store import: repeats are
// counted, a row contradicting a stored transfer is refused unless
// replacing, as the ethereum-etl importers do. Before, a re-imported
// corrected export changed nothing and said nothing.
func TestImportTronscan(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	load := func(body string, replace bool) (tron.ExportResult, store.ImportCounts, error) {
		im, err := db.BeginImport(ctx, store.ImportInfo{Chain: chains.Tron, File: "x.csv", Format: "tronscan", Time: time.Unix(1000, 0), Replace: replace})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Rollback()
		res, err := tron.ImportTronscan(ctx, strings.NewReader(body), "x.csv", tron.ExportOptions{}, im)
		if err != nil {
			return res, store.ImportCounts{}, err
		}
		c, err := im.Commit(ctx, store.ImportCounts{Read: res.Read, Added: res.Added, Skipped: res.Skipped, Repeated: res.Repeated})
		return res, c, err
	}
	first := scanHeader + scanRow("ab", "5000000", "0") + scanRow("cd", "1", "1") + scanRow("ab", "5000000", "0")
	res, c, err := load(first, false)
	if err != nil || res.Read != 3 || c.Added != 2 || c.Repeated != 1 || c.Skipped != 1 {
		t.Fatalf("first: %+v %+v %v; want 3 read, 2 added, 1 repeated", res, c, err)
	}
	if _, c, err = load(first, false); err != nil || c.Added != 0 || c.Stored != 2 {
		t.Fatalf("again: %+v %v; want 2 already stored", c, err)
	}
	fixed := scanHeader + scanRow("cd", "1", "1") + scanRow("ab", "7000000", "0")
	_, _, err = load(fixed, false)
	wantScanError(t, err, "x.csv:3: transaction "+strings.Repeat("ab", 32)+" position 0 (tron:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t): value 7000000 here, 5000000 in the database")
	if _, c, err = load(fixed, true); err != nil || c.Replaced != 1 || c.Stored != 1 {
		t.Fatalf("replace: %+v %v; want 1 replaced", c, err)
	}
}
