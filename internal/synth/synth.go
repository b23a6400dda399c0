// Package synth generates large, deterministic Ethereum token-transfer
// datasets in ethereum-etl's CSV layout, for benchmarks that every tool
// (freezetrace, the sqlite3 CLI, networkx) reads from the same files.
//
// A dataset of n transfers from seed s is always byte-for-byte the same. It
// holds, over about 40,000 blocks from 20,000,000 at 12 s a block:
//   - customers whose activity follows a power law (Zipf), paying each
//     other in USDT, USDC and a few other tokens;
//   - three exchanges, each with a hot wallet and a pool of deposit
//     addresses that customers pay and that sweep their whole balance into
//     the hot wallet a few blocks later; the hot wallets pay withdrawals out
//     and, from 10,000,000 transfers up, each take part in over 1,000,000
//     transfers. Two exchanges are labeled; the third hot wallet is not, so
//     a trace meets it as an unknown high-activity address;
//   - a laundering subgraph: victims pay a scam address, which splits and
//     forwards the funds up to eight hops deep, mixing in clean money, and
//     peels small parts off to ordinary customers, and ends at exchange
//     deposit addresses, a labeled mixer, active customers or addresses
//     that hold what they received;
//   - one victim payment straight into the unlabeled hot wallet.
//
// The files are token_transfers.csv, blocks.csv, tokens.csv and labels.csv
// (freezetrace's label CSV), and case.json describes the cases to trace.
//
// synth depends on the standard library only.
package synth

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// FirstBlock is the first block of every dataset, and BlockTime the time
// between blocks.
const (
	FirstBlock = 20_000_000
	BlockTime  = 12 * time.Second
	// Blocks is about how many blocks every dataset spans (5.5 days): a
	// bigger dataset is a busier chain over the same time, not a longer
	// one.
	Blocks = 40_000
)

// caseStart and hotStart are the blocks (after FirstBlock) where the
// laundering case's payments start (its last forward comes before block
// 6,000) and where the victim pays the hot wallet.
const (
	caseStart uint64 = 400
	hotStart  uint64 = 4000
)

// firstTime is FirstBlock's time (2024-05-31, about when mainnet reached it).
var firstTime = time.Date(2024, 5, 31, 0, 0, 0, 0, time.UTC)

// Well-known token contracts, written as ethereum-etl does (lowercase).
const (
	USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
	USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
)

// Case is what case.json says: the dataset's size and the cases a
// benchmark traces, with the addresses it should meet.
type Case struct {
	Seed       uint64   `json:"seed"`
	Transfers  int      `json:"transfers"`
	FirstBlock uint64   `json:"first_block"`
	LastBlock  uint64   `json:"last_block"`
	Asset      string   `json:"asset"`
	VictimTxs  []string `json:"victim_txs"` // the laundering case's victim payments
	Scam       string   `json:"scam"`       // the address the victims paid
	Laundering int      `json:"laundering"` // addresses of the laundering subgraph
	// HotTx is a victim payment straight into HotWallet, the unlabeled
	// hot wallet; HotTransfers counts the transfers it takes part in.
	HotTx        string   `json:"hot_tx"`
	HotWallet    string   `json:"hot_wallet"`
	HotTransfers int      `json:"hot_transfers"`
	HotWallets   []string `json:"hot_wallets"`
	HotCounts    []int    `json:"hot_counts"`
}

// Address kinds: every address is a kind and an index, and its 20 bytes a
// fixed function of both.
const (
	kindUser = iota + 1
	kindDeposit
	kindHot
	kindLaunder
	kindVictim
	kindMixer
	kindMint
)

type addr uint64

func mk(kind, i int) addr { return addr(uint64(kind)<<40 | uint64(i)) }

func (a addr) kind() int { return int(uint64(a) >> 40) }

// bytes are the address's 20 bytes; the zero address is the mint.
func (a addr) bytes() [20]byte {
	var b [20]byte
	if a.kind() == kindMint {
		return b
	}
	x := uint64(a)
	binary.BigEndian.PutUint64(b[0:], mix(x))
	binary.BigEndian.PutUint64(b[8:], mix(x^0x5bd1e995))
	binary.BigEndian.PutUint32(b[16:], uint32(mix(x^0x27d4eb2f)))
	return b
}

func (a addr) String() string { b := a.bytes(); return "0x" + hex.EncodeToString(b[:]) }

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

const exchanges = 3

// quantile picks the index at quantile u of n: the laundering case picks
// its deposit addresses and customers by rank among all of them, so that
// at every size it meets addresses as busy as each other.
func quantile(u float64, n int) int { return min(int(u*float64(n)), n-1) }

