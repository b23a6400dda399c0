package etl

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/store"
)

// memSink records what an importer stores, without a database, so that
// fuzzing exercises the parsers and not SQLite.
type memSink struct {
	transfers []chains.Transfer
	blocks    []store.Block
	assets    []chains.Asset
	nft       []chains.AssetID
	contracts []chains.Address
	events    map[chains.TxHash][]chains.TxEvent
	maxBlock  uint64
}

func (m *memSink) PutFileTransfers(_ context.Context, ts []chains.Transfer, lines []int, _ bool) (int, error) {
	if len(lines) != len(ts) {
		panic("lines not aligned with transfers")
	}
	m.transfers = append(m.transfers, ts...)
	return len(ts), nil
}
func (m *memSink) PutFileBlocks(_ context.Context, bs []store.Block, lines []int) (int, error) {
	if len(lines) != len(bs) {
		panic("lines not aligned with blocks")
	}
	m.blocks = append(m.blocks, bs...)
	return len(bs), nil
}
func (m *memSink) PutFileAssets(_ context.Context, as []chains.Asset, lines []int) (int, error) {
	if len(lines) != len(as) {
		panic("lines not aligned with assets")
	}
	m.assets = append(m.assets, as...)
	return len(as), nil
}
func (m *memSink) PutNonFungible(_ context.Context, ids []chains.AssetID, _ string) (int, error) {
	m.nft = append(m.nft, ids...)
	return len(ids), nil
}
func (m *memSink) PutContracts(_ context.Context, _ chains.Chain, as []chains.Address, _ bool, _ string) (int, error) {
	m.contracts = append(m.contracts, as...)
	return len(as), nil
}
func (m *memSink) NonFungible(context.Context, chains.Chain) (map[chains.AssetID]bool, error) {
	return map[chains.AssetID]bool{}, nil
}
func (m *memSink) NoteBlock(n uint64) { m.maxBlock = max(m.maxBlock, n) }
func (m *memSink) PutFileTxEvents(_ context.Context, _ chains.Chain, tx chains.TxHash, evs []chains.TxEvent, rows, _ int) (int, error) {
	if m.events == nil {
		m.events = map[chains.TxHash][]chains.TxEvent{}
	}
	m.events[tx] = evs
	return rows, nil
}

// fuzzFormat checks, for any input, that the importer either fails with an
// input error that names the file and a line, or reads rows whose values
// survive a round trip through their text forms; and that it is
// deterministic.
func fuzzFormat(f *testing.F, format Format, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	var imp importer
	for _, x := range formats {
		if x.f == format {
			imp = x.imp
		}
	}
	run := func(data []byte) (*memSink, Result, error) {
		var res Result
		t, err := newTable(bytes.NewReader(data), "in.csv", chains.Ethereum)
		if err != nil {
			return nil, res, err
		}
		m := &memSink{}
		err = imp(context.Background(), t, m, &res)
		return m, res, err
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, res, err := run(data)
		if err != nil {
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "in.csv:") {
				t.Fatalf("error %v: want an input error starting with in.csv:", err)
			}
			return
		}
		if res.Added+res.Skipped != res.Read && format != Contracts {
			t.Fatalf("added %d + skipped %d != read %d", res.Added, res.Skipped, res.Read)
		}
		for _, tr := range m.transfers {
			if tr.Chain != chains.Ethereum || tr.Asset.Chain != chains.Ethereum || tr.From.Family() != chains.FamilyEVM || tr.To.Family() != chains.FamilyEVM {
				t.Fatalf("transfer not typed for ethereum: %+v", tr)
			}
			if b, err := chains.ParseAmount(tr.Amount.String()); err != nil || b.Cmp(tr.Amount) != 0 {
				t.Fatalf("amount %s does not round trip", tr.Amount)
			}
		}
		m2, res2, err := run(data)
		if err != nil || res2 != res || !reflect.DeepEqual(m, m2) {
			t.Fatalf("second run differs: %+v %v", res2, err)
		}
	})
}

const (
	fuzzTx   = "0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2"
	fuzzAddr = "0xdb18c8c4f636459b2d31ab9a27910e1da97b7f3f"
)

func FuzzImportTokenTransfers(f *testing.F) {
	fuzzFormat(f, TokenTransfers,
		"token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n"+
			fuzzAddr+","+fuzzAddr+","+fuzzAddr+",49730618,"+fuzzTx+",2,15320500\n",
		"block_number,value,log_index,transaction_hash,to_address,from_address,token_address,x\n1,0,0,"+fuzzTx+","+fuzzAddr+","+fuzzAddr+","+fuzzAddr+",\"a,b\"\n",
		"token_address\n\"unterminated\n")
}

