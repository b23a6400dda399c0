package emulate

import (
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"freezetrace/chains"
)

// TronOffset is how far LoadTronFixture moves the fixture's blocks: its
// blocks 80–127 become 60,000,080–60,000,127, heights TRON mainnet reached
// in 2024, the year of the fixture's block times.
const TronOffset uint64 = 60_000_000

// TronFixture is the pigbutcher fixture's TRON transfers (a Tronscan-style
// TRC-20 export), relative to the repository root.
const TronFixture = "fixtures/pigbutcher/tron/trc20_transfers.csv"

// TronHeadGap is how many blocks past its newest transaction a loaded
// TronDataset puts its confirmed head.
const TronHeadGap uint64 = 100

// TronUnconfirmed is how many blocks the node's newest block is past the
// confirmed (solidified) head: /wallet answers for them, /walletsolidity
// and the only_confirmed listings do not.
const TronUnconfirmed uint64 = 19

// tronSlotMs is TRON's block interval. Blocks the data says nothing of are
// one slot apart; between two blocks of known time they are spread evenly,
// never closer than a slot.
const tronSlotMs = 3000

// TronTransfer is one TRC-20 Transfer event of a TronDataset.
type TronTransfer struct {
	Tx       chains.TxHash
	Block    uint64
	Time     time.Time // block time, UTC
	TxIndex  uint32    // the transaction's index in its block
	Position uint32    // the event's index in the transaction's log
	Token    chains.Address
	From, To chains.Address
	Value    *big.Int // base units
}

// Chain is the transfer as chains.Transfer writes it.
func (t TronTransfer) Chain() chains.Transfer {
	amt, _ := chains.AmountFromBig(t.Value)
	return chains.Transfer{Chain: chains.Tron, Tx: t.Tx, Position: t.Position, TxIndex: t.TxIndex, Block: t.Block, Time: t.Time,
		From: t.From, To: t.To, Asset: chains.AssetID{Chain: chains.Tron, Contract: t.Token}, Amount: amt}
}

// TronToken is a TRC-20 contract's metadata. Issuer is who can freeze its
// holders ("Tether", "Circle", from chains.SchemeOf), "" for nobody; the
// contract then has no blacklist functions.
type TronToken struct {
	Address  chains.Address
	Symbol   string
	Name     string
	Decimals int
	Issuer   string
}

// TronFreeze is an issuer freezing an address (Tether's AddedBlackList,
// Circle's Blacklisted) or, with Destroyed set, destroying a frozen
// balance (Tether's DestroyedBlackFunds).
type TronFreeze struct {
	Token     chains.Address
	User      chains.Address
	Tx        chains.TxHash
	Block     uint64
	Time      time.Time
	Destroyed *big.Int
}

// TronDataset is a TRON chain around a set of TRC-20 transfers: the
// transactions carrying them (every one a successful TriggerSmartContract
// of its token, signed by the sender, the issuer for mints), blocks with
// times, the confirmed head, token metadata and issuers' freezes. Blocks
// whose transaction indexes the data skips hold filler TRX transfers, so a
// transfer's TxIndex is its index in the served block. A TronGrid serves
// it; change it only through the TronGrid once served.
type TronDataset struct {
	Transfers []TronTransfer // chain order
	Tokens    []TronToken
	Contracts []chains.Address // other addresses with code
	Freezes   []TronFreeze     // chain order
	// Head is the confirmed (solidified) head; the node's newest block is
	// TronUnconfirmed blocks later.
	Head uint64
	// Issuer signs mints, freezes and destructions.
	Issuer chains.Address

	anchors []tronAnchor // blocks of known time, ascending
	txs     map[chains.TxHash]*tronTx
	blocks  map[uint64][]*tronTx // block order
	byAddr  map[chains.Address][]int
	events  map[chains.Address][]tronEventRef // per contract, chain order
}

type tronAnchor struct {
	n  uint64
	ms int64
}

// tronTx is one served transaction.
type tronTx struct {
	id    chains.TxHash
	block uint64
	index uint32
	owner chains.Address
	// to is the contract called, or the receiver of trx.
	to   chains.Address
	trx  int64 // a TransferContract's amount; 0 for a contract call
	call bool
	logs []tronLog
}

