package emulate

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
)

// Options shape a generated dataset; the zero value gives the default case.
type Options struct {
	Victims    int    // victims of the scam (default 12)
	HotInflows int    // background deposits swept into the hot wallet (default 12,500)
	Users      int    // background exchange customers (default 2,500)
	Span       uint64 // blocks of data (default 40,000, about 5.5 days)
	HeadMargin uint64 // blocks from the last data block to the head (default 300)
}

func (o Options) withDefaults() Options {
	if o.Victims <= 0 {
		o.Victims = 12
	}
	if o.HotInflows <= 0 {
		o.HotInflows = 12_500
	}
	if o.Users <= 0 {
		o.Users = 2_500
	}
	if o.Span < 32_000 {
		o.Span = 40_000
	}
	if o.HeadMargin == 0 {
		o.HeadMargin = 300
	}
	return o
}

// usdt is n whole USDT in base units.
const usdt int64 = 1_000_000

// event is a transfer planned by the generator. Events of one transaction
// share a group and a block and are created one after another.
type event struct {
	block    uint64
	seq      int
	group    int
	from, to common.Address
	value    int64
	sender   common.Address // the transaction's sender
	txTo     common.Address // the transaction's recipient
	kind     int
}

const (
	kindTransfer = iota // transfer(to, value) sent by the holder
	kindBatch           // disperseToken through the disperse contract
	kindPoison          // transferFrom(victim, lookalike, 0) sent by the poisoner
	kindNFT             // a 4-topic ERC-721 Transfer (mint) on the NFT contract
	kindMint            // issue by the token owner (from the zero address)
)

type builder struct {
	seed   int64
	rng    *rand.Rand
	events []event
	seq    int
	groups int
	in     map[common.Address][]event
	out    map[common.Address]int64
	first  uint64
	last   uint64
}

func (b *builder) addr(name string) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte(fmt.Sprintf("freezetrace/emulate/%d/%s", b.seed, name)))[12:])
}

// avail is what a can send at block: inflows planned at or before it
// (earlier-created events of the same block come first) less every
// outflow planned, at any block. Planning outflows against it keeps every
// balance non-negative at every point.
func (b *builder) avail(a common.Address, block uint64) int64 {
	var s int64
	for _, e := range b.in[a] {
		if e.block <= block {
			s += e.value
		}
	}
	return s - b.out[a]
}

func (b *builder) between(lo, hi int64) int64 { return lo + b.rng.Int64N(hi-lo+1) }

func (b *builder) delay(lo, hi uint64) uint64 { return lo + b.rng.Uint64N(hi-lo+1) }

// send plans one transfer in its own transaction; it sends at most what
// from has and returns the amount.
func (b *builder) send(block uint64, from, to common.Address, value int64) int64 {
	return b.plan(block, from, to, value, b.newGroup(), kindTransfer, from, USDT)
}

func (b *builder) newGroup() int { b.groups++; return b.groups }

func (b *builder) plan(block uint64, from, to common.Address, value int64, group, kind int, sender, txTo common.Address) int64 {
	if block > b.last {
		block = b.last
	}
	if kind != kindMint && kind != kindNFT && kind != kindPoison {
		value = min(value, b.avail(from, block))
		if value <= 0 {
			return 0
		}
	}
	b.seq++
	e := event{block: block, seq: b.seq, group: group, from: from, to: to, value: value, sender: sender, txTo: txTo, kind: kind}
	b.events = append(b.events, e)
	if kind != kindNFT {
		b.in[to] = append(b.in[to], e)
		if kind != kindMint {
			b.out[from] += value
		}
	}
	return value
}

