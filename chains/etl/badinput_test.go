package etl

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/internal/shareddata"
)

const (
	ttHeader = "token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n"
	usdtAddr = "0xdac17f958d2ee523a2206206994597c13d831ec7"
	addr1    = "0x1111111111111111111111111111111111111111"
	addr2    = "0x2222222222222222222222222222222222222222"
)

// ttRow is a token_transfers row of transaction 0x0101…01 + n.
func ttRow(n byte, value, logIndex, block string) string {
	tx := "0x" + strings.Repeat("01", 31) + string("0123456789abcdef"[n>>4]) + string("0123456789abcdef"[n&15])
	return strings.Join([]string{usdtAddr, addr1, addr2, value, tx, logIndex, block}, ",") + "\n"
}

// importWith imports a file as the CLI does, replacing stored rows if
// replace.
func importWith(t *testing.T, db *store.DB, path string, f Format, replace bool) (Result, error) {
	t.Helper()
	ctx := context.Background()
	r, size, err := Open(path)
	if err != nil {
		return Result{}, err
	}
	defer r.Close()
	opt := Options{Chain: chains.Ethereum, Format: f, Time: importTime}
	im, err := db.BeginImport(ctx, store.ImportInfo{Chain: opt.Chain, File: path, Format: string(f), Time: importTime,
		ExpectedRows: ExpectedRows(f, size), Replace: replace})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	res, err := Load(ctx, r, path, opt, im)
	if err != nil {
		return res, err
	}
	c, err := im.Commit(ctx, store.ImportCounts{Read: res.Read, Added: res.Added, Skipped: res.Skipped - res.Repeated, Repeated: res.Repeated})
	res.Added, res.Skipped, res.Stored, res.Repeated, res.Replaced = c.Added, c.Skipped, c.Stored, c.Repeated, c.Replaced
	return res, err
}

// wantRefused checks err is an input error holding want on one line, and
// that db holds no transfer and no block.
func wantRefused(t *testing.T, db *store.DB, err error, want string) {
	t.Helper()
	var ie *chains.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want a one-line input error containing %q", err, want)
	}
	s, serr := db.Stats(context.Background())
	if serr != nil {
		t.Fatal(serr)
	}
	for _, tr := range s.Tables {
		if tr.Rows != 0 && tr.Table != "assets" {
			t.Errorf("refused file left %d rows in %s", tr.Rows, tr.Table)
		}
	}
}

