package etl

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
	"freezetrace/chains/store"
	"freezetrace/internal/shareddata"
)

const (
	logsHeader = "log_index,transaction_hash,transaction_index,block_hash,block_number,address,data,topics\n"
	wethAddr   = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
	pairAddr   = "0x0d4a11d5eeaac28ec3f61d100daf4d40471f1852" // Uniswap V2 WETH/USDT
	// topic0 of the events the hand-made rows use.
	topicTransfer   = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
	topicV2Swap     = "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
	topicSync       = "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"
	topicWithdrawal = "0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65"
	topicDeposit    = "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c"
)

// txHex is the hash 0x0202…02 + n.
func txHex(n byte) string {
	return "0x" + strings.Repeat("02", 31) + string("0123456789abcdef"[n>>4]) + string("0123456789abcdef"[n&15])
}

// word is a 32-byte hex word holding an address or a number in hex.
func word(hexDigits string) string {
	return strings.Repeat("0", 64-len(hexDigits)) + hexDigits
}

// logRowCSV is a logs.csv row.
func logRowCSV(index int, tx string, block int, address, data string, topics ...string) string {
	return strings.Join([]string{itoa(index), tx, "0", "0x" + strings.Repeat("ab", 32), itoa(block), address, data,
		`"` + strings.Join(topics, ",") + `"`}, ",") + "\n"
}

// swapLogs are the logs of a Uniswap V2 swap of USDT for ETH through the
// router: USDT from the sender to the pair, WETH from the pair to the
// router, Sync, Swap, WETH's Withdrawal by the router; then another
// transaction with an unrelated log, and a WETH deposit.
func swapLogs() string {
	router := "7a250d5630b4cf539739df2c5dacb4c659f2488d"
	sender := addr1[2:]
	return logsHeader +
		logRowCSV(10, txHex(1), 20000010, usdtAddr, "0x"+word("2540be400"), topicTransfer, "0x"+word(sender), "0x"+word(pairAddr[2:])) +
		logRowCSV(11, txHex(1), 20000010, wethAddr, "0x"+word("447f5f0a8e7e1e7e"), topicTransfer, "0x"+word(pairAddr[2:]), "0x"+word(router)) +
		logRowCSV(12, txHex(1), 20000010, pairAddr, "0x"+word("1")+word("2"), topicSync) +
		logRowCSV(13, txHex(1), 20000010, pairAddr, "0x"+word("0")+word("2540be400")+word("447f5f0a8e7e1e7e")+word("0"), topicV2Swap, "0x"+word(router), "0x"+word(router)) +
		logRowCSV(14, txHex(1), 20000010, wethAddr, "0x"+word("447f5f0a8e7e1e7e"), topicWithdrawal, "0x"+word(router)) +
		logRowCSV(15, txHex(2), 20000010, usdtAddr, "0x"+word("1"), topicTransfer, "0x"+word(sender), "0x"+word(addr2[2:])) +
		logRowCSV(0, txHex(3), 20000011, wethAddr, "0x"+word("de0b6b3a7640000"), topicDeposit, "0x"+word(sender))
}

