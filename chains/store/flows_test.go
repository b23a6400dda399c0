package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
)

var usdc = chains.USDCEthereum

// addrN is a distinct test address for each n.
func addrN(n int) chains.Address {
	var b [20]byte
	b[0] = 0xee
	binary.BigEndian.PutUint32(b[16:], uint32(n))
	return chains.NewAddress(chains.FamilyEVM, b)
}

// txN is a distinct transaction hash for each n.
func txN(n int) chains.TxHash {
	var h chains.TxHash
	h[0] = 0xcd
	binary.BigEndian.PutUint32(h[28:], uint32(n))
	return h
}

// move is a transfer of asset with an amount in decimal.
func move(n int, asset chains.AssetID, block uint64, pos uint32, from, to chains.Address, amount string) chains.Transfer {
	return chains.Transfer{Chain: chains.Ethereum, Tx: txN(n), Position: pos, Block: block, From: from, To: to,
		Asset: asset, Amount: chains.MustParseAmount(amount)}
}

func putTransfers(t *testing.T, db *DB, ts []chains.Transfer) {
	t.Helper()
	if _, err := db.PutTransfers(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
}

// flowsText writes f one fact a line, for comparing and for readable diffs.
func flowsText(f *chains.Flows) string {
	if f == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "transfers=%d peers=%d busy=%v first=%d last=%d in-nil=%v out-nil=%v\n",
		f.Transfers, f.Peers, f.Busy, f.First, f.Last, f.In == nil, f.Out == nil)
	for _, side := range []struct {
		name string
		fs   []chains.Flow
	}{{"in", f.In}, {"out", f.Out}} {
		for _, fl := range side.fs {
			fmt.Fprintf(&b, "%s %s %s %s n=%d tx=%s block=%d\n", side.name, fl.Peer, fl.Asset, fl.Amount, fl.Count, fl.Tx, fl.Block)
		}
	}
	return b.String()
}

func flowsOf(t *testing.T, db *DB, q chains.FlowQuery, addrs ...chains.Address) map[chains.Address]*chains.Flows {
	t.Helper()
	got, err := db.Flows(context.Background(), q, addrs)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if got[a] == nil {
			t.Fatalf("address %s is not a key of the result", a)
		}
	}
	if len(got) > len(addrs) {
		t.Fatalf("%d keys for %d addresses", len(got), len(addrs))
	}
	return got
}

