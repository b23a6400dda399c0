package emulate

import (
	"bytes"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains/labels"
)

func writers(d *Dataset) map[string]func(io.Writer) error {
	return map[string]func(io.Writer) error{
		"token_transfers.csv": d.WriteTokenTransfers, "blocks.csv": d.WriteBlocks, "tokens.csv": d.WriteTokens,
		"contracts.csv": d.WriteContracts, "labels.csv": d.WriteLabels, "victims.txt": d.WriteVictims,
	}
}

func render(t *testing.T, d *Dataset) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, w := range writers(d) {
		var b bytes.Buffer
		if err := w(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b.Bytes()
	}
	return out
}

func TestGenerateDeterministic(t *testing.T) {
	a, b, c := render(t, Generate(7, Options{})), render(t, Generate(7, Options{})), render(t, Generate(8, Options{}))
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s: two runs with seed 7 differ", name)
		}
		if name != "tokens.csv" && bytes.Equal(a[name], c[name]) {
			t.Errorf("%s: seeds 7 and 8 give the same bytes", name)
		}
	}
}

func TestGenerateShape(t *testing.T) {
	d := Generate(1, Options{})
	if d.First <= BaseBlock || d.Head < d.Last+100 {
		t.Fatalf("blocks %d-%d head %d: want data above %d and a head past it", d.First, d.Last, d.Head, BaseBlock)
	}
	if got := d.Inflows(d.HotWallet); got < 12_000 {
		t.Errorf("hot wallet inflows: got %d, want >= 12,000", got)
	}
	reach := d.Reachable(8)
	if len(reach) < 200 {
		t.Errorf("addresses within 8 hops: got %d, want >= 200", len(reach))
	}
	for _, a := range []common.Address{d.HotWallet, d.Pools[0], d.Pools[1], d.Collections[0]} {
		if _, ok := reach[a]; !ok {
			t.Errorf("%s is not reached from the victim payments", a.Hex())
		}
	}
	deposits := 0
	for _, dep := range d.Deposits {
		if _, ok := reach[dep]; ok {
			deposits++
		}
	}
	if deposits < 5 {
		t.Errorf("case deposit addresses reached: got %d, want several", deposits)
	}
	var self, zero, shared bool
	perBlock := map[uint64]int{}
	for i, tr := range d.Transfers {
		self = self || tr.From == tr.To
		zero = zero || tr.Value.Sign() == 0
		perBlock[tr.Block]++
		shared = shared || perBlock[tr.Block] > 1
		if tr.Block < d.First || tr.Block > d.Last {
			t.Fatalf("transfer %d in block %d, outside %d-%d", i, tr.Block, d.First, d.Last)
		}
		if i > 0 {
			p := d.Transfers[i-1]
			if p.Block > tr.Block || (p.Block == tr.Block && p.LogIndex >= tr.LogIndex) {
				t.Fatalf("transfers %d and %d out of order", i-1, i)
			}
		}
	}
	if !self || !zero || !shared {
		t.Errorf("self-transfer %v, zero-value %v, shared block %v: want all", self, zero, shared)
	}
	nft := 0
	for _, l := range d.Logs {
		if len(l.Topics) == 4 && l.Topics[0] == TransferTopic && l.Address == d.NFT {
			nft++
		}
	}
	if nft != 1 || len(d.Logs) != len(d.Transfers)+1 {
		t.Errorf("ERC-721 logs: got %d (logs %d, transfers %d), want 1", nft, len(d.Logs), len(d.Transfers))
	}
	// Balances never go negative, at the end of any block.
	for a, ps := range d.balances {
		for _, p := range ps {
			if p.bal.Sign() < 0 {
				t.Fatalf("%s: balance %s at block %d", a.Hex(), p.bal, p.block)
			}
		}
	}
	if len(d.VictimPayments) < 20 || len(d.VictimPayments) != len(uniq(d.VictimPayments)) {
		t.Errorf("victim payments: got %d (%d distinct)", len(d.VictimPayments), len(uniq(d.VictimPayments)))
	}
	for _, h := range d.VictimPayments {
		tx, ok := d.Tx(h)
		if !ok || len(tx.Logs) != 1 || !contains(d.Victims, tx.From) {
			t.Fatalf("victim payment %s: not a victim's one-log transaction", h.Hex())
		}
	}
	t.Logf("addresses %d, transfers %d, txs %d, blocks %d-%d (head %d), hot wallet inflows %d, within 8 hops %d, victim payments %d",
		d.Addresses(), len(d.Transfers), len(d.Txs), d.First, d.Last, d.Head, d.Inflows(d.HotWallet), len(reach), len(d.VictimPayments))
}

func uniq(hs []common.Hash) map[common.Hash]bool {
	m := map[common.Hash]bool{}
	for _, h := range hs {
		m[h] = true
	}
	return m
}

func contains(as []common.Address, a common.Address) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

func TestBalanceMatchesHistory(t *testing.T) {
	d := Generate(3, Options{})
	for _, a := range []common.Address{d.Pools[0], d.Collections[1], d.HotWallet, d.Deposits[0]} {
		sum := new(big.Int)
		for _, tr := range d.Transfers {
			if tr.Block > d.First+20_000 {
				break
			}
			if tr.To == a {
				sum.Add(sum, tr.Value)
			}
			if tr.From == a {
				sum.Sub(sum, tr.Value)
			}
		}
		if got := d.Balance(a, d.First+20_000); got.Cmp(sum) != 0 {
			t.Errorf("%s: balance %s, history says %s", a.Hex(), got, sum)
		}
	}
	if d.Balance(d.Pools[0], d.First-1).Sign() != 0 {
		t.Error("balance before the data is not zero")
	}
}

func TestCSVShapes(t *testing.T) {
	d := Generate(1, Options{})
	files := render(t, d)
	for name, head := range map[string]string{
		"token_transfers.csv": "token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n",
		"blocks.csv":          "number,hash,parent_hash,",
		"tokens.csv":          "address,symbol,name,decimals,total_supply",
		"labels.csv":          "chain,address,entity,category,source\n",
	} {
		if !strings.HasPrefix(string(files[name]), head) {
			t.Errorf("%s starts %q, want %q", name, string(files[name][:min(80, len(files[name]))]), head)
		}
	}
	if got, want := bytes.Count(files["token_transfers.csv"], []byte("\n")), len(d.Logs)+1; got != want {
		t.Errorf("token_transfers.csv: %d lines, want %d", got, want)
	}
	if got, want := bytes.Count(files["blocks.csv"], []byte("\n")), int(d.Last-d.First)+2; got != want {
		t.Errorf("blocks.csv: %d lines, want %d", got, want)
	}
	res, err := labels.ParseCSV(bytes.NewReader(files["labels.csv"]), "labels.csv", labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Labels) != len(d.Labels) {
		t.Fatalf("labels parsed: got %d, want %d", len(res.Labels), len(d.Labels))
	}
	if res.Labels[0].Address != ChainAddress(d.HotWallet) || res.Labels[0].Category != "exchange" {
		t.Errorf("first label: got %+v, want the hot wallet as an exchange", res.Labels[0])
	}
	if n := strings.Count(string(files["victims.txt"]), "\n"); n != len(d.VictimPayments) {
		t.Errorf("victims.txt: %d lines, want %d", n, len(d.VictimPayments))
	}
	if _, err := d.WriteFiles(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
