package emulate

import (
	"encoding/binary"
	"math/big"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
)

// Chain heights and times. Block BaseBlock carries BaseTime and every block
// is BlockSeconds after the one before it, below BaseBlock as above it.
const (
	BaseBlock    uint64 = 20_000_000
	BaseTime     int64  = 1716940800 // 2024-05-29T00:00:00Z
	BlockSeconds int64  = 12
)

// TransferTopic is keccak256("Transfer(address,address,uint256)").
var TransferTopic = common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")

// USDT is Tether's mainnet contract, the dataset's traced token.
var USDT = common.HexToAddress("0xdAC17F958D2ee523a2206206994597C13D831ec7")

// Transfer is one ERC-20 Transfer log of the dataset's token.
type Transfer struct {
	Block    uint64
	Time     time.Time // block time, UTC
	TxHash   common.Hash
	TxIndex  uint
	LogIndex uint // block-wide
	Token    common.Address
	From     common.Address
	To       common.Address
	Value    *big.Int // base units
}

// Log is one event log as a node returns it.
type Log struct {
	Address  common.Address
	Topics   []common.Hash
	Data     []byte
	Block    uint64
	TxHash   common.Hash
	TxIndex  uint
	LogIndex uint
}

// Tx is one transaction of the dataset. Every transaction succeeded. A
// generated one moved no ether; one of a Script may send Value and make
// internal Calls, which the callTracer reports (see script.go).
type Tx struct {
	Hash  common.Hash
	Block uint64
	Index uint
	Nonce uint64
	From  common.Address
	To    common.Address
	Input []byte
	Logs  []int // indexes into Dataset.Logs

	Value *big.Int // ether sent with the transaction; nil for none
	Calls []Call   // internal calls under the transaction's own frame
	// scripted: the call frames are Calls, not the generator's.
	scripted bool
}

// Header is what a block header carries here.
type Header struct {
	Number uint64
	Hash   common.Hash
	Parent common.Hash
	Time   uint64 // unix seconds
}

// Token is a token contract's metadata. Decimals is -1 for a non-fungible
// token (ERC-721), which has no decimals().
type Token struct {
	Address     common.Address
	Symbol      string
	Name        string
	Decimals    int
	TotalSupply *big.Int
}

// Label is one row of the labels CSV.
type Label struct {
	Address  common.Address
	Entity   string
	Category chains.Category
	Source   string
}

// Dataset is a generated case with all the chain data around it: every
// log in canonical order (block, log index), the transactions that emitted
// them, and what a case file needs (victim payments, labels). It is
// read-only once generated and safe for concurrent use.
type Dataset struct {
	Seed int64
	// Token is the traced token (USDT); Tokens lists it and the
	// non-fungible contract whose Transfer log must be ignored.
	Token  Token
	Tokens []Token
	NFT    common.Address

	Logs      []Log      // every log
	Transfers []Transfer // the ERC-20 Transfer logs of Token
	Txs       []Tx

	// First and Last are the first and last blocks with data; Head is the
	// chain head the providers report, a few hundred blocks past Last.
	First, Last, Head uint64

	// VictimPayments are the transactions in which victims paid the scam,
	// Victims the paying addresses in the same order.
	VictimPayments []common.Hash
	Victims        []common.Address

	// Actors of the case.
	HotWallet      common.Address   // Alpha Exchange's hot wallet (labeled)
	ColdWallet     common.Address   // Alpha Exchange's cold wallet (labeled)
	OtherHotWallet common.Address   // Beta Exchange's hot wallet (labeled)
	Pools          []common.Address // the scam's pool wallets
	Collections    []common.Address // addresses the victims paid
	Deposits       []common.Address // the case's exchange deposit addresses
	Poisoner       common.Address   // sender of the zero-value transfer
	Lookalike      common.Address   // the poisoned lookalike of Collections[0]

	Labels    []Label
	Contracts []common.Address // addresses holding code

	txByHash map[common.Hash]int
	byAddr   map[common.Address][]int // indexes into Transfers, in order
	blockTxs map[uint64][]int         // indexes into Txs, in order
	balances map[common.Address][]balancePoint
	code     map[common.Address]bool
	paySeqs  []int // planned events that are victim payments
	logIdx   *logIndex
	// ether holds ether balances, nil for a dataset without ether (one
	// from Generate), which answers no eth_getBalance.
	ether   map[common.Address][]balancePoint
	genesis map[common.Address]*big.Int // a Script's ether before its first block
}