// TestTruncated: a file cut short is refused, whatever the cut: inside the
// last field (which was stored as a smaller block number before), before
// the last line end, inside a quoted field, or leaving a row short.
func TestTruncated(t *testing.T) {
	good := ttHeader + ttRow(1, "2500000", "4", "16000099") + ttRow(2, "7", "5", "16000099")
	for _, tc := range []struct{ name, body, want string }{
		{"ErrInLastField", good[:len(good)-4], "tt.csv:3: the last line has no line end: the file looks truncated"},
		{"ErrLineEnd", good[:len(good)-1], "tt.csv:3: the last line has no line end: the file looks truncated"},
		{"ErrCRLF", strings.ReplaceAll(good, "\n", "\r\n")[:len(good)+2], "tt.csv:3: the last line has no line end"},
		{"ErrOpenQuote", good + usdtAddr + ",\"0x11\n", "tt.csv:4: a quoted field is still open at the end of the file"},
		{"ErrShortRow", good + usdtAddr + "," + addr1 + "\n", "tt.csv:4: 2 fields, but the header names 7"},
		{"ErrLongRow", good + strings.TrimSuffix(ttRow(3, "1", "1", "1"), "\n") + ",x\n", "tt.csv:4: 8 fields, but the header names 7"},
		{"ErrHeaderOnly", strings.TrimSuffix(ttHeader, "\n"), "tt.csv:1: the last line has no line end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTemp(t)
			_, err := importWith(t, db, writeFile(t, "tt.csv", tc.body), TokenTransfers, false)
			wantRefused(t, db, err, tc.want)
		})
	}
	t.Run("OKCRLF", func(t *testing.T) {
		db := openTemp(t)
		res, err := importWith(t, db, writeFile(t, "tt.csv", strings.ReplaceAll(good, "\n", "\r\n")), TokenTransfers, false)
		if err != nil || res.Added != 2 {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
	t.Run("ErrRealSampleCut", func(t *testing.T) {
		p := shareddata.Path(t, "ethereum-etl", "token_transfers_15320500_15320599.csv")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		db := openTemp(t)
		_, err = importWith(t, db, writeFile(t, "cut.csv", string(data[:len(data)-5])), TokenTransfers, false)
		wantRefused(t, db, err, "cut.csv:14324: the last line has no line end")
	})
}

// endless is a reader of one line that never ends.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	e.n += int64(len(p))
	return len(p), nil
}

// TestBounds: a line past MaxLine is refused while it is read; long values
// are refused before they are parsed and quoted cut to 80 bytes; times
// past 9999 are refused; a damaged .gz file is bad input naming the file.
func TestBounds(t *testing.T) {
	t.Run("ErrLongLine", func(t *testing.T) {
		src := &endless{}
		start := time.Now()
		_, err := Load(context.Background(), io.MultiReader(strings.NewReader(ttHeader), src), "big.csv",
			Options{Chain: chains.Ethereum, Format: TokenTransfers}, &memSink{})
		var ie *chains.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "big.csv:2: line longer than 1048576 bytes") {
			t.Fatalf("got %v", err)
		}
		if src.n > 2*MaxLine || time.Since(start) > 5*time.Second {
			t.Fatalf("read %d bytes in %v before refusing the line", src.n, time.Since(start))
		}
	})
	digits := strings.Repeat("9", 500_000)
	for _, tc := range []struct {
		name   string
		format Format
		body   string
		want   string
	}{
		{"ErrLongValue", TokenTransfers, ttHeader + ttRow(1, digits, "1", "1"),
			`tt.csv:2: value: "` + strings.Repeat("9", 80) + `"… has 500000 characters, more than the 78 digits`},
		{"ErrValue79", TokenTransfers, ttHeader + ttRow(1, strings.Repeat("1", 79), "1", "1"), "more than the 78 digits"},
		{"ErrValueOver256Bits", TokenTransfers, ttHeader + ttRow(1, strings.Repeat("9", 78), "1", "1"), "exceeds 2^256-1"},
		{"ErrLongBlock", TokenTransfers, ttHeader + ttRow(1, "1", "1", digits), `tt.csv:2: block_number: not a whole number below 2^63: "` + strings.Repeat("9", 80) + `"…`},
		{"ErrLongAddress", TokenTransfers, ttHeader + strings.Replace(ttRow(1, "1", "1", "1"), addr1, "0x"+digits, 1), `from_address: not an address: "0x` + strings.Repeat("9", 78) + `"… (500002 characters)`},
		{"ErrYear10000", Blocks, "number,hash,timestamp\n1,0x" + strings.Repeat("ab", 32) + ",253402300800\n", `blocks.csv:2: timestamp: "253402300800" seconds is after the year 9999`},
		{"ErrYear10000RFC3339", Blocks, "number,hash,timestamp\n1,0x" + strings.Repeat("ab", 32) + ",9999-12-31T23:00:00-01:00\n", "outside 1970 to 9999"},
		{"ErrTxYear10000", Transactions, "hash,block_number,transaction_index,from_address,to_address,value,block_timestamp\n0x" + strings.Repeat("ab", 32) + ",1,0," + addr1 + "," + addr2 + ",1,253402300800\n", "block_timestamp: \"253402300800\" seconds is after the year 9999"},
		{"ErrLongSymbol", Tokens, "address,symbol,decimals\n" + usdtAddr + "," + strings.Repeat("S", 300) + ",6\n", "symbol: \"" + strings.Repeat("S", 80) + "\"… has 300 bytes, more than 256"},
		{"ErrLongStatus", Transactions, "hash,block_number,transaction_index,from_address,to_address,value,receipt_status\n0x" + strings.Repeat("ab", 32) + ",1,0," + addr1 + "," + addr2 + ",1," + digits + "\n", `receipt_status: want 0 or 1, got "` + strings.Repeat("9", 80) + `"…`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTemp(t)
			name := map[Format]string{Blocks: "blocks.csv", Tokens: "tokens.csv"}[tc.format]
			if name == "" {
				name = "tt.csv"
			}
			_, err := importWith(t, db, writeFile(t, name, tc.body), tc.format, false)
			wantRefused(t, db, err, tc.want)
			if len(err.Error()) > 400 {
				t.Errorf("message of %d bytes: %.200s…", len(err.Error()), err)
			}
		})
	}
	t.Run("ErrBadGzip", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(ttHeader + strings.Repeat(ttRow(1, "1", "1", "1"), 100)))
		zw.Close()
		gz := buf.Bytes()
		for name, data := range map[string][]byte{"cut": gz[:len(gz)-12], "notgzip": []byte(ttHeader)} {
			db := openTemp(t)
			p := filepath.Join(t.TempDir(), name+".csv.gz")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := importWith(t, db, p, TokenTransfers, false)
			wantRefused(t, db, err, p+": not a readable gzip file")
		}
	})
}