// tronLog is one event of a transaction's log.
type tronLog struct {
	name     string // Transfer, Approval, AddedBlackList, DestroyedBlackFunds, Blacklisted
	contract chains.Address
	from, to chains.Address // the freeze events' user is from
	value    *big.Int
}

type tronEventRef struct {
	tx  *tronTx
	log int
}

// ReadTronscanCSV reads a Tronscan-style TRC-20 export with the fixture's
// columns (transaction_id, block, block_ts, transaction_index,
// event_index, from_address, to_address, quant, contract_address,
// tokenAbbr, tokenDecimal) into a dataset whose blocks are offset blocks
// higher. Transaction ids, times and amounts are kept. The head is
// TronHeadGap blocks past the newest transfer; USDC's TRON contract is
// added to the tokens when missing, so that what a status check reads of
// each stablecoin exists.
func ReadTronscanCSV(r io.Reader, offset uint64) (*TronDataset, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	need := []string{"transaction_id", "block", "block_ts", "transaction_index", "event_index",
		"from_address", "to_address", "quant", "contract_address", "tokenAbbr", "tokenDecimal"}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("no %s column", n)
		}
	}
	d := &TronDataset{Issuer: tronNamed("issuer")}
	tokens := map[chains.Address]TronToken{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		get := func(n string) string { return strings.TrimSpace(rec[col[n]]) }
		t, tok, err := tronRow(get, offset)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if old, ok := tokens[tok.Address]; ok && (old.Symbol != tok.Symbol || old.Decimals != tok.Decimals) {
			return nil, fmt.Errorf("line %d: token %s has two symbols or decimals", line, tok.Address)
		}
		tokens[tok.Address] = tok
		d.Transfers = append(d.Transfers, t)
	}
	if len(d.Transfers) == 0 {
		return nil, errors.New("no transfers")
	}
	if _, ok := tokens[chains.USDCTron.Contract]; !ok {
		tokens[chains.USDCTron.Contract] = tronToken(chains.USDCTron.Contract, "USDC", 6)
	}
	for _, t := range tokens {
		d.Tokens = append(d.Tokens, t)
	}
	slices.SortFunc(d.Tokens, func(a, b TronToken) int { return a.Address.Compare(b.Address) })
	slices.SortStableFunc(d.Transfers, func(a, b TronTransfer) int {
		if a.Block != b.Block {
			return cmp.Compare(a.Block, b.Block)
		}
		if a.TxIndex != b.TxIndex {
			return cmp.Compare(a.TxIndex, b.TxIndex)
		}
		return cmp.Compare(a.Position, b.Position)
	})
	d.Head = d.Transfers[len(d.Transfers)-1].Block + TronHeadGap
	if err := d.index(); err != nil {
		return nil, err
	}
	return d, nil
}

// LoadTronFixture reads the pigbutcher fixture's TRON transfers from
// root/TronFixture at TronOffset heights.
func LoadTronFixture(root string) (*TronDataset, error) {
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(TronFixture)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := ReadTronscanCSV(f, TronOffset)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TronFixture, err)
	}
	return d, nil
}