type balancePoint struct {
	block uint64
	bal   *big.Int // after the last transfer of this block
}

// BlockHash is the hash of block n: keccak256 of the seed and the number.
func (d *Dataset) BlockHash(n uint64) common.Hash {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(d.Seed))
	binary.BigEndian.PutUint64(b[8:], n)
	return crypto.Keccak256Hash([]byte("freezetrace/emulate/block"), b[:])
}

// BlockTime is the time of block n.
func BlockTime(n uint64) time.Time {
	return time.Unix(BaseTime+(int64(n)-int64(BaseBlock))*BlockSeconds, 0).UTC()
}

// Header returns block n's header; ok is false above the head.
func (d *Dataset) Header(n uint64) (Header, bool) {
	if n > d.Head {
		return Header{}, false
	}
	h := Header{Number: n, Hash: d.BlockHash(n), Time: uint64(BlockTime(n).Unix())}
	if n > 0 {
		h.Parent = d.BlockHash(n - 1)
	}
	return h, true
}

// BlockTxs returns the transactions of block n in order.
func (d *Dataset) BlockTxs(n uint64) []*Tx {
	idx := d.blockTxs[n]
	out := make([]*Tx, len(idx))
	for i, j := range idx {
		out[i] = &d.Txs[j]
	}
	return out
}

// Tx returns a transaction by hash.
func (d *Dataset) Tx(h common.Hash) (*Tx, bool) {
	i, ok := d.txByHash[h]
	if !ok {
		return nil, false
	}
	return &d.Txs[i], true
}

// IsContract reports whether a holds code.
func (d *Dataset) IsContract(a common.Address) bool { return d.code[a] }

// Balance returns a's token balance at the end of block n (zero before
// its first transfer, never negative).
func (d *Dataset) Balance(a common.Address, n uint64) *big.Int { return balanceAt(d.balances[a], n) }

// balanceAt is the balance ps records at the end of block n.
func balanceAt(ps []balancePoint, n uint64) *big.Int {
	i, found := slices.BinarySearchFunc(ps, n, func(p balancePoint, n uint64) int {
		switch {
		case p.block < n:
			return -1
		case p.block > n:
			return 1
		}
		return 0
	})
	if found {
		return new(big.Int).Set(ps[i].bal)
	}
	if i == 0 {
		return new(big.Int)
	}
	return new(big.Int).Set(ps[i-1].bal)
}

// TransfersOf returns the transfers in which a is sender or receiver in
// blocks [from, to], in canonical order, as chains.Transfer values shaped
// like an EVM source's (log index as position, transaction index 0).
func (d *Dataset) TransfersOf(a chains.Address, from, to uint64) []chains.Transfer {
	var out []chains.Transfer
	for _, i := range d.byAddr[common.Address(a.Bytes())] {
		t := d.Transfers[i]
		if t.Block >= from && t.Block <= to {
			out = append(out, t.Chain())
		}
	}
	return out
}

// Inflows counts the transfers received by a.
func (d *Dataset) Inflows(a common.Address) int {
	n := 0
	for _, i := range d.byAddr[a] {
		if d.Transfers[i].To == a {
			n++
		}
	}
	return n
}

// Addresses counts the distinct addresses appearing in transfers.
func (d *Dataset) Addresses() int { return len(d.byAddr) }

// Chain returns t as a chains.Transfer on Ethereum.
func (t Transfer) Chain() chains.Transfer {
	amt, err := chains.AmountFromBig(t.Value)
	if err != nil {
		panic(err) // values are generated non-negative and small
	}
	return chains.Transfer{
		Chain: chains.Ethereum, Tx: chains.TxHash(t.TxHash), Position: uint32(t.LogIndex),
		Block: t.Block, Time: t.Time,
		From:   chains.NewAddress(chains.FamilyEVM, t.From),
		To:     chains.NewAddress(chains.FamilyEVM, t.To),
		Asset:  chains.AssetID{Chain: chains.Ethereum, Contract: chains.NewAddress(chains.FamilyEVM, t.Token)},
		Amount: amt,
	}
}