// TestLogs imports hand-made logs: the swap's events (the pair's Swap and
// WETH's Withdrawal) are stored as its events, a transaction of no venue
// event as known to have none, WETH's Withdrawal and Deposit as WETH
// transfers; re-importing adds nothing.
func TestLogs(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	path := writeFile(t, "logs.csv", swapLogs())
	res, err := importWith(t, db, path, Logs, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 7 || res.Added != 7 || res.Skipped != 0 || res.Events != 3 || res.Wraps != 2 {
		t.Errorf("got %+v, want 7 read and added, 3 events, 2 wraps", res)
	}
	evs, known, err := db.CachedTxEvents(ctx, chains.Ethereum, chains.MustParseTxHash(txHex(1)))
	if err != nil || !known {
		t.Fatalf("swap's events: %v, %v", known, err)
	}
	want := []chains.TxEvent{
		{Chain: chains.Ethereum, Tx: chains.MustParseTxHash(txHex(1)), Block: 20000010, Position: 13, Contract: chains.MustParseAddress(pairAddr), Kind: chains.EventUniswapV2Swap},
		{Chain: chains.Ethereum, Tx: chains.MustParseTxHash(txHex(1)), Block: 20000010, Position: 14, Contract: evmlog.MainnetWETH, Kind: chains.EventUnwrap},
	}
	if len(evs) != len(want) || evs[0] != want[0] || evs[1] != want[1] {
		t.Errorf("swap's events %+v\nwant %+v", evs, want)
	}
	if evs, known, err := db.CachedTxEvents(ctx, chains.Ethereum, chains.MustParseTxHash(txHex(2))); err != nil || !known || len(evs) != 0 {
		t.Errorf("plain transfer's events: %v, %v, %v; want known, none", evs, known, err)
	}
	ts, _, err := db.CachedTxTransfers(ctx, chains.Ethereum, chains.MustParseTxHash(txHex(1)))
	if err != nil || len(ts) != 1 {
		t.Fatalf("swap's transfers %v, %v; want the unwrap", ts, err)
	}
	router := chains.MustParseAddress("0x7a250d5630b4cf539739df2c5dacb4c659f2488d")
	if tr := ts[0]; tr.Position != 14 || tr.From != router || tr.To != evmlog.MainnetWETH || tr.Asset.Contract != evmlog.MainnetWETH || tr.Amount.String() != "4935768215566294654" || tr.Block != 20000010 {
		t.Errorf("unwrap transfer %+v", tr)
	}
	again, err := importWith(t, db, path, Logs, false)
	if err != nil || again.Added != 0 || again.Stored != 7 || again.Read != 7 {
		t.Errorf("re-import: %+v, %v; want nothing added, 7 stored", again, err)
	}
}

// TestLogsRepeatedRows: a row repeating an earlier one is counted, not an
// error; a row giving another log at the same index is.
func TestLogsRepeatedRows(t *testing.T) {
	rows := strings.SplitAfter(swapLogs(), "\n")
	db := openTemp(t)
	res, err := importWith(t, db, writeFile(t, "logs.csv", strings.Join(rows[:3], "")+rows[2]), Logs, false)
	if err != nil || res.Read != 3 || res.Added != 2 || res.Repeated != 1 || res.Skipped != 1 {
		t.Errorf("got %+v, %v; want 2 added, 1 repeated", res, err)
	}
}

// TestLogsBadInput: malformed values and files holding part of a
// transaction's logs are refused with file:line and what, and nothing is
// stored.
func TestLogsBadInput(t *testing.T) {
	rows := strings.SplitAfter(swapLogs(), "\n")
	row := func(i int, old, new string) string { return strings.Replace(rows[i], old, new, 1) }
	topic := "0x" + word(addr1[2:])
	for _, tc := range []struct{ name, body, want string }{
		{"ErrFiveTopics", logsHeader + logRowCSV(1, txHex(1), 5, usdtAddr, "0x", topic, topic, topic, topic, topic), "logs.csv:2: topics: 5 topics, but an EVM log has at most 4"},
		{"ErrShortTopic", logsHeader + logRowCSV(1, txHex(1), 5, usdtAddr, "0x", topic[:60]), `logs.csv:2: topics: topic 1 is not 0x and 64 hex digits: "` + topic[:60] + `"`},
		{"ErrTopicNotHex", logsHeader + logRowCSV(1, txHex(1), 5, usdtAddr, "0x", topic, "0x"+strings.Repeat("g", 64)), "logs.csv:2: topics: topic 2 is not hex"},
		{"ErrDataOdd", logsHeader + logRowCSV(1, txHex(1), 5, usdtAddr, "0x123"), `logs.csv:2: data: an odd number of hex digits (3): "0x123"`},
		{"ErrDataNoPrefix", logsHeader + logRowCSV(1, txHex(1), 5, usdtAddr, "1234"), `logs.csv:2: data: want 0x and hex digits, got "1234"`},
		{"ErrDataNotHex", logsHeader + logRowCSV(1, txHex(1), 5, usdtAddr, "0xzz"), `logs.csv:2: data: not hex: "0xzz"`},
		{"ErrLogIndex", logsHeader + "-1" + strings.TrimPrefix(logRowCSV(1, txHex(1), 5, usdtAddr, "0x"), "1"), `logs.csv:2: log_index: not a whole number below 2^32: "-1"`},
		{"ErrGap", logsHeader + rows[1] + rows[2] + rows[4] + rows[5], "logs.csv:4: transaction " + txHex(1) + ": logs 11 and 13 but none between: the file holds only part of the transaction's logs (export whole blocks)"},
		{"ErrSameIndex", logsHeader + rows[1] + row(1, usdtAddr, addr2), "logs.csv:3: log 10 of transaction " + txHex(1) + ": another log than at line 2 (address, topics or data differ)"},
		{"ErrBlockAgain", logsHeader + rows[1] + rows[7] + rows[2], "logs.csv:4: block 20000010 again, after its rows at lines 2-2 and other blocks': the rows of a block must be together"},
		{"ErrTruncated", strings.TrimSuffix(swapLogs(), "\n"), "logs.csv:8: the last line has no line end: the file looks truncated"},
		{"ErrMissingColumn", "log_index,transaction_hash,block_number,address,data\n", "logs.csv:1: missing column topics (is this the right --format?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTemp(t)
			_, err := importWith(t, db, writeFile(t, "logs.csv", tc.body), Logs, false)
			wantRefused(t, db, err, tc.want)
			if _, known, err := db.CachedTxEvents(context.Background(), chains.Ethereum, chains.MustParseTxHash(txHex(1))); err != nil || known {
				t.Errorf("a refused file stored events: %v, %v", known, err)
			}
		})
	}
}

