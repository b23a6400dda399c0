package tron

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"freezetrace/chains"
)

// exportBuilder turns export rows into transfers and assets.
type exportBuilder struct {
	name   string
	opts   ExportOptions
	assets map[chains.AssetID]chains.Asset
	decAt  map[chains.AssetID]int // line that set an asset's decimals
	out    []chains.Transfer
	lines  []int // line of each transfer in out
	// seen maps a transfer's identity to its index in out.
	seen map[string]int
	// unranked marks the transfers read without a position.
	unranked map[int]bool
}

// add reads one row written at line.
func (b *exportBuilder) add(line int, r row) error {
	if !rowSucceeded(r) {
		return nil
	}
	at := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", b.name, line, fmt.Sprintf(format, args...))
	}
	t, err := b.transfer(line, r, at)
	if err != nil {
		return err
	}
	return b.keep(line, t, r["position"] != "", at)
}

// transfer reads the transfer a row describes, in the order its columns
// are checked: transaction, parties, token (and what the row says of its
// decimals and symbol), amount, place in the block.
func (b *exportBuilder) transfer(line int, r row, at func(string, ...any) error) (chains.Transfer, error) {
	t := chains.Transfer{Chain: chains.Tron}
	var err error
	if t.Tx, t.Time, t.Block, err = rowTx(r, at); err != nil {
		return chains.Transfer{}, err
	}
	if t.From, t.To, err = rowParties(r, at); err != nil {
		return chains.Transfer{}, err
	}
	if t.Asset, err = b.asset(r, at); err != nil {
		return chains.Transfer{}, err
	}
	if err := b.noteAsset(line, r, t.Asset, at); err != nil {
		return chains.Transfer{}, err
	}
	if t.Amount, err = b.amount(r, t.Asset, at); err != nil {
		return chains.Transfer{}, err
	}
	if t.TxIndex, t.Position, err = rowOrder(r, at); err != nil {
		return chains.Transfer{}, err
	}
	return t, nil
}

// rowTx reads a row's transaction id, time and (optional) block.
func rowTx(r row, at func(string, ...any) error) (tx chains.TxHash, when time.Time, block uint64, err error) {
	if r["tx"] == "" {
		return tx, when, 0, at("no transaction id")
	}
	if tx, err = chains.ParseTxHash(r["tx"]); err != nil {
		return tx, when, 0, at("%v", err)
	}
	if r["time"] == "" {
		return tx, when, 0, at("no time")
	}
	if when, err = parseExportTime(r["time"]); err != nil {
		return tx, when, 0, at("%v", err)
	}
	if s := r["block"]; s != "" {
		if block, err = strconv.ParseUint(s, 10, 64); err != nil {
			return tx, when, 0, at("block %q: want a whole number", s)
		}
	}
	return tx, when, block, nil
}

// rowParties reads a row's sender and receiver.
func rowParties(r row, at func(string, ...any) error) (from, to chains.Address, err error) {
	if from, err = chains.Tron.ParseAddress(r["from"]); err != nil {
		return from, to, at("from: %v", err)
	}
	if to, err = chains.Tron.ParseAddress(r["to"]); err != nil {
		return from, to, at("to: %v", err)
	}
	return from, to, nil
}

// noteAsset records what a row says of its token: decimals (which every
// row must agree on) and symbol; a symbol without decimals is kept, the
// decimals staying unknown.
func (b *exportBuilder) noteAsset(line int, r row, asset chains.AssetID, at func(string, ...any) error) error {
	if d := r["decimals"]; d != "" {
		n, err := strconv.ParseUint(d, 10, 8)
		if err != nil {
			return at("decimals %q: want 0-255", d)
		}
		return b.setDecimals(asset, uint8(n), r["symbol"], line)
	}
	if _, ok := b.assets[asset]; !ok && r["symbol"] != "" {
		b.assets[asset] = chains.Asset{ID: asset, Symbol: r["symbol"]}
	}
	return nil
}

// rowOrder reads a row's (optional) transaction index and position.
func rowOrder(r row, at func(string, ...any) error) (txIndex, position uint32, err error) {
	if s := r["txindex"]; s != "" {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, 0, at("transaction index %q: want a whole number", s)
		}
		txIndex = uint32(n)
	}
	if s := r["position"]; s != "" {
		p, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, 0, at("position %q: want a whole number", s)
		}
		position = uint32(p)
	}
	return txIndex, position, nil
}