func TestFlows(t *testing.T) {
	db := openTemp(t)
	dave, frank, erin := addrN(4), addrN(6), addrN(5)
	const two63 = "9223372036854775808"
	putTransfers(t, db, []chains.Transfer{
		move(1, usdt, 10, 5, bob, alice, "100"),
		move(2, usdt, 10, 2, bob, alice, "50"), // first of bob's inflow: lower position in the same block
		move(3, usdt, 12, 0, bob, alice, "18446744073709551616"),
		move(4, usdc, 11, 1, bob, alice, "7"),
		move(5, usdt, 11, 3, carol, alice, two63),
		move(6, usdt, 15, 4, carol, alice, two63), // with tx 5: overflows a machine word
		move(7, usdt, 13, 0, alice, carol, "30"),
		move(8, usdt, 14, 0, alice, bob, "40"),
		move(9, usdt, 15, 0, dave, alice, "0"), // address poisoning
		move(10, usdt, 9, 0, alice, bob, "1000"),
		move(11, usdt, 16, 0, carol, alice, "5"),
		move(12, usdt, 12, 0, frank, frank, "5"),
	})
	q := chains.FlowQuery{Chain: chains.Ethereum, Assets: []chains.AssetID{usdt, usdc}, From: 10, To: 15}

	t.Run("OK", func(t *testing.T) {
		got := flowsOf(t, db, q, alice, bob, dave, erin, alice)
		want := &chains.Flows{
			In: []chains.Flow{
				{Peer: bob, Asset: usdc, Amount: chains.NewAmount(7), Count: 1, Tx: txN(4), Block: 11},
				{Peer: bob, Asset: usdt, Amount: chains.MustParseAmount("18446744073709551766"), Count: 3, Tx: txN(2), Block: 10},
				{Peer: carol, Asset: usdt, Amount: chains.MustParseAmount("18446744073709551616"), Count: 2, Tx: txN(5), Block: 11},
			},
			Out: []chains.Flow{
				{Peer: bob, Asset: usdt, Amount: chains.NewAmount(40), Count: 1, Tx: txN(8), Block: 14},
				{Peer: carol, Asset: usdt, Amount: chains.NewAmount(30), Count: 1, Tx: txN(7), Block: 13},
			},
			Transfers: 9, Peers: 2, First: 10, Last: 15,
		}
		if g, w := flowsText(got[alice]), flowsText(want); g != w {
			t.Errorf("alice: got\n%s\nwant\n%s", g, w)
		}
		if f := got[bob]; f.Transfers != 5 || f.Peers != 1 || len(f.In) != 1 || len(f.Out) != 2 || f.First != 10 || f.Last != 14 {
			t.Errorf("bob: got\n%s", flowsText(f))
		}
		wantDave := &chains.Flows{Transfers: 1, First: 15, Last: 15}
		if g, w := flowsText(got[dave]), flowsText(wantDave); g != w {
			t.Errorf("dave (zero-value only): got\n%s\nwant\n%s", g, w)
		}
		if !reflect.DeepEqual(got[erin], &chains.Flows{}) {
			t.Errorf("erin (not stored): got\n%s\nwant empty Flows", flowsText(got[erin]))
		}
	})
	t.Run("SelfTransfer", func(t *testing.T) {
		got := flowsOf(t, db, q, frank)[frank]
		self := chains.Flow{Peer: frank, Asset: usdt, Amount: chains.NewAmount(5), Count: 1, Tx: txN(12), Block: 12}
		want := &chains.Flows{In: []chains.Flow{self}, Out: []chains.Flow{self}, Transfers: 1, Peers: 1, First: 12, Last: 12}
		if g, w := flowsText(got), flowsText(want); g != w {
			t.Errorf("got\n%s\nwant\n%s", g, w)
		}
	})
	t.Run("WindowBounds", func(t *testing.T) {
		for _, c := range []struct {
			from, to uint64
			want     string // alice's inflows from bob, usdt
			n        int    // alice's transfers
		}{
			{10, 10, "150", 2},
			{9, 9, "", 1},
			{16, chains.Latest, "", 1},
			{0, chains.Latest, "18446744073709551766", 10}, // every usdt transfer but frank's
		} {
			qq := q
			qq.Assets, qq.From, qq.To = []chains.AssetID{usdt}, c.from, c.to
			f := flowsOf(t, db, qq, alice)[alice]
			var got string
			for _, fl := range f.In {
				if fl.Peer == bob {
					got = fl.Amount.String()
				}
			}
			if got != c.want || f.Transfers != c.n {
				t.Errorf("[%d, %d]: inflow from bob %q, %d transfers; want %q, %d", c.from, c.to, got, f.Transfers, c.want, c.n)
			}
		}
	})
	t.Run("EmptyWindow", func(t *testing.T) {
		qq := q
		qq.From, qq.To = 15, 10
		if f := flowsOf(t, db, qq, alice)[alice]; !reflect.DeepEqual(f, &chains.Flows{}) {
			t.Errorf("from > to: got\n%s", flowsText(f))
		}
		qq.From, qq.To = chains.Latest, chains.Latest
		if f := flowsOf(t, db, qq, alice)[alice]; !reflect.DeepEqual(f, &chains.Flows{}) {
			t.Errorf("from = to = Latest: got\n%s", flowsText(f))
		}
	})
	t.Run("UnknownAsset", func(t *testing.T) {
		other := chains.AssetID{Chain: chains.Ethereum, Contract: addrN(99)}
		qq := q
		qq.Assets = []chains.AssetID{other, usdt, usdc, usdt}
		if g, w := flowsText(flowsOf(t, db, qq, alice)[alice]), flowsText(flowsOf(t, db, q, alice)[alice]); g != w {
			t.Errorf("with an unknown and a repeated asset: got\n%s\nwant\n%s", g, w)
		}
		qq.Assets = []chains.AssetID{other}
		if f := flowsOf(t, db, qq, alice)[alice]; !reflect.DeepEqual(f, &chains.Flows{}) {
			t.Errorf("only an unknown asset: got\n%s", flowsText(f))
		}
	})
	t.Run("ErrWrongChain", func(t *testing.T) {
		for _, assets := range [][]chains.AssetID{{usdt, chains.USDTTron}, nil} {
			qq := q
			qq.Assets = assets
			_, err := db.Flows(context.Background(), qq, []chains.Address{alice})
			var ie *chains.InputError
			if !errors.As(err, &ie) {
				t.Errorf("assets %v: got %v, want an InputError", assets, err)
			}
		}
	})
}