// ChainAddress returns a as a chains.Address on Ethereum.
func ChainAddress(a common.Address) chains.Address { return chains.NewAddress(chains.FamilyEVM, a) }

// Reachable returns, for every address reachable from the victim payments
// along chains of transfers each later (block, log index) than the one
// before, within hops transfers (the payment being the first), the fewest
// transfers it takes. Paths end at labeled addresses: they are reached but
// not followed further, as a trace stops at an exchange.
func (d *Dataset) Reachable(hops int) map[common.Address]int {
	type pos struct{ block, log uint64 }
	less := func(a, b pos) bool { return a.block < b.block || (a.block == b.block && a.log < b.log) }
	labeled := map[common.Address]bool{}
	for _, l := range d.Labels {
		labeled[l.Address] = true
	}
	arrive := map[common.Address]pos{}
	dist := map[common.Address]int{}
	for _, h := range d.VictimPayments {
		tx, ok := d.Tx(h)
		if !ok {
			continue
		}
		for _, li := range tx.Logs {
			l := d.Logs[li]
			if l.Address != d.Token.Address || len(l.Topics) != 3 {
				continue
			}
			to := common.BytesToAddress(l.Topics[2][12:])
			p := pos{l.Block, uint64(l.LogIndex)}
			if old, ok := arrive[to]; !ok || less(p, old) {
				arrive[to] = p
			}
			dist[to] = 1
		}
	}
	for h := 2; h <= hops; h++ {
		next := make(map[common.Address]pos, len(arrive))
		for a, p := range arrive {
			next[a] = p
		}
		for a, p := range arrive {
			if labeled[a] {
				continue
			}
			for _, i := range d.byAddr[a] {
				t := d.Transfers[i]
				q := pos{t.Block, uint64(t.LogIndex)}
				if t.From != a || t.To == a || !less(p, q) {
					continue
				}
				if old, ok := next[t.To]; !ok || less(q, old) {
					next[t.To] = q
				}
				if _, ok := dist[t.To]; !ok {
					dist[t.To] = h
				}
			}
		}
		arrive = next
	}
	return dist
}

// index builds the lookup tables from Logs and Txs.
func (d *Dataset) index() {
	d.txByHash = make(map[common.Hash]int, len(d.Txs))
	d.blockTxs = map[uint64][]int{}
	for i, tx := range d.Txs {
		d.txByHash[tx.Hash] = i
		d.blockTxs[tx.Block] = append(d.blockTxs[tx.Block], i)
	}
	d.byAddr = map[common.Address][]int{}
	d.balances = map[common.Address][]balancePoint{}
	add := func(a common.Address, block uint64, delta *big.Int) {
		ps := d.balances[a]
		prev := new(big.Int)
		if len(ps) > 0 {
			prev = ps[len(ps)-1].bal
		}
		v := new(big.Int).Add(prev, delta)
		if a == (common.Address{}) && v.Sign() < 0 {
			v.SetInt64(0) // the mint source
		}
		if len(ps) > 0 && ps[len(ps)-1].block == block {
			ps[len(ps)-1].bal = v
		} else {
			ps = append(ps, balancePoint{block: block, bal: v})
		}
		d.balances[a] = ps
	}
	for i, t := range d.Transfers {
		d.byAddr[t.From] = append(d.byAddr[t.From], i)
		if t.To != t.From {
			d.byAddr[t.To] = append(d.byAddr[t.To], i)
		}
		if t.From != (common.Address{}) {
			add(t.From, t.Block, new(big.Int).Neg(t.Value))
		}
		add(t.To, t.Block, t.Value)
	}
	d.code = map[common.Address]bool{}
	for _, c := range d.Contracts {
		d.code[c] = true
	}
	d.buildLogIndex()
	d.indexEther()
}