// keep adds t, read at line, unless an earlier row gave the same transfer:
// the same position of the transaction's token transfers when the row
// gave one (ranked), else the same token, parties and amount. A repeated
// transfer must agree with the first in everything.
func (b *exportBuilder) keep(line int, t chains.Transfer, ranked bool, at func(string, ...any) error) error {
	var id string
	if ranked {
		id = fmt.Sprintf("%x/%s/%d", t.Tx, t.Asset, t.Position)
	} else {
		id = fmt.Sprintf("%x/%s/%s/%s/%s", t.Tx, t.Asset, t.From.Hex(), t.To.Hex(), t.Amount)
	}
	if i, ok := b.seen[id]; ok {
		prev := b.out[i]
		if prev.From != t.From || prev.To != t.To || prev.Amount.Cmp(t.Amount) != 0 || !prev.Time.Equal(t.Time) || prev.Block != t.Block || prev.TxIndex != t.TxIndex {
			return at("transaction %s position %d differs from line %d", chains.Tron.FormatTx(t.Tx), t.Position, b.lines[i])
		}
		return nil
	}
	if !ranked {
		if b.unranked == nil {
			b.unranked = make(map[int]bool)
		}
		b.unranked[len(b.out)] = true
	}
	b.seen[id] = len(b.out)
	b.out = append(b.out, t)
	b.lines = append(b.lines, line)
	return nil
}

// rowSucceeded reports whether a row's status columns, where present, say
// the transfer happened and is confirmed.
func rowSucceeded(r row) bool {
	switch strings.ToLower(r["ret"]) {
	case "", "success", "confirmed":
	default:
		return false
	}
	switch strings.ToLower(r["status"]) {
	case "fail", "failed", "revert", "reverted", "error", "pending", "unconfirmed":
		return false
	}
	if e := strings.ToLower(r["event"]); e != "" && e != "transfer" {
		return false
	}
	switch strings.ToLower(r["revert"]) {
	case "true", "1", "yes":
		return false
	}
	switch strings.ToLower(r["confirm"]) {
	case "false", "0", "no":
		return false
	}
	return true
}

// asset reads a row's token, or the export's one.
func (b *exportBuilder) asset(r row, at func(string, ...any) error) (chains.AssetID, error) {
	s := r["token"]
	switch {
	case s == "" && b.opts.Token != nil:
		return b.opts.Token.ID, nil
	case s == "":
		return chains.AssetID{}, at("no token contract column; give the export's token")
	case s == "_" || strings.EqualFold(s, "trx"):
		return chains.NativeAsset(chains.Tron), nil
	}
	c, err := chains.Tron.ParseAddress(s)
	if err != nil {
		return chains.AssetID{}, at("token: %v", err)
	}
	return chains.AssetID{Chain: chains.Tron, Contract: c}, nil
}

// setDecimals records an asset's decimals; every row must agree.
func (b *exportBuilder) setDecimals(id chains.AssetID, d uint8, symbol string, line int) error {
	if known, ok := b.decimals(id); ok {
		if known != d {
			where := "the token given for this export"
			if first, set := b.decAt[id]; set {
				where = fmt.Sprintf("line %d", first)
			} else if id.IsNative() {
				where = "TRX itself"
			}
			return fmt.Errorf("%s:%d: token %s has %d decimals here but %d at %s", b.name, line, id, d, known, where)
		}
		return nil
	}
	if b.decAt == nil {
		b.decAt = make(map[chains.AssetID]int)
	}
	a := b.assets[id]
	if a.Symbol == "" {
		a.Symbol = symbol
	}
	a.ID, a.Decimals = id, d
	b.assets[id] = a
	b.decAt[id] = line
	return nil
}

// amount reads the base-unit amount, or the display amount with the token's
// decimals.
func (b *exportBuilder) amount(r row, asset chains.AssetID, at func(string, ...any) error) (chains.Amount, error) {
	if s := r["raw"]; s != "" {
		a, err := chains.ParseAmount(s)
		if err != nil {
			return chains.Amount{}, at("%v", err)
		}
		return a, nil
	}
	s := r["display"]
	if s == "" {
		return chains.Amount{}, at("no amount")
	}
	dec, ok := b.decimals(asset)
	if !ok {
		return chains.Amount{}, at("amount %q is in display units and the decimals of %s are unknown; add a decimals column", s, asset)
	}
	a, err := chains.ParseDisplayAmount(s, dec)
	if err != nil {
		return chains.Amount{}, at("%v", err)
	}
	return a, nil
}

func (b *exportBuilder) decimals(id chains.AssetID) (uint8, bool) {
	if id.IsNative() {
		return chains.Tron.Native().Decimals, true
	}
	if _, ok := b.decAt[id]; ok {
		return b.assets[id].Decimals, true
	}
	if b.opts.Token != nil && b.opts.Token.ID == id {
		return b.opts.Token.Decimals, true
	}
	return 0, false
}