// TestFlowsBusy covers both ways Busy is decided: from the rows of an
// address within the row cap, and from a bounded DISTINCT count for one
// beyond it, whose rows are then not read.
func TestFlowsBusy(t *testing.T) {
	db := openTemp(t)
	small, large := addrN(1), addrN(2)
	peers := []chains.Address{addrN(10), addrN(11), addrN(12)}
	var ts []chains.Transfer
	for i, p := range peers {
		ts = append(ts, move(i, usdt, uint64(i+1), 0, p, small, "1"))
	}
	ts = append(ts, move(3, usdt, 9, 0, addrN(13), small, "0")) // a zero-value transfer: no peer
	const rows = minFlowRows + 200
	for i := 0; i < rows; i++ {
		ts = append(ts, move(100+i, usdt, uint64(i), 0, peers[i%3], large, "2"))
	}
	for i := 0; i < 5; i++ {
		ts = append(ts, move(5000+i, usdt, 7, 0, addrN(20+i), large, "0"))
	}
	putTransfers(t, db, ts)
	q := chains.FlowQuery{Chain: chains.Ethereum, Assets: []chains.AssetID{usdt}, From: 0, To: chains.Latest}

	for _, c := range []struct {
		name     string
		addr     chains.Address
		maxPeers int
		busy     bool
		read     int64 // transfer rows read
	}{
		{"SmallOverLimit", small, 2, true, 3},
		{"SmallAtLimit", small, 3, false, 3},
		{"SmallNoLimit", small, 0, false, 3},
		{"LargeOverLimit", large, 2, true, 0}, // the DISTINCT count alone
		{"LargeAtLimit", large, 3, false, rows},
		{"LargeNoLimit", large, 0, false, rows},
	} {
		t.Run(c.name, func(t *testing.T) {
			qq := q
			qq.MaxPeers = c.maxPeers
			before := db.TransfersRead()
			f := flowsOf(t, db, qq, c.addr)[c.addr]
			if read := db.TransfersRead() - before; read != c.read {
				t.Errorf("read %d transfer rows, want %d", read, c.read)
			}
			n, first, last := 4, uint64(1), uint64(9)
			if c.addr == large {
				n, first, last = rows+5, 0, rows-1
			}
			if f.Busy != c.busy || f.Transfers != n || f.First != first || f.Last != last {
				t.Fatalf("got\n%s\nwant busy=%v, %d transfers, first %d, last %d", flowsText(f), c.busy, n, first, last)
			}
			if c.busy {
				if f.Peers != c.maxPeers+1 || f.In != nil || f.Out != nil {
					t.Errorf("busy: got\n%s\nwant peers=%d and no flows", flowsText(f), c.maxPeers+1)
				}
				return
			}
			if f.Peers != 3 || len(f.In) != 3 || f.Out != nil {
				t.Errorf("got\n%s\nwant 3 peers, 3 inflows", flowsText(f))
			}
		})
	}
}

