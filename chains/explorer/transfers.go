package explorer

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"freezetrace/chains"
)

// Transfers returns every transfer of q.Asset in which q.Address is sender
// or receiver in [q.From, q.To] (clamped to the head), in canonical order,
// zero-value transfers included: tokentx for a token; txlist merged with
// txlistinternal for the native coin, failed transactions and calls
// skipped. It returns the whole range or an error.
func (s *Source) Transfers(ctx context.Context, q chains.Query) ([]chains.Transfer, error) {
	if err := s.check(q.Chain); err != nil {
		return nil, err
	}
	if err := s.check(q.Asset.Chain); err != nil {
		return nil, err
	}
	if q.Address.Family() != chains.FamilyEVM {
		return nil, chains.Invalid(fmt.Errorf("address %s is not an EVM address", q.Address))
	}
	if q.From > q.To {
		return nil, nil
	}
	head, err := s.Head(ctx, s.chain)
	if err != nil {
		return nil, err
	}
	to := min(q.To, head)
	if q.From > to {
		return nil, nil
	}
	var out []chains.Transfer
	if q.Asset.IsNative() {
		out, err = s.native(ctx, q.Address, q.From, to)
	} else {
		out, err = s.tokens(ctx, q.Address, q.Asset.Contract, q.From, to)
	}
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, chains.Compare)
	return out, nil
}

// TransfersBetween returns the transfers of q.Asset from q.From to q.To in
// the block range. The explorer has no two-sided filter: this reads the
// sender's whole history of the asset in the range and keeps the rows to
// q.To, so it costs what Transfers for q.From costs.
func (s *Source) TransfersBetween(ctx context.Context, q chains.PairQuery) ([]chains.Transfer, error) {
	ts, err := s.Transfers(ctx, chains.Query{Chain: q.Chain, Address: q.From, Asset: q.Asset, From: q.FromBlock, To: q.ToBlock})
	if err != nil {
		return nil, err
	}
	out := ts[:0]
	for _, t := range ts {
		if t.From == q.From && t.To == q.To {
			out = append(out, t)
		}
	}
	return slices.Clip(out), nil
}

func (s *Source) tokens(ctx context.Context, addr, contract chains.Address, from, to uint64) ([]chains.Transfer, error) {
	base := url.Values{"module": {"account"}, "action": {"tokentx"},
		"contractaddress": {contract.Hex()}, "address": {addr.Hex()}}
	rows, err := s.rows(ctx, "tokentx", base, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]chains.Transfer, 0, len(rows))
	times := map[uint64]time.Time{}
	idx := map[chains.TxHash]uint32{}
	var meta *chains.Asset
	for i, r := range rows {
		d, err := decodeRow(s.chain, kindToken, r)
		if err != nil {
			return nil, fmt.Errorf("tokentx %s blocks %d-%d row %d: %w", addr, from, to, i, err)
		}
		if d.t.Asset.Contract != contract {
			return nil, fmt.Errorf("tokentx %s blocks %d-%d row %d: contract %s, asked for %s", addr, from, to, i, d.t.Asset.Contract, contract)
		}
		times[d.t.Block] = d.t.Time
		idx[d.t.Tx] = d.t.TxIndex
		if meta == nil {
			if a, err := rowAsset(s.chain, r); err == nil {
				meta = &a
			}
		}
		out = append(out, d.t)
	}
	s.rememberTimes(times)
	s.rememberIndex(idx)
	if meta != nil {
		s.mu.Lock()
		s.assets[contract] = *meta
		s.mu.Unlock()
	}
	if s.PositionRule() == RuleReceipt {
		return out, s.applyPositions(ctx, out)
	}
	return out, tokenPositions(out)
}