// TestConflicts: identical repeats are counted; a row contradicting an
// earlier one or a stored one is refused naming both values and lines;
// re-importing a corrected file is refused unless replacing, which is
// counted; a header naming a column twice is refused.
func TestConflicts(t *testing.T) {
	ctx := context.Background()
	first, corrected := ttRow(1, "2500000", "4", "100"), ttRow(1, "9900000", "4", "100")
	other := ttRow(2, "1", "0", "101")
	t.Run("ErrInFile", func(t *testing.T) {
		db := openTemp(t)
		_, err := importWith(t, db, writeFile(t, "tt.csv", ttHeader+first+other+corrected), TokenTransfers, false)
		wantRefused(t, db, err, "tt.csv:4: transaction 0x0101010101010101010101010101010101010101010101010101010101010101 position 4 (ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7): value 9900000 here, 2500000 at line 2")
	})
	t.Run("Repeated", func(t *testing.T) {
		db := openTemp(t)
		res, err := importWith(t, db, writeFile(t, "tt.csv", ttHeader+first+other+first), TokenTransfers, false)
		if err != nil || res.Read != 3 || res.Added != 2 || res.Skipped != 1 || res.Repeated != 1 {
			t.Fatalf("got %+v, %v; want 2 added, 1 repeated", res, err)
		}
	})
	t.Run("Corrected", func(t *testing.T) {
		db := openTemp(t)
		if _, err := importWith(t, db, writeFile(t, "tt.csv", ttHeader+first+other), TokenTransfers, false); err != nil {
			t.Fatal(err)
		}
		fixed := writeFile(t, "fixed.csv", ttHeader+other+corrected)
		_, err := importWith(t, db, fixed, TokenTransfers, false)
		var ie *chains.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), fixed+":3: ") || !strings.Contains(err.Error(), "value 9900000 here, 2500000 in the database") {
			t.Fatalf("corrected file: %v", err)
		}
		res, err := importWith(t, db, fixed, TokenTransfers, true)
		if err != nil || res.Replaced != 1 || res.Stored != 1 || res.Added != 0 {
			t.Fatalf("--replace: %+v, %v; want 1 replaced, 1 already stored", res, err)
		}
		n, sum, err := db.AssetTotal(ctx, chains.USDTEthereum)
		if err != nil || n != 2 || sum.String() != "9900001" {
			t.Fatalf("after replace: %d transfers summing %s, %v; want 2 summing 9900001", n, sum, err)
		}
		recs, err := db.Imports(ctx)
		if err != nil || len(recs) != 2 || recs[1].Replaced != 1 || !recs[1].ReplaceAllowed {
			t.Fatalf("imports: %+v, %v", recs, err)
		}
	})
	t.Run("ErrDuplicateHeader", func(t *testing.T) {
		db := openTemp(t)
		_, err := importWith(t, db, writeFile(t, "tt.csv", strings.Replace(ttHeader, "log_index", "value", 1)+first), TokenTransfers, false)
		wantRefused(t, db, err, `tt.csv:1: column "value" appears twice in the header (columns 4 and 6)`)
	})
	t.Run("ErrTransactionsBlock", func(t *testing.T) {
		db := openTemp(t)
		h := "hash,block_hash,block_number,transaction_index,from_address,to_address,value,block_timestamp\n"
		row := func(tx, bh, ts string) string {
			return "0x" + strings.Repeat(tx, 32) + ",0x" + strings.Repeat(bh, 32) + ",100,0," + addr1 + "," + addr2 + ",5," + ts + "\n"
		}
		_, err := importWith(t, db, writeFile(t, "tx.csv", h+row("01", "aa", "1595302464")+row("02", "bb", "1595302464")), Transactions, false)
		wantRefused(t, db, err, "tx.csv:3: block 100: block_hash 0x"+strings.Repeat("bb", 32)+" here, 0x"+strings.Repeat("aa", 32)+" at line 2")
		_, err = importWith(t, db, writeFile(t, "tx.csv", h+row("01", "aa", "1595302464")+row("02", "aa", "1595302465")), Transactions, false)
		wantRefused(t, db, err, "tx.csv:3: block 100: block_timestamp 2020-07-21T03:34:25Z here, 2020-07-21T03:34:24Z at line 2")
	})
}