// TestFlowsBatches reads more addresses than one query carries, and gets
// what reading them one at a time gives.
func TestFlowsBatches(t *testing.T) {
	db := openTemp(t)
	const n = 2500
	hub := addrN(n)
	var ts []chains.Transfer
	var addrs []chains.Address
	for i := 0; i < n; i++ {
		addrs = append(addrs, addrN(i))
		if i%10 == 9 {
			continue // never stored
		}
		next := i + 1
		if next%10 == 9 {
			next++
		}
		amt := fmt.Sprint(i + 1)
		ts = append(ts, move(2*i, usdt, uint64(i%50), 0, addrN(i), addrN(next%n), amt))
		if i%3 == 0 {
			ts = append(ts, move(2*i+1, usdc, uint64(i%40), 1, hub, addrN(i), amt))
		}
	}
	putTransfers(t, db, ts)
	addrs = append(addrs, hub, addrs[7])
	many := slices.Clone(addrs) // 10,000 more, never stored
	for i := 0; i < 10_000; i++ {
		many = append(many, addrN(100_000+i))
	}
	for _, maxPeers := range []int{0, 5} {
		q := chains.FlowQuery{Chain: chains.Ethereum, Assets: []chains.AssetID{usdt, usdc}, From: 3, To: 45, MaxPeers: maxPeers}
		all := flowsOf(t, db, q, many...)
		if len(all) != n+1+10_000 {
			t.Fatalf("%d keys, want %d", len(all), n+1+10_000)
		}
		if b := all[hub].Busy; b != (maxPeers > 0) {
			t.Errorf("max peers %d: hub busy %v", maxPeers, b)
		}
		for _, a := range addrs {
			if g, w := flowsText(all[a]), flowsText(flowsOf(t, db, q, a)[a]); g != w {
				t.Fatalf("max peers %d, %s: batched\n%s\none at a time\n%s", maxPeers, a, g, w)
			}
		}
		for _, a := range many[len(addrs):] {
			if !reflect.DeepEqual(all[a], &chains.Flows{}) {
				t.Fatalf("%s (never stored): got\n%s", a, flowsText(all[a]))
			}
		}
	}
}

func TestLabelsOf(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	asset := usdt
	far := addrN(300) // beyond the first batch
	ls := []chains.Label{
		{Chain: chains.Ethereum, Address: alice, Entity: "Binance", Category: chains.CategoryExchange, Source: "tagpack b", Confidence: 50},
		{Chain: chains.Ethereum, Address: alice, Entity: "Binance", Category: chains.CategoryDeposit, Source: "heuristic", Confidence: 80,
			Heuristic: "deposit-sweep", Evidence: []chains.TxHash{txh(1), txh(2)}, Date: "2024-01-02", Note: "swept"},
		{Chain: chains.Ethereum, Address: alice, Entity: "OFAC", Category: chains.CategorySanctioned, Source: "ofac usdt", Confidence: 80, Asset: &asset},
		{Chain: chains.Tron, Address: alice.In(chains.FamilyTRON), Entity: "Other chain", Category: chains.CategoryScam, Source: "x", Confidence: 100},
		{Chain: chains.Ethereum, Address: bob, Entity: "Bob", Category: chains.CategoryExchange, Source: "s", Confidence: 10},
		{Chain: chains.Ethereum, Address: far, Entity: "Far", Category: chains.CategoryScam, Source: "s", Confidence: 90},
	}
	if _, err := db.PutLabels(ctx, ls); err != nil {
		t.Fatal(err)
	}
	addrs := []chains.Address{bob}
	for i := 0; i < 400; i++ {
		addrs = append(addrs, addrN(i))
	}
	addrs = append(addrs, alice, carol, bob)
	got, err := db.LabelsOf(ctx, chains.Ethereum, addrs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("%d keys, want 3 (alice, bob, far)", len(got))
	}
	for _, a := range addrs {
		want, err := db.Labels(ctx, chains.Ethereum, a)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			if ls, ok := got[a]; ok {
				t.Errorf("%s: got %+v, want no key", a, ls)
			}
			continue
		}
		if !reflect.DeepEqual(got[a], want) {
			t.Errorf("%s: got %+v\nwant %+v", a, got[a], want)
		}
	}
	if len(got[alice]) != 3 {
		t.Errorf("alice: %d labels, want 3", len(got[alice]))
	}
	tron, err := db.LabelsOf(ctx, chains.Tron, []chains.Address{alice.In(chains.FamilyTRON), bob})
	if err != nil {
		t.Fatal(err)
	}
	if len(tron) != 1 || len(tron[alice.In(chains.FamilyTRON)]) != 1 {
		t.Errorf("tron: got %+v, want alice's one label", tron)
	}
}