// TestLogsConflict: events stored from elsewhere that differ from the
// file's stop the import unless it replaces them.
func TestLogsConflict(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	tx := chains.MustParseTxHash(txHex(2))
	if err := db.PutTxEvents(ctx, chains.Ethereum, tx, []chains.TxEvent{{Chain: chains.Ethereum, Tx: tx, Block: 20000010, Position: 15,
		Contract: chains.MustParseAddress(pairAddr), Kind: chains.EventUniswapV2Swap}}); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "logs.csv", swapLogs())
	_, err := importWith(t, db, path, Logs, false)
	want := "logs.csv:7: events of transaction " + txHex(2) + ": none here, uniswap_v2_swap by " + chains.MustParseAddress(pairAddr).String() + " at 15 in the database (import with --replace to store the file's events instead)"
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	res, err := importWith(t, db, path, Logs, true)
	if err != nil || res.Replaced != 1 {
		t.Fatalf("replace: %+v, %v", res, err)
	}
	if evs, known, err := db.CachedTxEvents(ctx, chains.Ethereum, tx); err != nil || !known || len(evs) != 0 {
		t.Errorf("after replace: %v, %v, %v; want known, none", evs, known, err)
	}
}

// TestRealLogs imports ethereum-etl's logs of mainnet blocks 17,173,049
// and 17,173,050 (written as its logs.csv from the export's JSON lines)
// and checks the events evmlog's tests count in them: 69 Uniswap V2
// swaps, 10 V3 swaps, 61 WETH wraps and unwraps, each wrap a WETH
// transfer too; then a second import adds nothing.
func TestRealLogs(t *testing.T) {
	dir := shareddata.Path(t, "rpc-fixtures", "ethereum-etl-resources", "test_stream", "blocks_17173049_17173050")
	csvPath, txs := logsJSONToCSV(t, filepath.Join(dir, "expected_logs.json"))
	ctx := context.Background()
	db := openTemp(t)
	res, err := importWith(t, db, csvPath, Logs, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 681 || res.Added != 681 || res.Wraps != 61 {
		t.Errorf("got %+v, want 681 logs read and added, 61 wraps", res)
	}
	kinds := map[chains.EventKind]int{}
	for _, tx := range txs {
		evs, known, err := db.CachedTxEvents(ctx, chains.Ethereum, tx)
		if err != nil || !known {
			t.Fatalf("transaction %s: known %v, %v", tx, known, err)
		}
		for _, e := range evs {
			kinds[e.Kind]++
		}
	}
	if kinds[chains.EventUniswapV2Swap] != 69 || kinds[chains.EventUniswapV3Swap] != 10 || kinds[chains.EventWrap]+kinds[chains.EventUnwrap] != 61 {
		t.Errorf("events by kind %v, want 69 V2 swaps, 10 V3 swaps, 61 wraps and unwraps", kinds)
	}
	weth := chains.AssetID{Chain: chains.Ethereum, Contract: evmlog.MainnetWETH}
	wraps := 0
	for _, tx := range txs {
		ts, _, err := db.CachedTxTransfers(ctx, chains.Ethereum, tx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			if tr.Asset == weth {
				wraps++
			}
		}
	}
	if wraps != 61 {
		t.Errorf("%d WETH transfers stored, want the 61 wraps and unwraps", wraps)
	}
	again, err := importWith(t, db, csvPath, Logs, false)
	if err != nil || again.Added != 0 || again.Stored != 681 {
		t.Errorf("re-import: %+v, %v", again, err)
	}
}

// TestRealLogsCSV imports a logs.csv ethereum-etl's tests expect.
func TestRealLogsCSV(t *testing.T) {
	p := shareddata.Path(t, "rpc-fixtures", "ethereum-etl-resources", "test_export_receipts_job", "receipts_with_logs", "expected_logs.csv")
	db := openTemp(t)
	res, err := importWith(t, db, p, Logs, false)
	if err != nil || res.Read == 0 || res.Added != res.Read {
		t.Fatalf("got %+v, %v", res, err)
	}
}

// logsJSONToCSV writes ethereum-etl's JSON-lines logs export as its
// logs.csv (topics joined by commas) and returns its path and the
// transactions in it.
func logsJSONToCSV(t *testing.T, path string) (string, []chains.TxHash) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	b.WriteString(logsHeader)
	var txs []chains.TxHash
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct {
			Index     int      `json:"log_index"`
			Tx        string   `json:"transaction_hash"`
			TxIndex   int      `json:"transaction_index"`
			BlockHash string   `json:"block_hash"`
			Block     int      `json:"block_number"`
			Addr      string   `json:"address"`
			Data      string   `json:"data"`
			Topics    []string `json:"topics"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if !seen[l.Tx] {
			seen[l.Tx] = true
			txs = append(txs, chains.MustParseTxHash(l.Tx))
		}
		b.WriteString(strings.Join([]string{itoa(l.Index), l.Tx, itoa(l.TxIndex), l.BlockHash, itoa(l.Block), l.Addr, l.Data,
			`"` + strings.Join(l.Topics, ",") + `"`}, ",") + "\n")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "logs.csv", b.String()), txs
}

var _ Sink = (*store.Import)(nil)