// Generate builds the dataset of seed: the same seed and options always
// give the same dataset, byte for byte in every file written from it.
func Generate(seed int64, opts Options) *Dataset {
	o := opts.withDefaults()
	b := &builder{seed: seed, rng: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		in: map[common.Address][]event{}, out: map[common.Address]int64{}}
	b.first = BaseBlock + 1
	b.last = b.first + o.Span - 1
	d := &Dataset{Seed: seed, First: b.first, Last: b.last, Head: b.last + o.HeadMargin, NFT: b.addr("nft-contract")}
	S := b.first

	treasury, cold, hot, hotB := b.addr("tether-treasury"), b.addr("alpha-cold"), b.addr("alpha-hot"), b.addr("beta-hot")
	disperse, pair := b.addr("disperse-contract"), b.addr("dex-pair")
	d.HotWallet, d.ColdWallet, d.OtherHotWallet = hot, cold, hotB
	b.plan(S, common.Address{}, treasury, 2_000_000_000*usdt, b.newGroup(), kindMint, treasury, USDT)
	b.send(S, treasury, cold, 1_200_000_000*usdt)
	b.send(S+1, cold, hot, 800_000_000*usdt)
	b.send(S+1, treasury, hotB, 400_000_000*usdt)
	b.plan(S+5, common.Address{}, b.addr("nft-holder"), 4242, b.newGroup(), kindNFT, b.addr("nft-holder"), d.NFT)

	// Case deposit addresses: twelve at Alpha, three at Beta; each
	// inflow is swept to its exchange's hot wallet within hours.
	for k := range 15 {
		d.Deposits = append(d.Deposits, b.addr(fmt.Sprintf("case-deposit-%02d", k)))
	}
	depositTo := func(block uint64, from common.Address, value int64) {
		dep := d.Deposits[b.rng.IntN(len(d.Deposits))]
		if v := b.send(block, from, dep, value); v > 0 {
			dest := hot
			if slices.Index(d.Deposits, dep) >= 12 {
				dest = hotB
			}
			b.send(block+b.delay(30, 900), dep, dest, v)
		}
	}

	b.caseFlows(d, o, hot, hotB, disperse, depositTo)
	b.background(o, hot, hotB, cold, pair)

	d.Poisoner = b.addr("poisoner")
	d.Contracts = []common.Address{USDT, d.NFT, disperse, pair}
	d.Labels = []Label{
		{hot, "Alpha Exchange", chains.CategoryExchange, "emulate"},
		{cold, "Alpha Exchange", chains.CategoryExchange, "emulate"},
		{hotB, "Beta Exchange", chains.CategoryExchange, "emulate"},
		{pair, "Emulated DEX USDT pool", chains.CategoryDeFi, "emulate"},
		{treasury, "Tether Treasury", chains.CategoryIssuer, "emulate"},
		{d.Poisoner, "Address poisoner", chains.CategoryScam, "emulate"},
	}
	d.finish(b)
	return d
}