func FuzzImportTransactions(f *testing.F) {
	fuzzFormat(f, Transactions,
		"hash,block_hash,block_number,transaction_index,from_address,to_address,value,block_timestamp,receipt_status\n"+
			fuzzTx+","+fuzzTx+",100,0,"+fuzzAddr+","+fuzzAddr+",5000,1595302464,1\n"+
			fuzzTx+","+fuzzTx+",100,1,"+fuzzAddr+",,0,2020-07-21 03:34:24 UTC,0\n")
}

func FuzzImportBlocks(f *testing.F) {
	fuzzFormat(f, Blocks, "number,hash,timestamp\n15320500,"+fuzzTx+",1660000000\n15320501,"+fuzzTx+",2022-08-09T00:00:13Z\n")
}

func FuzzImportTokens(f *testing.F) {
	fuzzFormat(f, Tokens, "address,symbol,name,decimals\n"+fuzzAddr+",USDT,Tether,6\n"+fuzzAddr[:41]+"1,CK,Kitties,\n")
}

func FuzzImportContracts(f *testing.F) {
	fuzzFormat(f, Contracts, "address,is_erc721\n"+fuzzAddr+",false\n"+fuzzAddr[:41]+"1,true\n")
}

func FuzzImportLogs(f *testing.F) {
	fuzzFormat(f, Logs, swapLogs(),
		logsHeader+"0,"+fuzzTx+",0,"+fuzzTx+",1,"+fuzzAddr+",0x,\n",
		logsHeader+"1,"+fuzzTx+",0,"+fuzzTx+",1,"+fuzzAddr+",0x00,\"0x"+strings.Repeat("0", 64)+"\"\n0,"+fuzzTx+",0,"+fuzzTx+",1,"+fuzzAddr+",0x,\n")
}

func FuzzImportTraces(f *testing.F) {
	fuzzFormat(f, Traces, swapTraces(),
		"block_number,transaction_hash,transaction_index,from_address,to_address,value,trace_type,call_type,trace_address,status\n"+
			"1,"+fuzzTx+",0,"+fuzzAddr+","+fuzzAddr+",5,call,call,,1\n1,"+fuzzTx+",0,"+fuzzAddr+","+fuzzAddr+",5,create,,0,1\n"+
			"1,"+fuzzTx+",0,"+fuzzAddr+","+fuzzAddr+",5,suicide,,\"0,0\",1\n1,,,,"+fuzzAddr+",5,reward,,,1\n")
}

// FuzzFieldParsers checks that the shortcuts of addressAt, hashAt and
// amountAt give what the full parsers give: the same value, or an error
// where they fail.
func FuzzFieldParsers(f *testing.F) {
	for _, s := range []string{
		"0xdb18c8c4f636459b2d31ab9a27910e1da97b7f3f", "0xDB18C8C4F636459B2D31AB9A27910E1DA97B7F3F",
		"0xdB18c8C4f636459B2d31Ab9a27910E1dA97b7f3F", "0xdb18c8c4f636459b2d31ab9a27910e1da97b7f3g",
		" 0xdb18c8c4f636459b2d31ab9a27910e1da97b7f3f ", "0Xdb18c8c4f636459b2d31ab9a27910e1da97b7f3f", "0xdb18",
		"0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2",
		"0x54F4D2DA70B5DBB1B3729B2816621C2D56C02969668FA67FA30B8F7DB3B8B5D2",
		"54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2",
		"0", "007", "49730618", "9999999999999999999", "18446744073709551615", "18446744073709551616",
		"+1", "-1", "1_000", "", " 12 ", "1e3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tb := &table{name: "in.csv", chain: chains.Ethereum, rec: []string{s}}
		a, err := tb.addressAt(0, "c")
		wa, werr := chains.Ethereum.ParseAddress(s)
		if (err == nil) != (werr == nil) || err == nil && a != wa {
			t.Errorf("address %q: got %v, %v; want %v, %v", s, a, err, wa, werr)
		}
		h, err := tb.hashAt(0, "c")
		wh, werr := chains.ParseTxHash(s)
		if (err == nil) != (werr == nil) || err == nil && h != wh {
			t.Errorf("hash %q: got %v, %v; want %v, %v", s, h, err, wh, werr)
		}
		n, err := tb.amountAt(0, "c")
		wn, werr := chains.ParseAmount(s)
		if (err == nil) != (werr == nil) || err == nil && n.Cmp(wn) != 0 {
			t.Errorf("amount %q: got %v, %v; want %v, %v", s, n, err, wn, werr)
		}
	})
}