// TestBlocksFileKeepsTransfers: two blocks files for the shared sample's
// blocks with other hashes. The second is refused and the transfers stay;
// before, it deleted all 14,323 and said "added 0" with exit 0.
func TestBlocksFileKeepsTransfers(t *testing.T) {
	ctx := context.Background()
	p := shareddata.Path(t, "ethereum-etl", "token_transfers_15320500_15320599.csv")
	db := openTemp(t)
	if _, err := importWith(t, db, p, TokenTransfers, false); err != nil {
		t.Fatal(err)
	}
	blocks := func(name string, fill byte) string {
		var b strings.Builder
		b.WriteString("number,hash,timestamp\n")
		for n := 15320500; n <= 15320599; n++ {
			b.WriteString(strings.Join([]string{itoa(n), "0x" + strings.Repeat(string("0123456789abcdef"[fill]), 64), itoa(1660000000 + n - 15320500)}, ",") + "\n")
		}
		return writeFile(t, name, b.String())
	}
	if res, err := importWith(t, db, blocks("b1.csv", 1), Blocks, false); err != nil || res.Added != 100 {
		t.Fatalf("first blocks file: %+v, %v", res, err)
	}
	b2 := blocks("b2.csv", 2)
	_, err := importWith(t, db, b2, Blocks, false)
	var ie *chains.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), b2+":2: block 15320500: hash 0x2222") || !strings.Contains(err.Error(), "here, 0x1111") {
		t.Fatalf("second blocks file: %v", err)
	}
	if n, _, err := db.AssetTotal(ctx, chains.USDTEthereum); err != nil || n != 1644 {
		t.Fatalf("USDT transfers after the refused file: %d, %v; want 1644", n, err)
	}
	if res, err := importWith(t, db, blocks("b1.csv", 1), Blocks, false); err != nil || res.Stored != 100 || res.Added != 0 {
		t.Fatalf("first file again: %+v, %v; want 100 already stored", res, err)
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}