// caseFlows plans the scam: victims pay collection addresses, which sweep
// into two pools mixed with clean money; the pools fan out and start peel
// chains; the layers below hold, split again or pay exchange deposit
// addresses.
func (b *builder) caseFlows(d *Dataset, o Options, hot, hotB, disperse common.Address, depositTo func(uint64, common.Address, int64)) {
	S := b.first
	d.Pools = []common.Address{b.addr("pool-0"), b.addr("pool-1")}
	nColl := o.Victims + 4
	for c := range nColl {
		d.Collections = append(d.Collections, b.addr(fmt.Sprintf("collection-%02d", c)))
	}
	d.Poisoner = b.addr("poisoner")
	d.Lookalike = lookalike(d.Collections[0], b.addr("lookalike"))
	var paySeqs []int
	for i := range o.Victims {
		v := b.addr(fmt.Sprintf("victim-%02d", i))
		d.Victims = append(d.Victims, v)
		b.send(S+50+uint64(i)*37+b.delay(0, 200), hot, v, b.between(20_000, 150_000)*usdt)
		at := S + 600 + uint64(i)*400
		for j := range 2 + i%2 {
			coll := d.Collections[i]
			if j > 0 && i%3 == 0 {
				coll = d.Collections[o.Victims+(i/3)%4]
			}
			value := b.avail(v, at) * b.between(40, 70) / 100
			if j == 1+i%2 {
				value = b.avail(v, at) * 9 / 10
			}
			if b.send(at, v, coll, value) > 0 {
				paySeqs = append(paySeqs, b.seq)
				sweep := at + b.delay(150, 1500)
				if i == 2 && j == 0 {
					sweep = at // swept in the block it arrived
				}
				b.send(sweep, coll, d.Pools[slices.Index(d.Collections, coll)%2], value)
			}
			if i == 0 && j == 0 {
				b.plan(at+3, v, d.Lookalike, 0, b.newGroup(), kindPoison, d.Poisoner, USDT)
			}
			at += 3000 + b.delay(0, 1500)
		}
	}
	d.paySeqs = paySeqs
	for k := range 4 {
		c := b.addr(fmt.Sprintf("clean-%d", k))
		b.send(S+100+uint64(k)*50, hotB, c, b.between(50_000, 200_000)*usdt)
		b.send(S+4000+uint64(k)*2500, c, d.Pools[k%2], 1<<62)
	}
	b.send(S+9000, d.Pools[0], d.Pools[0], 1_000*usdt) // a transfer to oneself

	var l1 []common.Address
	var l1At []uint64
	fanout := func(block uint64, from common.Address, n int, share int64) {
		total := b.avail(from, block) * share / 100
		if total <= int64(n) {
			return
		}
		g := b.newGroup()
		for k := range n {
			to := b.addr(fmt.Sprintf("layer1-%03d", len(l1)))
			part := total / int64(n)
			if k == n-1 {
				part = total - part*int64(n-1)
			}
			if b.plan(block, from, to, part, g, kindBatch, from, disperse) > 0 {
				l1, l1At = append(l1, to), append(l1At, block)
			}
		}
	}
	peels := 0
	for r := range 8 {
		at := S + 5000 + uint64(r)*2500
		fanout(at, d.Pools[0], 3, 90)
		if r == 1 || r == 5 {
			b.peel(at+7, d.Pools[1], peels, depositTo)
			peels++
		} else {
			fanout(at, d.Pools[1], 2, 85)
		}
	}
	nl2, nl3 := 0, 0
	for i, a := range l1 {
		at := l1At[i] + b.delay(200, 2000)
		n := 3 + (i+1)%2
		total := b.avail(a, at)
		if i%5 == 4 {
			total = total * 8 / 10 // some left behind
		}
		for k := range n {
			to := b.addr(fmt.Sprintf("layer2-%03d", nl2))
			nl2++
			part := total / int64(n)
			if b.send(at+uint64(k%2), a, to, part) == 0 {
				continue
			}
			t2 := at + uint64(k%2) + b.delay(200, 2000)
			switch nl2 % 5 {
			case 0: // held
			case 1, 2:
				half := b.avail(to, t2) / 2
				for h := range 2 {
					l3 := b.addr(fmt.Sprintf("layer3-%03d", nl3))
					nl3++
					if b.send(t2, to, l3, half) == 0 {
						continue
					}
					t3 := t2 + b.delay(200, 2000)
					if (nl3+h)%3 != 0 {
						depositTo(t3, l3, b.avail(l3, t3))
					}
				}
			default:
				depositTo(t2, to, b.avail(to, t2))
			}
		}
	}
}

// peel plans a peel chain of 14 addresses from pool: each pays a small
// share to an exchange deposit address and passes the rest on.
func (b *builder) peel(block uint64, pool common.Address, n int, depositTo func(uint64, common.Address, int64)) {
	prev := pool
	amount := b.avail(pool, block) * 9 / 10
	at := block
	for k := range 14 {
		next := b.addr(fmt.Sprintf("peel-%d-%02d", n, k))
		if b.send(at, prev, next, amount) == 0 {
			return
		}
		at += b.delay(50, 400)
		if k < 13 {
			cut := amount * b.between(5, 12) / 100
			depositTo(at, next, cut)
			amount -= cut
		}
		prev = next
	}
}

