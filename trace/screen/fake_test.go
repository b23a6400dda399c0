package screen

import (
	"context"
	"fmt"
	"slices"

	"freezetrace/chains"
)

// memReader is a Reader over transfers and labels in memory, aggregating
// flows the way the store's contract says; it counts the addresses each
// method was asked about.
type memReader struct {
	ts       []chains.Transfer
	labels   map[chains.Address][]chains.Label
	contract map[chains.Address]bool
	frozen   map[chains.Address][]chains.AssetID
	asked    map[string]int
}

func newMem() *memReader {
	return &memReader{labels: map[chains.Address][]chains.Label{}, contract: map[chains.Address]bool{},
		frozen: map[chains.Address][]chains.AssetID{}, asked: map[string]int{}}
}

var usdt = chains.USDTEthereum

// addr makes a test address from a small number.
func addr(n int) chains.Address {
	var b [20]byte
	b[18], b[19] = byte(n>>8), byte(n)
	b[0] = 0xaa
	return chains.NewAddress(chains.FamilyEVM, b)
}

func txh(n int) chains.TxHash {
	var h chains.TxHash
	h[30], h[31] = byte(n>>8), byte(n)
	return h
}

// pay adds a transfer of v base units of usdt from a to b in block blk.
func (m *memReader) pay(a, b chains.Address, v uint64, blk uint64) {
	m.payAsset(usdt, a, b, v, blk)
}

func (m *memReader) payAsset(asset chains.AssetID, a, b chains.Address, v uint64, blk uint64) {
	n := len(m.ts) + 1
	m.ts = append(m.ts, chains.Transfer{Chain: chains.Ethereum, Tx: txh(n), Block: blk, From: a, To: b, Asset: asset, Amount: chains.NewAmount(v)})
}

func (m *memReader) label(a chains.Address, c chains.Category, entity string) {
	m.labels[a] = append(m.labels[a], chains.Label{Chain: chains.Ethereum, Address: a, Entity: entity, Category: c, Source: "test list", Confidence: 100})
}

func (m *memReader) Flows(_ context.Context, q chains.FlowQuery, addrs []chains.Address) (map[chains.Address]*chains.Flows, error) {
	m.asked["flows"] += len(addrs)
	out := map[chains.Address]*chains.Flows{}
	for _, a := range addrs {
		f := &chains.Flows{}
		peers := map[chains.Address]bool{}
		type key struct {
			peer  chains.Address
			asset chains.AssetID
		}
		in, outs := map[key]*chains.Flow{}, map[key]*chains.Flow{}
		for _, t := range m.ts {
			if t.Block < q.From || t.Block > q.To || !slices.Contains(q.Assets, t.Asset) || (t.From != a && t.To != a) {
				continue
			}
			f.Transfers++
			if f.First == 0 || t.Block < f.First {
				f.First = t.Block
			}
			f.Last = max(f.Last, t.Block)
			if t.Amount.IsZero() {
				continue
			}
			side, peer := in, t.From
			if t.From == a {
				side, peer = outs, t.To
			}
			peers[peer] = true
			k := key{peer, t.Asset}
			if side[k] == nil {
				side[k] = &chains.Flow{Peer: peer, Asset: t.Asset, Amount: chains.NewAmount(0), Tx: t.Tx, Block: t.Block}
			}
			side[k].Amount = side[k].Amount.Add(t.Amount)
			side[k].Count++
		}
		f.Peers = len(peers)
		if q.MaxPeers > 0 && f.Peers > q.MaxPeers {
			f.Busy, f.Peers = true, q.MaxPeers+1
		} else {
			for _, fl := range in {
				f.In = append(f.In, *fl)
			}
			for _, fl := range outs {
				f.Out = append(f.Out, *fl)
			}
			sortFlows := func(fs []chains.Flow) {
				slices.SortFunc(fs, func(x, y chains.Flow) int {
					if c := x.Peer.Compare(y.Peer); c != 0 {
						return c
					}
					return x.Asset.Contract.Compare(y.Asset.Contract)
				})
			}
			sortFlows(f.In)
			sortFlows(f.Out)
		}
		out[a] = f
	}
	return out, nil
}

func (m *memReader) LabelsOf(_ context.Context, _ chains.Chain, addrs []chains.Address) (map[chains.Address][]chains.Label, error) {
	m.asked["labels"] += len(addrs)
	out := map[chains.Address][]chains.Label{}
	for _, a := range addrs {
		if ls := m.labels[a]; len(ls) > 0 {
			out[a] = ls
		}
	}
	return out, nil
}

func (m *memReader) ContractsOf(_ context.Context, _ chains.Chain, addrs []chains.Address) (map[chains.Address]bool, error) {
	out := map[chains.Address]bool{}
	for _, a := range addrs {
		if c, ok := m.contract[a]; ok {
			out[a] = c
		}
	}
	return out, nil
}

func (m *memReader) FrozenOf(_ context.Context, _ []chains.AssetID, addrs []chains.Address) (map[chains.Address][]chains.AssetID, error) {
	out := map[chains.Address][]chains.AssetID{}
	for _, a := range addrs {
		if f := m.frozen[a]; len(f) > 0 {
			out[a] = f
		}
	}
	return out, nil
}

// screenOne screens addrs with default options changed by opt.
func screenAll(m *memReader, opt func(*Options), addrs ...chains.Address) ([]Result, error) {
	o := Options{Chain: chains.Ethereum, Assets: []chains.AssetID{usdt}, From: 20_000_000, To: 20_100_000,
		Hops: 3, Direction: DirBoth, MaxDegree: 50, Policy: DefaultPolicy()}
	if opt != nil {
		opt(&o)
	}
	s, err := New(m, o)
	if err != nil {
		return nil, err
	}
	return s.Screen(context.Background(), addrs, nil)
}

func pathString(p []Step) string {
	s := ""
	for _, st := range p {
		s += fmt.Sprintf("[%d→%d %s]", int(st.From.Bytes()[19]), int(st.To.Bytes()[19]), st.Amount)
	}
	return s
}