func TestContractsOf(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	far := addrN(250)
	for _, c := range []struct {
		chain chains.Chain
		addrs []chains.Address
		is    bool
	}{
		{chains.Ethereum, []chains.Address{alice, far}, true},
		{chains.Ethereum, []chains.Address{bob}, false},
		{chains.Tron, []chains.Address{carol}, true},
	} {
		if _, err := db.PutContracts(ctx, c.chain, c.addrs, c.is, "rpc"); err != nil {
			t.Fatal(err)
		}
	}
	addrs := []chains.Address{alice, bob, carol}
	for i := 0; i < 300; i++ {
		addrs = append(addrs, addrN(i))
	}
	got, err := db.ContractsOf(ctx, chains.Ethereum, addrs)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[chains.Address]bool{alice: true, bob: false, far: true}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestFrozenOf(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	dave := addrN(4)
	for _, f := range []struct {
		asset  chains.AssetID
		addr   chains.Address
		block  uint64
		frozen bool
	}{
		{usdt, alice, 100, true}, {usdt, alice, 200, false}, // unfrozen later
		{usdt, bob, 100, true}, {usdt, bob, 200, false}, {usdt, bob, 300, true}, // frozen again
		{usdt, carol, 60, true}, {usdc, carol, 50, true},
		{usdc, dave, 50, true},
	} {
		if err := db.PutFreeze(ctx, f.asset, f.addr, chains.Freeze{Frozen: f.frozen, Issuer: "Tether", Block: f.block}, 0, "rpc", time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	addrs := []chains.Address{alice, bob, carol, dave, addrN(9)}
	for _, c := range []struct {
		assets []chains.AssetID
		want   map[chains.Address][]chains.AssetID
	}{
		{[]chains.AssetID{usdt}, map[chains.Address][]chains.AssetID{bob: {usdt}, carol: {usdt}}},
		{[]chains.AssetID{usdc, usdt, usdc}, map[chains.Address][]chains.AssetID{bob: {usdt}, carol: {usdc, usdt}, dave: {usdc}}},
		{[]chains.AssetID{usdt, usdc}, map[chains.Address][]chains.AssetID{bob: {usdt}, carol: {usdt, usdc}, dave: {usdc}}},
		{nil, map[chains.Address][]chains.AssetID{}},
	} {
		got, err := db.FrozenOf(ctx, c.assets, addrs)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("assets %v: got %v, want %v", c.assets, got, c.want)
		}
	}
}

func TestCoverageOf(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	far := addrN(210)
	err := db.update(ctx, func(b *Batch) error {
		for _, c := range []struct {
			addr     chains.Address
			asset    chains.AssetID
			from, to uint64
		}{
			{alice, usdt, 101, 200}, {alice, usdt, 0, 100}, {alice, usdt, 300, 400},
			{alice, usdc, 50, 350},
			{bob, usdt, 0, 10},
			{far, usdt, 5, 9}, {far, usdc, 7, 20},
		} {
			if err := b.AddCoverage(ctx, c.addr, c.asset, c.from, c.to, "rpc", time.Unix(0, 0)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	addrs := []chains.Address{alice, bob, carol}
	for i := 0; i < 250; i++ {
		addrs = append(addrs, addrN(i))
	}
	other := chains.AssetID{Chain: chains.Ethereum, Contract: addrN(99)}
	for _, c := range []struct {
		assets []chains.AssetID
		want   map[chains.Address][]Range
	}{
		{[]chains.AssetID{usdt, usdc}, map[chains.Address][]Range{alice: {{50, 200}, {300, 350}}, far: {{7, 9}}}},
		{[]chains.AssetID{usdt}, map[chains.Address][]Range{alice: {{0, 200}, {300, 400}}, bob: {{0, 10}}, far: {{5, 9}}}},
		{[]chains.AssetID{usdt, other}, map[chains.Address][]Range{}},
		{nil, map[chains.Address][]Range{}},
	} {
		got, err := db.CoverageOf(ctx, c.assets, addrs)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("assets %v: got %v, want %v", c.assets, got, c.want)
		}
		for a, rs := range got {
			if len(c.assets) != 1 {
				continue
			}
			if one, err := db.Coverage(ctx, a, c.assets[0]); err != nil || !reflect.DeepEqual(one, rs) {
				t.Errorf("%s: got %v, Coverage says %v, %v", a, rs, one, err)
			}
		}
	}
}

// The count, counterparty and row queries of Flows read the address
// indexes, the counts the indexes alone; LabelsOf reads labels_key.
func TestFlowsQueriesUseIndexes(t *testing.T) {
	db := openTemp(t)
	ids := inList(3)
	type planCase struct {
		query string
		args  []any
		want  []string
	}
	cases := []planCase{{`SELECT l.address, ` + labelSelect + `WHERE l.chain = ? AND l.address IN ` + inList(2) + ` ORDER BY l.address, ` + labelOrder,
		[]any{"ethereum", []byte{1}, []byte{2}}, []string{"USING INDEX labels_key (chain=? AND address=?)"}}}
	// A few assets are sought in the index, many filtered on its entries.
	for _, n := range []int{2, maxAssetSeeks + 1} {
		assets := assetTerm(n)
		var as []any
		for i := range n {
			as = append(as, i+1)
		}
		args := append(append([]any{1, 2, 3}, as...), 0, 10)
		one := append(append([]any{1}, as...), 0, 10)
		cases = append(cases,
			planCase{fmt.Sprintf(flowCountFromQuery, ids, assets), args, []string{"USING COVERING INDEX transfers_from"}},
			planCase{fmt.Sprintf(flowCountToQuery, ids, assets), args, []string{"USING COVERING INDEX transfers_to"}},
			planCase{fmt.Sprintf(flowRowsQuery, "from_id", ids, assets), args, []string{"USING INDEX transfers_from"}},
			planCase{fmt.Sprintf(flowRowsQuery, "to_id", ids, assets), args, []string{"USING INDEX transfers_to"}},
			planCase{fmt.Sprintf(flowPeersQuery, assets, 6), append(slices.Clone(one), one...), []string{"USING INDEX transfers_from", "USING INDEX transfers_to"}})
	}
	for _, c := range cases {
		plan := queryPlan(t, db, c.query, c.args...)
		for _, w := range c.want {
			if !strings.Contains(plan, w) {
				t.Errorf("plan lacks %q:\n%s\nfor %s", w, plan, c.query)
			}
		}
		if strings.Contains(plan, "SCAN transfers") || strings.Contains(plan, "SCAN l") {
			t.Errorf("plan scans a table:\n%s\nfor %s", plan, c.query)
		}
	}
}