// background plans the traffic around the case: Beta withdrawals to
// Alpha's customers, their deposits swept into Alpha's hot wallet, Alpha
// withdrawals, sweeps to cold storage, and a few traders using a DEX pool.
func (b *builder) background(o Options, hot, hotB, cold, pair common.Address) {
	S, span := b.first, b.last-b.first
	users := make([]common.Address, o.Users)
	deps := make([]common.Address, o.Users)
	funded := make([]uint64, o.Users)
	for u := range o.Users {
		users[u] = b.addr(fmt.Sprintf("user-%04d", u))
		deps[u] = b.addr(fmt.Sprintf("user-deposit-%04d", u))
		funded[u] = S + 20 + b.rng.Uint64N(span/4)
		b.send(funded[u], hotB, users[u], b.between(1_000, 50_000)*usdt)
	}
	for range o.Users + o.Users/5 {
		u := b.rng.IntN(o.Users)
		b.send(S+50+b.rng.Uint64N(span-1000), hot, users[u], b.between(100, 20_000)*usdt)
	}
	// Each user's deposits in time order; HotInflows sweeps in all.
	per := make([]int, o.Users)
	for i := range o.HotInflows {
		per[i%o.Users]++
	}
	for u := range o.Users {
		at := funded[u]
		room := (b.last - 1000 - at) / uint64(per[u]+1)
		for range per[u] {
			at += 1 + b.rng.Uint64N(room)
			v := b.send(at, users[u], deps[u], max(b.avail(users[u], at)*b.between(10, 40)/100, 1))
			if v == 0 {
				v = b.send(at, hotB, deps[u], b.between(10, 500)*usdt) // topped up from elsewhere
			}
			b.send(at+b.delay(30, 900), deps[u], hot, v)
		}
	}
	for k := range 6 {
		b.send(S+3000+uint64(k)*6000, hot, cold, 10_000_000*usdt)
	}
	traders := make([]common.Address, 20)
	for i := range traders {
		traders[i] = b.addr(fmt.Sprintf("trader-%02d", i))
		b.send(S+10+uint64(i), hotB, traders[i], b.between(10_000, 100_000)*usdt)
	}
	b.send(S+40, hotB, pair, 5_000_000*usdt)
	for range 400 {
		at := S + 100 + b.rng.Uint64N(span-200)
		a := traders[b.rng.IntN(len(traders))]
		to := pair
		if b.rng.IntN(3) == 0 {
			to = traders[b.rng.IntN(len(traders))]
		}
		if b.rng.IntN(2) == 0 {
			a, to = pair, a
		}
		b.send(at, a, to, max(b.avail(a, at)*b.between(1, 20)/100, 1))
	}
}

// lookalike makes an address sharing the first and last two bytes of a.
func lookalike(a, filler common.Address) common.Address {
	out := filler
	copy(out[:2], a[:2])
	copy(out[18:], a[18:])
	return out
}

