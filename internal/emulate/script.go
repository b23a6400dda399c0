package emulate

import (
	"encoding/binary"
	"encoding/json"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

// Script is a dataset written by hand, transaction by transaction, for
// cases Generate does not make: swaps through a DEX, wraps, ether payments
// and the internal ether transfers of contract calls. Script.Dataset turns
// it into a Dataset that every provider of this package serves.
type Script struct {
	Seed int64
	// Token is the traced token (Dataset.Token), Tokens every token whose
	// metadata eth_call answers (Token included, first).
	Token  Token
	Tokens []Token
	// Contracts hold code; Labels go to the labels CSV.
	Contracts []common.Address
	Labels    []Label
	// Genesis is the ether each address holds before the first block.
	Genesis map[common.Address]*big.Int
	// Txs are the transactions in block order (transactions of one block
	// keep their order here as their index).
	Txs []ScriptTx
	// HeadMargin is how far the head lies past the last transaction's
	// block (default 300).
	HeadMargin uint64
}

// ScriptTx is one transaction of a Script: it succeeded, emitted Logs in
// order (log indexes count block-wide) and sent Value with its own call.
type ScriptTx struct {
	Block    uint64
	From, To common.Address
	Value    *big.Int // ether sent with the transaction; nil for none
	Input    []byte
	Logs     []RawLog
	// Calls are the internal calls under the transaction's own frame, as
	// go-ethereum's callTracer nests them; those with Value move ether.
	Calls []Call
}

// RawLog is one log as a contract emits it: the dataset gives it its
// block, transaction and log index.
type RawLog struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
}

// Call is one internal call frame. Type is "" for CALL (or STATICCALL,
// DELEGATECALL: frames that move no ether, whatever Value says).
type Call struct {
	Type     string
	From, To common.Address
	Value    *big.Int // nil for none
	Input    []byte
	Calls    []Call
}

// TxHash is the hash Dataset gives s.Txs[i].
func (s *Script) TxHash(i int) common.Hash {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(s.Seed))
	binary.BigEndian.PutUint64(b[8:], uint64(i))
	return crypto.Keccak256Hash([]byte("freezetrace/emulate/script-tx"), b[:])
}

// Dataset builds the dataset of s: its logs, the Transfer logs of s.Token
// (3 topics, one data word) as Transfers, token and ether balances, and
// every index a provider needs. First and Last are the first and last
// transactions' blocks. s.Txs must be in block order.
func (s *Script) Dataset() *Dataset {
	d := &Dataset{Seed: s.Seed, Token: s.Token, Tokens: slices.Clone(s.Tokens), Contracts: slices.Clone(s.Contracts),
		Labels: slices.Clone(s.Labels)}
	if len(s.Txs) > 0 {
		d.First, d.Last = s.Txs[0].Block, s.Txs[len(s.Txs)-1].Block
	}
	margin := s.HeadMargin
	if margin == 0 {
		margin = 300
	}
	d.Head = d.Last + margin
	nonces := map[common.Address]uint64{}
	var block uint64
	var txi, logi uint
	for i, st := range s.Txs {
		if i == 0 || st.Block != block {
			block, txi, logi = st.Block, 0, 0
		}
		tx := Tx{Hash: s.TxHash(i), Block: block, Index: txi, Nonce: nonces[st.From], From: st.From, To: st.To,
			Input: st.Input, Value: st.Value, Calls: st.Calls, scripted: true}
		nonces[st.From]++
		for _, rl := range st.Logs {
			l := Log{Address: rl.Address, Topics: rl.Topics, Data: rl.Data, Block: block, TxHash: tx.Hash, TxIndex: txi, LogIndex: logi}
			if t, ok := d.tokenTransfer(l); ok {
				d.Transfers = append(d.Transfers, t)
			}
			tx.Logs = append(tx.Logs, len(d.Logs))
			d.Logs = append(d.Logs, l)
			logi++
		}
		d.Txs = append(d.Txs, tx)
		txi++
	}
	d.genesis = s.Genesis
	d.index()
	return d
}

// tokenTransfer reads l as a Transfer of the dataset's token.
func (d *Dataset) tokenTransfer(l Log) (Transfer, bool) {
	if l.Address != d.Token.Address || len(l.Topics) != 3 || l.Topics[0] != TransferTopic || len(l.Data) != 32 {
		return Transfer{}, false
	}
	return Transfer{Block: l.Block, Time: BlockTime(l.Block), TxHash: l.TxHash, TxIndex: l.TxIndex, LogIndex: l.LogIndex,
		Token: l.Address, From: common.BytesToAddress(l.Topics[1][12:]), To: common.BytesToAddress(l.Topics[2][12:]),
		Value: new(big.Int).SetBytes(l.Data)}, true
}

