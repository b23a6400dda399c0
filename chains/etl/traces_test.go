package etl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/internal/shareddata"
)

const tracesHeader = "block_number,transaction_hash,transaction_index,from_address,to_address,value,input,output,trace_type,call_type,reward_type,gas,gas_used,subtraces,trace_address,error,status,trace_id\n"

// traceRowCSV is a traces.csv row of transaction index 3.
func traceRowCSV(block int, tx, from, to, value, typ, callType string, subtraces int, addr, errText, status string) string {
	return strings.Join([]string{itoa(block), tx, "3", from, to, value, "0x", "0x", typ, callType, "", "100000", "50000",
		itoa(subtraces), `"` + addr + `"`, errText, status, "id"}, ",") + "\n"
}

// swapTraces are the traces of a swap of tokens for ETH through a router
// (C calls the router; the router calls the pair, which calls WETH
// (transfer) and is asked balances by STATICCALL; the router calls WETH's
// withdraw, WETH sends the ETH to the router, the router sends it to C),
// then a block reward and a transaction whose subcall failed and whose
// sub-subcall therefore moved nothing.
func swapTraces() string {
	const (
		c      = addr1
		router = "0x7a250d5630b4cf539739df2c5dacb4c659f2488d"
		pair   = pairAddr
		weth   = wethAddr
		eth    = "4935790171985306494"
	)
	return tracesHeader +
		traceRowCSV(20000010, txHex(1), c, router, "0", "call", "call", 3, "", "", "1") +
		traceRowCSV(20000010, txHex(1), router, pair, "0", "call", "call", 2, "0", "", "1") +
		traceRowCSV(20000010, txHex(1), pair, weth, "0", "call", "call", 0, "0,0", "", "1") +
		traceRowCSV(20000010, txHex(1), pair, weth, "0", "call", "staticcall", 0, "0,1", "", "1") +
		traceRowCSV(20000010, txHex(1), router, weth, "0", "call", "call", 1, "1", "", "1") +
		traceRowCSV(20000010, txHex(1), weth, router, eth, "call", "call", 0, "1,0", "", "1") +
		traceRowCSV(20000010, txHex(1), router, c, eth, "call", "call", 0, "2", "", "1") +
		"20000010,,,,0x" + strings.Repeat("99", 20) + ",2000000000000000000,,,reward,,block,,,0,,,1,reward_20000010_0\n" +
		traceRowCSV(20000010, txHex(2), c, router, "5", "call", "call", 1, "", "", "1") +
		traceRowCSV(20000010, txHex(2), router, pair, "5", "call", "call", 1, "0", "reverted", "0") +
		traceRowCSV(20000010, txHex(2), pair, addr2, "5", "call", "call", 0, "0,0", "", "0")
}