func (s *Source) native(ctx context.Context, addr chains.Address, from, to uint64) ([]chains.Transfer, error) {
	base := func(action string) url.Values {
		return url.Values{"module": {"account"}, "action": {action}, "address": {addr.Hex()}}
	}
	txs, err := s.rows(ctx, "txlist", base("txlist"), from, to)
	if err != nil {
		return nil, err
	}
	ints, err := s.rows(ctx, "txlistinternal", base("txlistinternal"), from, to)
	if err != nil {
		return nil, err
	}
	times := map[uint64]time.Time{}
	idx := map[chains.TxHash]uint32{}
	var out []chains.Transfer
	for i, r := range txs {
		d, err := decodeRow(s.chain, kindNative, r)
		if err != nil {
			return nil, fmt.Errorf("txlist %s blocks %d-%d row %d: %w", addr, from, to, i, err)
		}
		times[d.t.Block] = d.t.Time
		idx[d.t.Tx] = d.t.TxIndex
		if d.skip {
			continue
		}
		d.t.Position = 0
		out = append(out, d.t)
	}
	s.rememberIndex(idx)
	var internal []chains.Transfer
	for i, r := range ints {
		d, err := decodeRow(s.chain, kindInternal, r)
		if err != nil {
			return nil, fmt.Errorf("txlistinternal %s blocks %d-%d row %d: %w", addr, from, to, i, err)
		}
		times[d.t.Block] = d.t.Time
		if d.skip {
			continue
		}
		d.t.Position = tracePosition(d.traceID)
		internal = append(internal, d.t)
	}
	s.rememberTimes(times)
	if s.PositionRule() == RuleReceipt {
		out = append(out, internal...)
		return out, s.applyPositions(ctx, out)
	}
	for i := range internal {
		n, err := s.indexOf(ctx, internal[i].Tx)
		if err != nil {
			return nil, err
		}
		internal[i].TxIndex = n
	}
	return append(out, internal...), nil
}

// rows pages through a list action over [from, to], sliding startblock past
// each full result window (see the package doc), and returns the rows in
// the explorer's order.
func (s *Source) rows(ctx context.Context, action string, base url.Values, from, to uint64) ([]row, error) {
	var all []row
	start := from
	for {
		var window []row
		var blocks []uint64
		full := false
		for page := 1; ; page++ {
			what := fmt.Sprintf("%s blocks %d-%d page %d", action, start, to, page)
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			q.Set("startblock", strconv.FormatUint(start, 10))
			q.Set("endblock", strconv.FormatUint(to, 10))
			q.Set("page", strconv.Itoa(page))
			q.Set("offset", strconv.Itoa(s.pageSize))
			q.Set("sort", "asc")
			res, err := s.call(ctx, q, what)
			if errors.Is(err, errWindow) && page > 1 {
				s.lowerWindow((page - 1) * s.pageSize)
				full = true
				break
			}
			if err != nil {
				return nil, err
			}
			rs, err := parseRows(res)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			for i, r := range rs {
				b, err := strconv.ParseUint(string(r.BlockNumber), 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%s: row %d: blockNumber %q: not a block number", what, i, clip(r.BlockNumber))
				}
				if b < start || b > to || (len(blocks) > 0 && b < blocks[len(blocks)-1]) {
					return nil, fmt.Errorf("%s: row %d: block %d out of order or outside the range asked", what, i, b)
				}
				blocks = append(blocks, b)
			}
			window = append(window, rs...)
			if len(rs) > s.pageSize {
				return nil, fmt.Errorf("%s: %d rows for a page of %d", what, len(rs), s.pageSize)
			}
			if len(rs) < s.pageSize {
				return append(all, window...), nil
			}
			if (page+1)*s.pageSize > s.maxWindow() {
				full = true
				break
			}
		}
		if !full || len(window) == 0 {
			return nil, fmt.Errorf("%s blocks %d-%d: the explorer refused the first page", action, start, to)
		}
		last := blocks[len(blocks)-1]
		if blocks[0] == last {
			return nil, fmt.Errorf("%s block %d: %w (more than %d rows); read this address with a JSON-RPC node instead",
				action, last, errWindowBlock, len(window))
		}
		cut, _ := slices.BinarySearch(blocks, last)
		all = append(all, window[:cut]...)
		start = last
	}
}

func (s *Source) maxWindow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.window
}

func (s *Source) lowerWindow(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n >= s.pageSize && n < s.window {
		s.window = n
	}
}

func (s *Source) rememberIndex(m map[chains.TxHash]uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.txIndex)+len(m) > cacheLimit {
		clear(s.txIndex)
	}
	for h, i := range m {
		s.txIndex[h] = i
	}
}