func tronRow(get func(string) string, offset uint64) (TronTransfer, TronToken, error) {
	var t TronTransfer
	var err error
	if t.Tx, err = chains.ParseTxHash(get("transaction_id")); err != nil {
		return t, TronToken{}, err
	}
	n, err := strconv.ParseUint(get("block"), 10, 64)
	if err != nil {
		return t, TronToken{}, fmt.Errorf("block: %w", err)
	}
	t.Block = n + offset
	ms, err := strconv.ParseInt(get("block_ts"), 10, 64)
	if err != nil {
		return t, TronToken{}, fmt.Errorf("block_ts: %w", err)
	}
	t.Time = time.UnixMilli(ms).UTC()
	for _, f := range []struct {
		name string
		dst  *uint32
	}{{"transaction_index", &t.TxIndex}, {"event_index", &t.Position}} {
		v, err := strconv.ParseUint(get(f.name), 10, 32)
		if err != nil {
			return t, TronToken{}, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = uint32(v)
	}
	for _, f := range []struct {
		name string
		dst  *chains.Address
	}{{"from_address", &t.From}, {"to_address", &t.To}, {"contract_address", &t.Token}} {
		if *f.dst, err = chains.Tron.ParseAddress(get(f.name)); err != nil {
			return t, TronToken{}, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	v, ok := new(big.Int).SetString(get("quant"), 10)
	if !ok || v.Sign() < 0 || v.BitLen() > 256 {
		return t, TronToken{}, fmt.Errorf("quant %q is not a base-unit amount", get("quant"))
	}
	t.Value = v
	dec, err := strconv.Atoi(get("tokenDecimal"))
	if err != nil || dec < 0 || dec > 77 {
		return t, TronToken{}, fmt.Errorf("tokenDecimal %q", get("tokenDecimal"))
	}
	return t, tronToken(t.Token, get("tokenAbbr"), dec), nil
}

func tronToken(a chains.Address, symbol string, decimals int) TronToken {
	t := TronToken{Address: a, Symbol: symbol, Name: symbol, Decimals: decimals}
	if s, ok := chains.SchemeOf(chains.AssetID{Chain: chains.Tron, Contract: a}); ok {
		t.Issuer = s.Issuer
	}
	switch a {
	case chains.USDTTron.Contract:
		t.Name = "Tether USD"
	case chains.USDCTron.Contract:
		t.Name = "USD Coin"
	}
	return t
}

// tronNamed is an address derived from a name, for the dataset's own
// actors (the issuer, fillers).
func tronNamed(name string) chains.Address {
	h := sha256.Sum256([]byte("freezetrace/emulate/tron/" + name))
	return chains.NewAddress(chains.FamilyTRON, [20]byte(h[:20]))
}

func tronHash(s string) chains.TxHash {
	return chains.TxHash(sha256.Sum256([]byte("freezetrace/emulate/tron/" + s)))
}

// index checks the data and builds the transactions, blocks and lookups.
func (d *TronDataset) index() error {
	d.txs = map[chains.TxHash]*tronTx{}
	d.blocks = map[uint64][]*tronTx{}
	d.byAddr = map[chains.Address][]int{}
	d.events = map[chains.Address][]tronEventRef{}
	times := map[uint64]int64{}
	tokens := map[chains.Address]bool{}
	for _, t := range d.Tokens {
		tokens[t.Address] = true
	}
	for i, t := range d.Transfers {
		if !tokens[t.Token] {
			return fmt.Errorf("transfer %d: token %s has no metadata", i, t.Token)
		}
		if ms, ok := times[t.Block]; ok && ms != t.Time.UnixMilli() {
			return fmt.Errorf("block %d has two times", t.Block)
		}
		times[t.Block] = t.Time.UnixMilli()
		tx := d.txs[t.Tx]
		if tx == nil {
			owner := t.From
			if owner.IsNull() {
				owner = d.Issuer
			}
			tx = &tronTx{id: t.Tx, block: t.Block, index: t.TxIndex, owner: owner, to: t.Token, call: true}
			d.txs[t.Tx] = tx
		}
		if tx.block != t.Block || tx.index != t.TxIndex {
			return fmt.Errorf("tx %s in two places", chains.Tron.FormatTx(t.Tx))
		}
		for len(tx.logs) <= int(t.Position) {
			tx.logs = append(tx.logs, tronLog{name: "Approval", contract: t.Token, from: tx.owner, to: d.Issuer, value: new(big.Int)})
		}
		if tx.logs[t.Position].name == "Transfer" {
			return fmt.Errorf("tx %s has two events at %d", chains.Tron.FormatTx(t.Tx), t.Position)
		}
		tx.logs[t.Position] = tronLog{name: "Transfer", contract: t.Token, from: t.From, to: t.To, value: t.Value}
		d.byAddr[t.From] = append(d.byAddr[t.From], i)
		if t.To != t.From {
			d.byAddr[t.To] = append(d.byAddr[t.To], i)
		}
	}
	d.anchors = d.anchors[:0]
	for n, ms := range times {
		d.anchors = append(d.anchors, tronAnchor{n, ms})
	}
	slices.SortFunc(d.anchors, func(a, b tronAnchor) int { return cmp.Compare(a.n, b.n) })
	for i := 1; i < len(d.anchors); i++ {
		a, b := d.anchors[i-1], d.anchors[i]
		if b.ms-a.ms < int64(b.n-a.n)*tronSlotMs {
			return fmt.Errorf("blocks %d and %d are less than 3 s apart per block", a.n, b.n)
		}
	}
	if last := d.anchors[len(d.anchors)-1].n; d.Head < last {
		return fmt.Errorf("head %d is before block %d", d.Head, last)
	}
	for _, f := range d.Freezes {
		d.txs[f.Tx] = d.freezeTx(f)
	}
	for _, tx := range d.txs {
		d.blocks[tx.block] = append(d.blocks[tx.block], tx)
	}
	for n, txs := range d.blocks {
		slices.SortFunc(txs, func(a, b *tronTx) int { return cmp.Compare(a.index, b.index) })
		var full []*tronTx
		for _, tx := range txs {
			if uint32(len(full)) > tx.index {
				return fmt.Errorf("block %d has two transactions at index %d", n, tx.index)
			}
			for uint32(len(full)) < tx.index {
				i := uint32(len(full))
				full = append(full, &tronTx{id: tronHash(fmt.Sprintf("filler/%d/%d", n, i)), block: n, index: i,
					owner: tronNamed(fmt.Sprintf("filler/%d", i)), to: tronNamed(fmt.Sprintf("filler/%d", i+1)), trx: 1_000_000})
				d.txs[full[i].id] = full[i]
			}
			full = append(full, tx)
		}
		d.blocks[n] = full
	}
	for _, n := range sortedBlocks(d.blocks) {
		for _, tx := range d.blocks[n] {
			for i, l := range tx.logs {
				d.events[l.contract] = append(d.events[l.contract], tronEventRef{tx, i})
			}
		}
	}
	return nil
}

func sortedBlocks(m map[uint64][]*tronTx) []uint64 {
	out := make([]uint64, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// freezeTx is the issuer's transaction that made f.
func (d *TronDataset) freezeTx(f TronFreeze) *tronTx {
	name := "AddedBlackList"
	switch {
	case f.Destroyed != nil:
		name = "DestroyedBlackFunds"
	case d.token(f.Token).Issuer == "Circle":
		name = "Blacklisted"
	}
	var index uint32
	for _, t := range d.Transfers {
		if t.Block == f.Block {
			index = max(index, t.TxIndex+1)
		}
	}
	for _, g := range d.Freezes {
		if g.Block == f.Block && g.Tx.Compare(f.Tx) < 0 {
			index++
		}
	}
	return &tronTx{id: f.Tx, block: f.Block, index: index, owner: d.Issuer, to: f.Token, call: true,
		logs: []tronLog{{name: name, contract: f.Token, from: f.User, value: f.Destroyed}}}
}

// BlockTime is block n's time: the data's where it says, else spread
// evenly between the blocks of known time around n, else one 3 s slot
// per block from the nearest.
func (d *TronDataset) BlockTime(n uint64) time.Time {
	as := d.anchors
	j, found := slices.BinarySearchFunc(as, n, func(a tronAnchor, n uint64) int { return cmp.Compare(a.n, n) })
	var ms int64
	switch {
	case found:
		ms = as[j].ms
	case j == 0:
		ms = as[0].ms - int64(as[0].n-n)*tronSlotMs
	case j == len(as):
		a := as[j-1]
		ms = a.ms + int64(n-a.n)*tronSlotMs
	default:
		a, b := as[j-1], as[j]
		ms = a.ms + (b.ms-a.ms)*int64(n-a.n)/int64(b.n-a.n)
	}
	return time.UnixMilli(ms).UTC()
}

// Latest is the node's newest block, past the confirmed head.
func (d *TronDataset) Latest() uint64 { return d.Head + TronUnconfirmed }

func (d *TronDataset) token(a chains.Address) TronToken {
	for _, t := range d.Tokens {
		if t.Address == a {
			return t
		}
	}
	return TronToken{}
}

// Balance is addr's balance of token at the end of block n. The zero
// address, which mints come from and burns go to, holds nothing.
func (d *TronDataset) Balance(token, addr chains.Address, n uint64) *big.Int {
	v := new(big.Int)
	if addr.IsNull() {
		return v
	}
	for _, i := range d.byAddr[addr] {
		t := d.Transfers[i]
		if t.Token != token || t.Block > n || t.From == t.To {
			continue
		}
		if t.To == addr {
			v.Add(v, t.Value)
		} else {
			v.Sub(v, t.Value)
		}
	}
	for _, f := range d.Freezes {
		if f.Token == token && f.User == addr && f.Destroyed != nil && f.Block <= n {
			v.Sub(v, f.Destroyed)
		}
	}
	return v
}

// Frozen reports whether token's issuer had frozen addr at the end of
// block n.
func (d *TronDataset) Frozen(token, addr chains.Address, n uint64) bool {
	for _, f := range d.Freezes {
		if f.Token == token && f.User == addr && f.Destroyed == nil && f.Block <= n {
			return true
		}
	}
	return false
}

// freeze adds the issuer's freeze of user in block n, or with destroy the
// destruction of its balance then, and returns the transaction.
func (d *TronDataset) freeze(token, user chains.Address, n uint64, destroy bool) (TronFreeze, error) {
	tok := d.token(token)
	switch {
	case tok.Issuer == "":
		return TronFreeze{}, fmt.Errorf("token %s has no issuer who can freeze", token)
	case n == 0 || n > d.Head:
		return TronFreeze{}, fmt.Errorf("block %d is not a confirmed block (head %d)", n, d.Head)
	case destroy && tok.Issuer != "Tether":
		return TronFreeze{}, fmt.Errorf("%s cannot destroy frozen funds", tok.Issuer)
	case destroy && !d.Frozen(token, user, n):
		return TronFreeze{}, fmt.Errorf("%s is not frozen in block %d", user, n)
	case !destroy && d.Frozen(token, user, d.Head):
		return TronFreeze{}, fmt.Errorf("%s is frozen already", user)
	}
	for _, t := range d.Transfers {
		if t.Block > n && t.Token == token && t.From == user {
			return TronFreeze{}, fmt.Errorf("%s sends %s in block %d, after block %d", user, tok.Symbol, t.Block, n)
		}
	}
	f := TronFreeze{Token: token, User: user, Block: n, Time: d.BlockTime(n)}
	kind := "freeze"
	if destroy {
		kind = "destroy"
		f.Destroyed = d.Balance(token, user, n)
	}
	f.Tx = tronHash(fmt.Sprintf("%s/%s/%s/%d", kind, token, user, n))
	d.Freezes = append(d.Freezes, f)
	slices.SortStableFunc(d.Freezes, func(a, b TronFreeze) int { return cmp.Compare(a.Block, b.Block) })
	if err := d.index(); err != nil {
		return TronFreeze{}, err
	}
	return f, nil
}

// WriteTronscanCSV writes the transfers as the fixture's Tronscan-style
// export, at the dataset's heights: what `freezetrace import --format
// tronscan` reads.
func (d *TronDataset) WriteTronscanCSV(w io.Writer) error {
	return writeCSV(w, []string{"transaction_id", "block", "block_ts", "transaction_index", "event_index",
		"from_address", "to_address", "quant", "contract_address", "tokenAbbr", "tokenDecimal"},
		func(emit func(...string) error) error {
			for _, t := range d.Transfers {
				tok := d.token(t.Token)
				if err := emit(hexID(t.Tx), u64(t.Block), strconv.FormatInt(t.Time.UnixMilli(), 10),
					u64(uint64(t.TxIndex)), u64(uint64(t.Position)), t.From.String(), t.To.String(), t.Value.String(),
					t.Token.String(), tok.Symbol, strconv.Itoa(tok.Decimals)); err != nil {
					return err
				}
			}
			return nil
		})
}