// indexEther builds the ether balances of a dataset with scripted
// transactions from its genesis, the transactions' values and their
// internal calls with value. Fees are not charged: every balance is what
// the transfers leave, as a trace's ledger rebuilds it.
func (d *Dataset) indexEther() {
	scripted := d.genesis != nil
	for i := range d.Txs {
		scripted = scripted || d.Txs[i].scripted
	}
	if !scripted {
		return
	}
	d.ether = map[common.Address][]balancePoint{}
	add := func(a common.Address, block uint64, delta *big.Int) {
		ps := d.ether[a]
		prev := new(big.Int)
		if len(ps) > 0 {
			prev = ps[len(ps)-1].bal
		}
		v := new(big.Int).Add(prev, delta)
		if len(ps) > 0 && ps[len(ps)-1].block == block {
			ps[len(ps)-1].bal = v
		} else {
			ps = append(ps, balancePoint{block: block, bal: v})
		}
		d.ether[a] = ps
	}
	genesis := make([]common.Address, 0, len(d.genesis))
	for a := range d.genesis {
		genesis = append(genesis, a)
	}
	slices.SortFunc(genesis, func(x, y common.Address) int { return x.Cmp(y) })
	for _, a := range genesis {
		add(a, 0, d.genesis[a])
	}
	for i := range d.Txs {
		tx := &d.Txs[i]
		for _, m := range etherMoves(tx) {
			add(m.from, tx.Block, new(big.Int).Neg(m.value))
			add(m.to, tx.Block, m.value)
		}
	}
}

// etherMove is one transfer of ether inside a transaction.
type etherMove struct {
	from, to common.Address
	value    *big.Int
}

// etherMoves lists the ether tx moved, its own value first, then its
// internal calls depth-first, as the callTracer orders frames.
func etherMoves(tx *Tx) []etherMove {
	var out []etherMove
	if tx.Value != nil && tx.Value.Sign() > 0 {
		out = append(out, etherMove{tx.From, tx.To, tx.Value})
	}
	var walk func(cs []Call)
	walk = func(cs []Call) {
		for _, c := range cs {
			if c.movesEther() {
				out = append(out, etherMove{c.From, c.To, c.Value})
			}
			walk(c.Calls)
		}
	}
	walk(tx.Calls)
	return out
}

func (c Call) frameType() string {
	if c.Type == "" {
		return "CALL"
	}
	return c.Type
}

func (c Call) movesEther() bool {
	return c.frameType() == "CALL" && c.Value != nil && c.Value.Sign() > 0
}

// HasEther reports whether the dataset carries ether (a Script's does,
// Generate's does not).
func (d *Dataset) HasEther() bool { return d.ether != nil }

// EtherBalance returns a's ether at the end of block n (Genesis before the
// first block), or nil for a dataset without ether.
func (d *Dataset) EtherBalance(a common.Address, n uint64) *big.Int {
	if d.ether == nil {
		return nil
	}
	return balanceAt(d.ether[a], n)
}

// weiHex is v as a callTracer writes a frame's value.
func weiHex(v *big.Int) string {
	if v == nil {
		return "0x0"
	}
	return hexutil.EncodeBig(v)
}

// scriptFrame is tx's callTracer frame from its Calls.
func (d *Dataset) scriptFrame(tx *Tx) callFrame {
	ok := hexutil.Bytes(wordInt(1))
	root := callFrame{Type: "CALL", From: tx.From, To: tx.To, Value: weiHex(tx.Value), Gas: gasLimit - 21_000,
		GasUsed: gasUsed - 21_000, Input: tx.Input, Output: ok}
	if len(tx.Input) == 0 {
		root.Output = hexutil.Bytes{}
	}
	var build func(cs []Call) []callFrame
	build = func(cs []Call) []callFrame {
		var out []callFrame
		for _, c := range cs {
			f := callFrame{Type: c.frameType(), From: c.From, To: c.To, Value: weiHex(c.Value), Gas: 60_000, GasUsed: 20_000,
				Input: c.Input, Output: ok, Calls: build(c.Calls)}
			if f.Input == nil {
				f.Input = hexutil.Bytes{}
			}
			out = append(out, f)
		}
		return out
	}
	root.Calls = build(tx.Calls)
	return root
}

// getBalance answers eth_getBalance from the ether balances, as an
// archive node does: any block up to the head.
func (r *RPC) getBalance(params json.RawMessage) (any, error) {
	var args []json.RawMessage
	var a common.Address
	if err := json.Unmarshal(params, &args); err != nil || len(args) < 1 || json.Unmarshal(args[0], &a) != nil {
		return nil, errInvalidParams("invalid argument 0: want an address")
	}
	n := r.ds.Head
	if len(args) > 1 {
		var err error
		if n, err = r.blockTag(args[1]); err != nil {
			return nil, err
		}
	}
	if n > r.ds.Head {
		return nil, &rpcError{Code: -32000, Message: "header not found"}
	}
	return (*hexutil.Big)(r.ds.EtherBalance(a, n)), nil
}