// event is something scheduled for a later block: a deposit address's
// sweep, or a laundering address forwarding what it holds.
type event struct {
	block uint64
	seq   int
	who   addr
	depth int
}

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].block != q[j].block {
		return q[i].block < q[j].block
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// gen is one generation in progress.
type gen struct {
	rng      *rand.Rand
	lrng     *rand.Rand // the laundering case's own stream
	users    *rand.Zipf
	deposits *rand.Zipf
	nUsers   int
	nDeposit int
	bal      map[addr]uint64 // USDT base units held
	pending  map[addr]bool   // deposit addresses with a sweep scheduled
	q        queue
	seq      int

	w       *bufio.Writer
	row     []byte
	block   uint64
	logIdx  int
	txn     uint64
	written int
	hot     [exchanges]int
	others  []string

	launder int // laundering addresses made so far
	budget  int
	c       Case
}

// Generate writes a dataset of about n transfers from seed into dir.
func Generate(dir string, n int, seed uint64) (Case, error) {
	if n < 10_000 {
		return Case{}, fmt.Errorf("synth: want at least 10,000 transfers, got %d", n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Case{}, err
	}
	f, err := os.Create(filepath.Join(dir, "token_transfers.csv"))
	if err != nil {
		return Case{}, err
	}
	defer f.Close()
	g := &gen{
		rng:      rand.New(rand.NewPCG(seed, seed^0x6a09e667f3bcc908)),
		lrng:     rand.New(rand.NewPCG(seed^0xbb67ae8584caa73b, seed)),
		nUsers:   n / 10,
		nDeposit: n / 100,
		bal:      map[addr]uint64{},
		pending:  map[addr]bool{},
		w:        bufio.NewWriterSize(f, 1<<20),
		budget:   150,
		c:        Case{Seed: seed, FirstBlock: FirstBlock, Asset: USDT},
	}
	g.users = rand.NewZipf(g.rng, 1.1, 2, uint64(g.nUsers-1))
	g.deposits = rand.NewZipf(g.rng, 1.05, 4, uint64(g.nDeposit-1))
	for i := range 8 {
		g.others = append(g.others, mk(kindUser+100, i).String())
	}
	g.w.WriteString("token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n")
	if err := g.run(n); err != nil {
		return Case{}, err
	}
	if err := g.w.Flush(); err != nil {
		return Case{}, err
	}
	if err := f.Close(); err != nil {
		return Case{}, err
	}
	g.c.Transfers, g.c.LastBlock = g.written, g.block
	hw := mk(kindHot, exchanges-1)
	g.c.HotWallet, g.c.HotTransfers = hw.String(), g.hot[exchanges-1]
	for e := range exchanges {
		g.c.HotWallets = append(g.c.HotWallets, mk(kindHot, e).String())
		g.c.HotCounts = append(g.c.HotCounts, g.hot[e])
	}
	g.c.Laundering = g.launder
	if err := g.side(dir); err != nil {
		return Case{}, err
	}
	return g.c, nil
}

// run writes blocks until n transfers are written.
func (g *gen) run(n int) error {
	// Funds enter at the first block: the hot wallets are minted a float.
	g.startBlock(FirstBlock)
	for e := range exchanges {
		g.usdt(mk(kindMint, 0), mk(kindHot, e), 1e18)
	}
	victims := 5
	payments := 10
	// The cases sit at the same blocks, drawn from a stream of their own,
	// whatever the size: a bigger dataset is the same case in a busier
	// chain.
	payAt := map[uint64][]int{}
	for i := range payments {
		b := FirstBlock + caseStart + uint64(i)*300
		payAt[b] = append(payAt[b], i%victims)
	}
	hotAt := FirstBlock + hotStart
	// Sweeps, top-ups and the cases add about a sixth to the background.
	perBlock := max(1, n*85/100/Blocks)
	for b := uint64(FirstBlock); g.written < n; b++ {
		if b != FirstBlock {
			g.startBlock(b)
		}
		for _, v := range payAt[b] {
			g.victimPays(mk(kindVictim, v))
		}
		if b == hotAt {
			v := mk(kindVictim, victims)
			g.usdt(mk(kindHot, 0), v, 20_000e6)
			g.c.HotTx = g.usdt(v, mk(kindHot, exchanges-1), 20_000e6)
		}
		for g.q.Len() > 0 && g.q[0].block <= b {
			e := heap.Pop(&g.q).(event)
			if e.who.kind() == kindDeposit {
				g.sweep(e.who)
			} else {
				g.forward(e.who, e.depth)
			}
		}
		for range perBlock/2 + g.rng.IntN(perBlock+1) {
			g.background()
		}
		if err := g.flushIfLarge(); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) flushIfLarge() error {
	if g.w.Buffered() > 1<<19 {
		return g.w.Flush()
	}
	return nil
}

func (g *gen) startBlock(b uint64) { g.block, g.logIdx = b, 0 }

func (g *gen) schedule(who addr, after uint64, depth int) {
	g.seq++
	heap.Push(&g.q, event{block: g.block + after, seq: g.seq, who: who, depth: depth})
}

// background writes one ordinary transfer.
func (g *gen) background() {
	r := g.rng.IntN(100)
	switch {
	case r < 30: // customer to customer, USDT
		from, to := g.user(), g.user()
		if from == to {
			return
		}
		g.spend(from, to)
	case r < 45: // another token, balances not modelled
		from, to := g.user(), g.user()
		token := USDC
		if r >= 40 {
			token = g.others[g.rng.IntN(len(g.others))]
		}
		g.transfer(token, from, to, 1+g.rng.Uint64N(5_000e6))
	case r < 70: // a customer pays its deposit address
		from := g.user()
		d := mk(kindDeposit, int(g.deposits.Uint64()))
		g.spend(from, d)
		g.sweepLater(d)
	default: // a withdrawal from a hot wallet
		e := g.exchange()
		g.usdt(mk(kindHot, e), g.user(), g.amount())
	}
}

// exchange picks an exchange, the first the busiest.
func (g *gen) exchange() int {
	switch r := g.rng.IntN(10); {
	case r < 4:
		return 0
	case r < 7:
		return 1
	default:
		return 2
	}
}

func (g *gen) user() addr { return mk(kindUser, int(g.users.Uint64())) }

// depositExchange is the exchange a deposit address belongs to.
func depositExchange(d addr) int { return int(uint64(d)&(1<<40-1)) % exchanges }

// amount is a payment's size in base units: 10 to 100,000 USDT, log-uniform.
func (g *gen) amount() uint64 {
	return uint64(10e6 * math.Pow(10, g.rng.Float64()*4))
}

// spend pays to some of what from holds, topping from up by a
// withdrawal first when it holds nothing.
func (g *gen) spend(from, to addr) {
	if g.bal[from] == 0 {
		g.usdt(mk(kindHot, g.exchange()), from, g.amount())
	}
	v := 1 + g.rng.Uint64N(g.bal[from])
	g.usdt(from, to, v)
}

func (g *gen) sweepLater(d addr) {
	if !g.pending[d] {
		g.pending[d] = true
		g.schedule(d, 1+g.rng.Uint64N(30), 0)
	}
}

func (g *gen) sweep(d addr) {
	delete(g.pending, d)
	if v := g.bal[d]; v > 0 {
		g.usdt(d, mk(kindHot, depositExchange(d)), v)
	}
}

// victimPays writes a victim's payment to the scam address (the victim
// first withdraws the money from an exchange) and schedules the forward.
func (g *gen) victimPays(v addr) {
	amt := 5_000e6 + g.lrng.Uint64N(45_000e6)
	g.usdt(mk(kindHot, 0), v, amt)
	scam := mk(kindLaunder, 0)
	if g.launder == 0 {
		g.launder = 1
		g.c.Scam = scam.String()
	}
	g.c.VictimTxs = append(g.c.VictimTxs, g.usdt(v, scam, amt))
	if !g.pending[scam] {
		g.pending[scam] = true
		g.schedule(scam, 20+g.lrng.Uint64N(200), 1)
	}
}

// forward moves what a laundering address holds: split among new
// laundering addresses, or, deeper down or once the budget is spent, to an
// end: an exchange deposit address, the mixer, or nowhere (it holds).
func (g *gen) forward(a addr, depth int) {
	delete(g.pending, a)
	v := g.bal[a]
	if v == 0 {
		return
	}
	end := depth >= 8 || g.launder >= g.budget || (depth >= 3 && g.lrng.IntN(3) == 0)
	if end {
		switch r := g.lrng.IntN(10); {
		case r < 5:
			d := mk(kindDeposit, quantile(g.lrng.Float64(), g.nDeposit))
			g.usdt(a, d, v)
			g.sweepLater(d)
		case r < 7:
			g.usdt(a, mk(kindMixer, 0), v)
		case r < 9:
			// it holds what it received
		default:
			// paid to someone among the busiest hundredth
			g.usdt(a, mk(kindUser, quantile(g.lrng.Float64()/100, g.nUsers)), v)
		}
		return
	}
	// Now and then a small part is peeled off to an ordinary customer,
	// whose own ledger the trace then opens.
	if g.lrng.IntN(4) == 0 {
		peel := v / 20
		g.usdt(a, mk(kindUser, quantile(g.lrng.Float64(), g.nUsers)), peel)
		v -= peel
	}
	// Clean money (an exchange withdrawal) mixed in before the forward, so
	// shares matter.
	if g.lrng.IntN(3) == 0 {
		g.usdt(mk(kindHot, 0), a, 100e6+g.lrng.Uint64N(20_000e6))
		v = g.bal[a]
	}
	parts := 1 + g.lrng.IntN(3)
	for i := range parts {
		next := mk(kindLaunder, g.launder)
		g.launder++
		share := v / uint64(parts-i)
		if i == parts-1 {
			share = v
		}
		v -= share
		if share == 0 {
			continue
		}
		g.usdt(a, next, share)
		g.pending[next] = true
		g.schedule(next, 5+g.lrng.Uint64N(300), depth+1)
	}
}

// usdt writes a USDT transfer and keeps the balances; it returns the hash.
func (g *gen) usdt(from, to addr, v uint64) string {
	if from.kind() != kindMint {
		v = min(v, g.bal[from])
		g.bal[from] -= v
		if g.bal[from] == 0 {
			delete(g.bal, from)
		}
	}
	g.bal[to] += v
	return g.transfer(USDT, from, to, v)
}

// transfer writes one row, in a transaction of its own.
func (g *gen) transfer(token string, from, to addr, v uint64) string {
	for _, a := range [2]addr{from, to} {
		if a.kind() == kindHot {
			g.hot[uint64(a)&(1<<40-1)]++
		}
	}
	g.txn++
	var h [32]byte
	for i := range 4 {
		binary.BigEndian.PutUint64(h[8*i:], mix(g.txn*4+uint64(i)+g.c.Seed<<48))
	}
	tx := "0x" + hex.EncodeToString(h[:])
	fb, tb := from.bytes(), to.bytes()
	r := g.row[:0]
	r = append(r, token...)
	r = append(r, ",0x"...)
	r = hex.AppendEncode(r, fb[:])
	r = append(r, ",0x"...)
	r = hex.AppendEncode(r, tb[:])
	r = append(r, ',')
	r = strconv.AppendUint(r, v, 10)
	r = append(r, ',')
	r = append(r, tx...)
	r = append(r, ',')
	r = strconv.AppendInt(r, int64(g.logIdx), 10)
	r = append(r, ',')
	r = strconv.AppendUint(r, g.block, 10)
	r = append(r, '\n')
	g.row = r
	g.w.Write(r)
	g.logIdx++
	g.written++
	return tx
}

// side writes blocks.csv, tokens.csv, labels.csv and case.json.
func (g *gen) side(dir string) error {
	f, err := os.Create(filepath.Join(dir, "blocks.csv"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("number,hash,parent_hash,timestamp\n")
	hash := func(b uint64) string {
		var h [32]byte
		for i := range 4 {
			binary.BigEndian.PutUint64(h[8*i:], mix(b<<2|uint64(i)^0xb10c))
		}
		return "0x" + hex.EncodeToString(h[:])
	}
	for b := uint64(FirstBlock); b <= g.block; b++ {
		t := firstTime.Add(time.Duration(b-FirstBlock) * BlockTime).Unix()
		fmt.Fprintf(w, "%d,%s,%s,%d\n", b, hash(b), hash(b-1), t)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	tokens := "address,symbol,name,decimals,total_supply\n" +
		USDT + ",USDT,Tether USD,6,\n" + USDC + ",USDC,USD Coin,6,\n"
	for i, t := range g.others {
		tokens += fmt.Sprintf("%s,TK%d,Token %d,18,\n", t, i, i)
	}
	labels := "chain,address,entity,category,source\n" +
		"ethereum," + mk(kindHot, 0).String() + ",Binance,exchange,synth\n" +
		"ethereum," + mk(kindHot, 1).String() + ",OKX,exchange,synth\n" +
		"ethereum," + mk(kindMixer, 0).String() + ",Tornado Cash,mixer,synth\n"
	js, err := json.MarshalIndent(g.c, "", "  ")
	if err != nil {
		return err
	}
	for name, body := range map[string][]byte{"tokens.csv": []byte(tokens), "labels.csv": []byte(labels), "case.json": append(js, '\n')} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			return err
		}
	}
	return nil
}