// indexOf returns a transaction's index in its block, from the rows seen or
// eth_getTransactionByHash.
func (s *Source) indexOf(ctx context.Context, tx chains.TxHash) (uint32, error) {
	s.mu.Lock()
	n, ok := s.txIndex[tx]
	s.mu.Unlock()
	if ok {
		return n, nil
	}
	t, err := s.tx(ctx, tx)
	if err != nil {
		return 0, err
	}
	if uint64(t.TransactionIndex) > maxTxIndex {
		return 0, fmt.Errorf("transaction %s: index %d out of range", tx, uint64(t.TransactionIndex))
	}
	n = uint32(t.TransactionIndex)
	s.rememberIndex(map[chains.TxHash]uint32{tx: n})
	return n, nil
}

// applyPositions sets each transfer's Position and TxIndex from the
// positions source's transfers of its transaction, matched by (asset,
// from, to, amount) in order. A zero-value own transaction value, which no
// receipt lists as a transfer, keeps its explorer position.
func (s *Source) applyPositions(ctx context.Context, ts []chains.Transfer) error {
	if err := s.batchTokens(ctx, ts); err != nil {
		return err
	}
	used := map[chains.TxHash][]bool{}
	for i := range ts {
		t := &ts[i]
		exact, err := s.exactFor(ctx, *t)
		if err != nil {
			return fmt.Errorf("positions of transaction %s: %w", t.Tx, err)
		}
		u := used[t.Tx]
		if u == nil {
			u = make([]bool, len(exact))
			used[t.Tx] = u
		}
		found := false
		for j, e := range exact {
			if u[j] || e.Asset != t.Asset || e.From != t.From || e.To != t.To || e.Amount.Cmp(t.Amount) != 0 {
				continue
			}
			u[j], found = true, true
			t.Position, t.TxIndex = e.Position, e.TxIndex
			break
		}
		if !found && !(t.Asset.IsNative() && t.Position == 0 && t.Amount.IsZero()) {
			return fmt.Errorf("positions of transaction %s: its transfer of %s from %s to %s is not among the %d the positions source lists",
				t.Tx, t.Amount, t.From, t.To, len(exact))
		}
	}
	return nil
}

// batchTokens fetches, when the positions source can batch, the token
// transfers of every transaction of ts's token transfers not known yet.
func (s *Source) batchTokens(ctx context.Context, ts []chains.Transfer) error {
	bp, ok := s.positions.(BatchPositionSource)
	if !ok {
		return nil
	}
	var need []chains.TxHash
	seen := map[chains.TxHash]bool{}
	s.mu.Lock()
	for _, t := range ts {
		if _, known := s.batched[t.Tx]; !known && !t.Asset.IsNative() && !seen[t.Tx] {
			seen[t.Tx] = true
			need = append(need, t.Tx)
		}
	}
	s.mu.Unlock()
	if len(need) == 0 {
		return nil
	}
	got, err := bp.TokenTransfersOf(ctx, s.chain, need)
	if err != nil {
		return fmt.Errorf("positions of %d transactions: %w", len(need), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.batched)+len(got) > cacheLimit {
		clear(s.batched)
	}
	for tx, tts := range got {
		s.batched[tx] = tts
	}
	return nil
}

// exactFor returns the exact transfers of t's transaction to match t
// against: the batched token transfers for a token transfer when there are
// some, else the positions source's whole transaction.
func (s *Source) exactFor(ctx context.Context, t chains.Transfer) ([]chains.Transfer, error) {
	if !t.Asset.IsNative() {
		s.mu.Lock()
		tts, ok := s.batched[t.Tx]
		s.mu.Unlock()
		if ok {
			return tts, nil
		}
	}
	return s.exactTransfers(ctx, t.Tx)
}

// exactTransfers returns the positions source's transfers of tx, cached.
func (s *Source) exactTransfers(ctx context.Context, tx chains.TxHash) ([]chains.Transfer, error) {
	s.mu.Lock()
	ts, ok := s.receipts[tx]
	s.mu.Unlock()
	if ok {
		return ts, nil
	}
	if s.positions != nil {
		var err error
		if ts, err = s.positions.TxTransfers(ctx, s.chain, tx); err != nil {
			return nil, err
		}
	} else {
		l, err := s.receiptTransfers(ctx, tx)
		if err != nil {
			return nil, err
		}
		ts = l.all()
	}
	s.mu.Lock()
	if len(s.receipts) >= cacheLimit/10 {
		clear(s.receipts)
	}
	s.receipts[tx] = ts
	s.mu.Unlock()
	return ts, nil
}