// finish orders the planned events into transactions and logs.
func (d *Dataset) finish(b *builder) {
	evs := b.events
	slices.SortFunc(evs, func(x, y event) int {
		if x.block != y.block {
			if x.block < y.block {
				return -1
			}
			return 1
		}
		return x.seq - y.seq
	})
	nonces := map[common.Address]uint64{}
	payTx := map[int]common.Hash{}
	var txi, logi uint
	block := uint64(0)
	for i := 0; i < len(evs); {
		e := evs[i]
		if e.block != block {
			block, txi, logi = e.block, 0, 0
		}
		j := i + 1
		for j < len(evs) && evs[j].group == e.group && evs[j].block == e.block {
			j++
		}
		var gb [16]byte
		binary.BigEndian.PutUint64(gb[:8], uint64(d.Seed))
		binary.BigEndian.PutUint64(gb[8:], uint64(e.group))
		tx := Tx{Hash: crypto.Keccak256Hash([]byte("freezetrace/emulate/tx"), gb[:]), Block: block, Index: txi,
			Nonce: nonces[e.sender], From: e.sender, To: e.txTo}
		nonces[e.sender]++
		tx.Input = input(evs[i:j])
		for _, ev := range evs[i:j] {
			l := Log{Address: USDT, Block: block, TxHash: tx.Hash, TxIndex: txi, LogIndex: logi,
				Topics: []common.Hash{TransferTopic, common.BytesToHash(ev.from[:]), common.BytesToHash(ev.to[:])},
				Data:   common.LeftPadBytes(big.NewInt(ev.value).Bytes(), 32)}
			if ev.kind == kindNFT {
				l.Address, l.Data = ev.txTo, []byte{}
				l.Topics = append(l.Topics, common.BigToHash(big.NewInt(ev.value)))
			} else {
				d.Transfers = append(d.Transfers, Transfer{Block: block, Time: BlockTime(block), TxHash: tx.Hash,
					TxIndex: txi, LogIndex: logi, Token: USDT, From: ev.from, To: ev.to, Value: big.NewInt(ev.value)})
			}
			tx.Logs = append(tx.Logs, len(d.Logs))
			d.Logs = append(d.Logs, l)
			logi++
			if slices.Contains(d.paySeqs, ev.seq) {
				payTx[ev.seq] = tx.Hash
			}
		}
		d.Txs = append(d.Txs, tx)
		txi++
		i = j
	}
	for _, s := range d.paySeqs {
		d.VictimPayments = append(d.VictimPayments, payTx[s])
	}
	supply := new(big.Int)
	for _, t := range d.Transfers {
		if t.From == (common.Address{}) {
			supply.Add(supply, t.Value)
		}
	}
	d.Token = Token{Address: USDT, Symbol: "USDT", Name: "Tether USD", Decimals: 6, TotalSupply: supply}
	d.Tokens = []Token{d.Token, {Address: d.NFT, Symbol: "EMUNFT", Name: "Emulated Collectibles", Decimals: -1, TotalSupply: big.NewInt(1)}}
	d.index()
}

var (
	selTransfer     = []byte{0xa9, 0x05, 0x9c, 0xbb}
	selTransferFrom = []byte{0x23, 0xb8, 0x72, 0xdd}
	selMint         = []byte{0x40, 0xc1, 0x0f, 0x19}
	selIssue        = []byte{0xcc, 0x87, 0x2b, 0x66}
	selDisperse     = []byte{0xc7, 0x3a, 0x2d, 0x60}
)

func word(b []byte) []byte { return common.LeftPadBytes(b, 32) }

func wordInt(n int64) []byte { return word(big.NewInt(n).Bytes()) }

// input is the calldata of the transaction that emitted evs.
func input(evs []event) []byte {
	e := evs[0]
	switch e.kind {
	case kindPoison:
		return slices.Concat(selTransferFrom, word(e.from[:]), word(e.to[:]), wordInt(0))
	case kindNFT:
		return slices.Concat(selMint, word(e.to[:]), wordInt(e.value))
	case kindMint:
		return slices.Concat(selIssue, wordInt(e.value))
	case kindBatch:
		n := int64(len(evs))
		out := slices.Concat(selDisperse, word(USDT[:]), wordInt(96), wordInt(96+32*(n+1)), wordInt(n))
		for _, x := range evs {
			out = append(out, word(x.to[:])...)
		}
		out = append(out, wordInt(n)...)
		for _, x := range evs {
			out = append(out, wordInt(x.value)...)
		}
		return out
	}
	return slices.Concat(selTransfer, word(e.to[:]), wordInt(e.value))
}