// rank gives the transfers read without a position their rank within their
// transaction, in the order (token, from, to, amount): the same whatever
// the order of the file's rows.
func (b *exportBuilder) rank() ([]chains.Transfer, error) {
	out := slices.Clone(b.out)
	byTx := make(map[chains.TxHash][]int)
	for i := range out {
		if b.unranked[i] {
			byTx[out[i].Tx] = append(byTx[out[i].Tx], i)
		}
	}
	for _, idx := range byTx {
		slices.SortFunc(idx, func(x, y int) int {
			a, c := out[x], out[y]
			if d := a.Asset.Compare(c.Asset); d != 0 {
				return d
			}
			if d := a.From.Compare(c.From); d != 0 {
				return d
			}
			if d := a.To.Compare(c.To); d != 0 {
				return d
			}
			return a.Amount.Cmp(c.Amount)
		})
		for r, i := range idx {
			out[i].Position = uint32(r)
		}
	}
	seen := make(map[chains.TransferKey]int, len(out))
	for i, t := range out {
		if j, dup := seen[t.Key()]; dup {
			return nil, chains.Invalid(fmt.Errorf("%s:%d: transaction %s has two transfers at position %d (the other at line %d)",
				b.name, b.lines[i], chains.Tron.FormatTx(t.Tx), t.Position, b.lines[j]))
		}
		seen[t.Key()] = i
	}
	return out, nil
}

// finish sorts the transfers and lists the assets they move whose
// decimals are known (from the file, the options, or TRX itself); the
// caller looks up any other (Source.Asset).
func (b *exportBuilder) finish() ([]chains.Transfer, []chains.Asset, error) {
	out, err := b.rank()
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(out, chains.Compare)
	var assets []chains.Asset
	done := make(map[chains.AssetID]bool)
	for _, t := range out {
		id := t.Asset
		if done[id] {
			continue
		}
		done[id] = true
		d, ok := b.decimals(id)
		if !ok {
			continue
		}
		a := b.assets[id]
		if id.IsNative() {
			a = chains.Tron.Native()
		}
		a.ID, a.Decimals = id, d
		assets = append(assets, a)
	}
	slices.SortFunc(assets, func(x, y chains.Asset) int { return x.ID.Compare(y.ID) })
	if out == nil {
		out = []chains.Transfer{}
	}
	return out, assets, nil
}

// Sink stores what an export holds; the store's *Import satisfies it.
type Sink interface {
	PutAssets(ctx context.Context, as []chains.Asset) (added int, err error)
	PutTransfers(ctx context.Context, ts []chains.Transfer) (added int, err error)
}

// LoadTronscan reads an export (see ReadTronscan) and puts its assets and
// transfers into sink. With resolve set, the transfers first take the
// chain's identity (Source.Resolve); nil stores them as read. It returns how
// many transfers the file holds and how many of them sink had not stored
// before.
func LoadTronscan(ctx context.Context, r io.Reader, name string, o ExportOptions, resolve *Source, sink Sink) (read, added int, err error) {
	ts, as, err := ReadTronscan(r, name, o)
	if err != nil {
		return 0, 0, err
	}
	if resolve != nil {
		if ts, err = resolve.Resolve(ctx, ts); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(as) > 0 {
		if _, err := sink.PutAssets(ctx, as); err != nil {
			return 0, 0, fmt.Errorf("store assets of %s: %w", name, err)
		}
	}
	if added, err = sink.PutTransfers(ctx, ts); err != nil {
		return 0, 0, fmt.Errorf("store transfers of %s: %w", name, err)
	}
	return len(ts), added, nil
}

// Resolve gives transfers read from an export the chain's own identity:
// each transaction is read from the Source (TxTransfers) and each transfer
// matched to the transfer of the same token, sender, receiver and amount
// there, whose position, block, time and transaction index it takes. Use it
// before storing an export whose rows carry no event index when the same
// addresses may also be fetched from TronGrid, so both give each transfer
// one identity. A transfer the chain does not have is an input error.
func (s *Source) Resolve(ctx context.Context, ts []chains.Transfer) ([]chains.Transfer, error) {
	out := make([]chains.Transfer, len(ts))
	byTx := make(map[chains.TxHash][]int)
	var order []chains.TxHash
	for i, t := range ts {
		if _, ok := byTx[t.Tx]; !ok {
			order = append(order, t.Tx)
		}
		byTx[t.Tx] = append(byTx[t.Tx], i)
	}
	for _, tx := range order {
		onChain, err := s.TxTransfers(ctx, chains.Tron, tx)
		if errors.Is(err, chains.ErrNotFound) {
			return nil, chains.Invalid(fmt.Errorf("transaction %s of the export: %w", chains.Tron.FormatTx(tx), err))
		}
		if err != nil {
			return nil, err
		}
		used := make([]bool, len(onChain))
		for _, i := range byTx[tx] {
			t := ts[i]
			j := -1
			for k, c := range onChain {
				if !used[k] && c.Asset == t.Asset && c.From == t.From && c.To == t.To && c.Amount.Cmp(t.Amount) == 0 {
					j = k
					break
				}
			}
			if j < 0 {
				return nil, chains.Invalid(fmt.Errorf("transaction %s has no transfer of %s %s from %s to %s, as the export says",
					chains.Tron.FormatTx(tx), t.Amount, t.Asset, t.From, t.To))
			}
			used[j] = true
			out[i] = onChain[j]
		}
	}
	slices.SortFunc(out, chains.Compare)
	return out, nil
}