// TestTraces imports hand-made traces: the internal transfers get their
// depth-first positions (every trace counting), the top-level call and
// the frames that move nothing or failed are skipped, and re-importing
// adds nothing.
func TestTraces(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	path := writeFile(t, "traces.csv", swapTraces())
	res, err := importWith(t, db, path, Traces, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 11 || res.Added != 2 || res.TopLevel != 1 || res.NoValue != 5 || res.Failed != 2 || res.NoTx != 1 || res.Skipped != 9 {
		t.Errorf("got %+v, want 2 added; 1 top-level, 5 moving nothing, 2 failed, 1 reward skipped", res)
	}
	ts, _, err := db.CachedTxTransfers(ctx, chains.Ethereum, chains.MustParseTxHash(txHex(1)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range ts {
		got = append(got, strings.Join([]string{itoa(int(tr.Position)), itoa(int(tr.TxIndex)), tr.From.String(), tr.To.String(), tr.Amount.String(), tr.Asset.String()}, " "))
	}
	router, c := chains.MustParseAddress("0x7a250d5630b4cf539739df2c5dacb4c659f2488d").String(), chains.MustParseAddress(addr1).String()
	want := []string{
		"5 3 " + chains.MustParseAddress(wethAddr).String() + " " + router + " 4935790171985306494 ethereum:native",
		"6 3 " + router + " " + c + " 4935790171985306494 ethereum:native",
	}
	if !slices.Equal(got, want) {
		t.Errorf("transfers\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	again, err := importWith(t, db, path, Traces, false)
	if err != nil || again.Added != 0 || again.Stored != 2 {
		t.Errorf("re-import: %+v, %v; want nothing added, 2 stored", again, err)
	}
}

// TestTracesUnordered: rows of a transaction in any order give the same
// positions.
func TestTracesUnordered(t *testing.T) {
	rows := strings.SplitAfter(swapTraces(), "\n")
	body := tracesHeader + rows[7] + rows[3] + rows[6] + rows[1] + rows[5] + rows[2] + rows[4]
	m, res := loadMem(t, body, Traces)
	if res.Added != 2 || len(m.transfers) != 2 || m.transfers[0].Position != 5 || m.transfers[1].Position != 6 {
		t.Errorf("got %+v, %+v", res, m.transfers)
	}
}

// TestTracesBadInput: a file holding part of a transaction's traces, or
// malformed values, is refused with file:line and what.
func TestTracesBadInput(t *testing.T) {
	rows := strings.SplitAfter(swapTraces(), "\n")
	all := func(skip ...int) string {
		var b strings.Builder
		b.WriteString(tracesHeader)
		for i := 1; i <= 7; i++ {
			if !slices.Contains(skip, i) {
				b.WriteString(rows[i])
			}
		}
		return b.String()
	}
	part := ": the file holds only part of the transaction's traces (export whole blocks)"
	what := "transaction " + txHex(1)
	for _, tc := range []struct{ name, body, want string }{
		{"ErrNoTop", all(1), "traces.csv:2: " + what + ": no top-level trace (empty trace_address)" + part},
		{"ErrNoParent", all(5), "traces.csv:6: " + what + ": trace [1,0] without its parent trace" + part},
		{"ErrNoSibling", all(3), "traces.csv:4: " + what + ": trace [0,1] without the 1 trace(s) before it under the same call" + part},
		{"ErrSubtraces", all(7), "traces.csv:2: " + what + ": trace [] has 3 subtraces, the file holds 2" + part},
		{"ErrTraceAddress", tracesHeader + strings.Replace(rows[2], `"0"`, `"0,x"`, 1), `traces.csv:2: trace_address: not call indexes joined by commas: "0,x"`},
		{"ErrTooDeep", tracesHeader + strings.Replace(rows[2], `"0"`, `"`+strings.Repeat("0,", 1024)+`0"`, 1), "traces.csv:2: trace_address: 1025 levels, deeper than the EVM's 1024"},
		{"ErrTraceType", tracesHeader + strings.Replace(rows[1], ",call,call,", ",reward,call,", 1), `traces.csv:2: trace_type: want call, create or suicide for a trace of a transaction, got "reward"`},
		{"ErrStatus", tracesHeader + strings.Replace(rows[1], ",,1,id", ",,2,id", 1), `traces.csv:2: status: want 0 or 1, got "2"`},
		{"ErrValue", tracesHeader + strings.Replace(rows[6], "4935790171985306494", "4.9e18", 1), `traces.csv:2: value: `},
		{"ErrDiffers", all() + strings.Replace(rows[7], "4935790171985306494", "1", 1), "traces.csv:9: " + what + ": trace [2] differs from the one at line 8"},
		{"ErrBlockAgain", all() + traceRowCSV(20000011, txHex(3), addr1, addr2, "1", "call", "call", 0, "", "", "1") + rows[9], "traces.csv:10: block 20000010 again, after its rows at lines 2-8 and other blocks'"},
		{"ErrTruncated", strings.TrimSuffix(all(), "\n"), "traces.csv:8: the last line has no line end: the file looks truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTemp(t)
			_, err := importWith(t, db, writeFile(t, "traces.csv", tc.body), Traces, false)
			wantRefused(t, db, err, tc.want)
		})
	}
}

// TestRealTraces imports ethereum-etl's traces.csv of four mainnet blocks
// and checks that the transfers are those ParityTransfers (the JSON-RPC
// source) reads from the same blocks' trace_block answers, less each
// transaction's own value (transactions.csv's): same transaction,
// position, transaction index, addresses and amount.
func TestRealTraces(t *testing.T) {
	root := shareddata.Path(t, "rpc-fixtures", "ethereum-etl-resources", "test_export_traces_job")
	total := 0
	for _, name := range []string{"block_with_create", "block_with_error", "block_with_subtraces", "block_with_suicide"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			data, err := os.ReadFile(filepath.Join(dir, "expected_traces.csv"))
			if err != nil {
				t.Fatal(err)
			}
			m, res := loadMem(t, string(data), Traces)
			if res.Added+res.Skipped != res.Read || res.NoTx != 1 {
				t.Errorf("got %+v", res)
			}
			raw, err := filepath.Glob(filepath.Join(dir, "web3_response.trace_block_*.json"))
			if err != nil || len(raw) != 1 {
				t.Fatalf("trace_block answer: %v %v", raw, err)
			}
			body, err := os.ReadFile(raw[0])
			if err != nil {
				t.Fatal(err)
			}
			var answer struct{ Result []evm.ParityTrace }
			if err := json.Unmarshal(body, &answer); err != nil {
				t.Fatal(err)
			}
			node, err := evm.ParityTransfers(chains.Ethereum, answer.Result)
			if err != nil {
				t.Fatal(err)
			}
			node = slices.DeleteFunc(node, func(tr chains.Transfer) bool { return tr.Position == 0 })
			if !slices.EqualFunc(m.transfers, node, sameTransfer) {
				t.Errorf("imported %+v\nthe node's %+v", m.transfers, node)
			}
			total += len(node)
		})
	}
	if total != 1 { // the suicide's refund; the others are top-level calls or a CALLCODE
		t.Errorf("%d internal transfers in the four blocks, want 1", total)
	}
}

// loadMem imports body into a memSink.
func loadMem(t *testing.T, body string, f Format) (*memSink, Result) {
	t.Helper()
	m := &memSink{}
	res, err := Load(context.Background(), strings.NewReader(body), "in.csv", Options{Chain: chains.Ethereum, Format: f}, m)
	if err != nil {
		t.Fatal(err)
	}
	return m, res
}

// sameTransfer compares transfers value by value.
func sameTransfer(a, b chains.Transfer) bool {
	return a.Key() == b.Key() && a.TxIndex == b.TxIndex && a.Block == b.Block && a.Time.Equal(b.Time) &&
		a.From == b.From && a.To == b.To && a.Amount.Cmp(b.Amount) == 0
}
