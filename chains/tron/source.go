package tron

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/transport"
)

// Source reads TRON transfers from a TronGrid-compatible API. It caches, for
// its own lifetime, the confirmed head it first saw, block times, resolved
// transactions and asset metadata, so repeated questions cost nothing. It is
// safe for concurrent use.
type Source struct {
	c        *client
	pageSize int
	workers  int
	noIdx    bool
	// wrappers are the native-coin wrappers whose Deposit and Withdrawal
	// TxEvents reads as wraps and unwraps.
	wrappers map[chains.Address]bool

	mu     sync.Mutex // guards what follows
	head   *blockResp
	blocks map[uint64]time.Time
	hashes map[uint64][32]byte
	order  map[uint64]map[chains.TxHash]uint32 // block → tx → index in block, from getblock
	txs    map[chains.TxHash]*txInfoResp
	index  map[chains.TxHash]uint32 // tx → index in its block
	assets map[chains.AssetID]chains.Asset
	// listings holds the receipts of the keptListings blocks read last,
	// listingOrder their numbers, oldest first.
	listings     map[uint64]*listing
	listingOrder []uint64
	// unhashed are the blocks of the last Transfers answer whose hashes
	// are not known yet: the first BlockHash asked about one of them reads
	// them all at once.
	unhashed []uint64
	// oldNode is set once the node turned out to lack /wallet/getblock,
	// noListing once it turned out to lack
	// /wallet/gettransactioninfobyblocknum.
	oldNode, noListing bool
}

var (
	_ chains.Source      = (*Source)(nil)
	_ chains.BlockFinder = (*Source)(nil)
	_ chains.Requester   = (*Source)(nil)
	_ chains.EventReader = (*Source)(nil)
	// Head and BlockHash let the store bound Latest queries and notice
	// changed blocks.
	_ chains.HeadReader  = (*Source)(nil)
	_ chains.BlockHasher = (*Source)(nil)
)

// New returns a Source for the API described by o.
func New(o Options) (*Source, error) {
	c, err := newClient(o)
	if err != nil {
		return nil, err
	}
	s := &Source{
		c:        c,
		pageSize: o.PageSize,
		workers:  o.Workers,
		blocks:   make(map[uint64]time.Time),
		hashes:   make(map[uint64][32]byte),
		order:    make(map[uint64]map[chains.TxHash]uint32),
		noIdx:    o.NoTxIndex,
		wrappers: wrapperSet(o.Wrappers),
		txs:      make(map[chains.TxHash]*txInfoResp),
		index:    make(map[chains.TxHash]uint32),
		assets:   make(map[chains.AssetID]chains.Asset),
		listings: make(map[uint64]*listing),
	}
	if s.pageSize <= 0 || s.pageSize > 200 {
		s.pageSize = 200
	}
	if s.workers <= 0 {
		s.workers = 4
	}
	return s, nil
}

// Requests returns how many HTTP requests the Source has sent, retries
// included.
func (s *Source) Requests() int64 { return s.c.http.Requests() }

// Name says where the data comes from, for provenance; it never includes
// the URL's path or query, where keys may sit, nor a label of the host
// name that looks like a key (transport.Origin).
func (s *Source) Name() string { return "trongrid " + transport.Origin(s.c.base.String()) }

func checkChain(c chains.Chain) error {
	if c != chains.Tron {
		return fmt.Errorf("tron source asked about chain %q: %w", c, chains.ErrUnsupported)
	}
	return nil
}

// Transfers returns q.Address's transfers of q.Asset (TRX or a TRC-20
// token) in blocks [q.From, q.To], in canonical order. A range reaching past
// the confirmed head (or To = chains.Latest) stops at the head.
func (s *Source) Transfers(ctx context.Context, q chains.Query) ([]chains.Transfer, error) {
	if err := checkChain(q.Chain); err != nil {
		return nil, err
	}
	if q.Address.Family() != chains.FamilyTRON {
		return nil, chains.Invalid(fmt.Errorf("tron transfers: %q is not a TRON address", q.Address))
	}
	if q.Asset.Chain != chains.Tron {
		return nil, chains.Invalid(fmt.Errorf("tron transfers: asset %s is not on TRON", q.Asset))
	}
	params, to, err := s.window(ctx, q)
	if err != nil || params == nil {
		return []chains.Transfer{}, err
	}

	var all []chains.Transfer
	if q.Asset.IsNative() {
		if all, err = s.trxTransfers(ctx, q.Address, params); err == nil {
			err = s.setTxIndex(ctx, all)
		}
	} else {
		all, err = s.trc20Transfers(ctx, q.Address, q.Asset, params)
	}
	if err != nil {
		return nil, err
	}
	out := make([]chains.Transfer, 0, len(all))
	for _, t := range all {
		if t.Block >= q.From && t.Block <= to {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, chains.Compare)
	s.noteUnhashed(out)
	return out, nil
}

// windowEnd is the newest block timestamp (ms) the listing may return for
// blocks up to to: just before block to+1's time, which a following range
// starting at to+1 reuses, or just after block to's time when that is known
// already, to is the head, or the range is that one block.
func (s *Source) windowEnd(ctx context.Context, from, to, head uint64) (int64, error) {
	s.mu.Lock()
	tNext, nextOK := s.blocks[to+1]
	_, toOK := s.blocks[to]
	s.mu.Unlock()
	switch {
	case nextOK && to < head:
		return tNext.UnixMilli() - 1, nil
	case toOK || to >= head || from == to:
		t, err := s.BlockTime(ctx, chains.Tron, to)
		return t.UnixMilli() + 1, err
	}
	tNext, err := s.BlockTime(ctx, chains.Tron, to+1)
	if err != nil {
		return 0, err
	}
	return tNext.UnixMilli() - 1, nil
}

// window is the listing parameters that select the blocks [q.From, to] by
// time, to being q.To clamped to the confirmed head; nil parameters when
// the range is empty.
//
// Block times rise strictly with block numbers, so the time window
// [time(From), time(to+1)) holds exactly the blocks [From, to] (up to
// time(to) when to is the head). The lower bound is widened by 1 ms so it
// does not matter whether the API treats it as inclusive; blocks are 3 s
// apart and callers filter blocks exactly. The next range of a split query
// starts at to+1, whose time is then already known.
func (s *Source) window(ctx context.Context, q chains.Query) (url.Values, uint64, error) {
	head, err := s.Head(ctx, q.Chain)
	if err != nil {
		return nil, 0, err
	}
	to := min(q.To, head)
	if q.From > to {
		return nil, to, nil
	}
	params := url.Values{}
	params.Set("only_confirmed", "true")
	params.Set("limit", strconv.Itoa(s.pageSize))
	if q.From > 0 {
		t, err := s.BlockTime(ctx, q.Chain, q.From)
		if err != nil {
			return nil, 0, err
		}
		params.Set("min_timestamp", strconv.FormatInt(t.UnixMilli()-1, 10))
	}
	maxMs, err := s.windowEnd(ctx, q.From, to, head)
	if err != nil {
		return nil, 0, err
	}
	params.Set("max_timestamp", strconv.FormatInt(maxMs, 10))
	return params, to, nil
}

// trxTransfers lists the TRX that addr sent or received: in its own
// transactions (their TransferContract amount or call_value), and in
// internal transactions of contract calls, which the listing names with
// search_internal and whose receipts say what moved.
func (s *Source) trxTransfers(ctx context.Context, addr chains.Address, params url.Values) ([]chains.Transfer, error) {
	params.Set("search_internal", "true")
	path := "/v1/accounts/" + addr.String() + "/transactions"
	seen := make(map[chains.TxHash]bool)
	seenInternal := make(map[chains.TxHash]bool)
	var out []chains.Transfer
	var internal []listedTx
	err := pages(ctx, s.c, path, params, func(items []txItem) error {
		for _, it := range items {
			if it.TxID == "" {
				id, ok, err := it.internalRow(path)
				if err != nil {
					return err
				}
				if ok && !seenInternal[id.h] {
					seenInternal[id.h] = true
					internal = append(internal, id)
				}
				continue
			}
			h, err := chains.ParseTxHash(it.TxID)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if seen[h] {
				continue
			}
			seen[h] = true
			t, ok, err := it.native(h, it.BlockNumber, it.BlockTimestamp)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if ok && (t.From == addr || t.To == addr) {
				out = append(out, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	in, err := s.internalTRX(ctx, addr, internal)
	if err != nil {
		return nil, err
	}
	return append(out, in...), nil
}

// trc20Transfers lists the transactions in which addr sent or received
// token, then decodes the transfers from each transaction's receipt.
func (s *Source) trc20Transfers(ctx context.Context, addr chains.Address, token chains.AssetID, params url.Values) ([]chains.Transfer, error) {
	params.Set("contract_address", token.Contract.String())
	path := "/v1/accounts/" + addr.String() + "/transactions/trc20"
	seen := make(map[chains.TxHash]bool)
	var ids []listedTx
	err := pages(ctx, s.c, path, params, func(items []trc20Item) error {
		for _, it := range items {
			if it.Type != "" && it.Type != "Transfer" {
				continue // Approval and the like move nothing
			}
			c, err := chains.Tron.ParseAddress(it.TokenInfo.Address)
			if err != nil || c != token.Contract {
				continue
			}
			h, err := chains.ParseTxHash(it.TransactionID)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			s.noteAsset(token, it.TokenInfo.Symbol, it.TokenInfo.Decimals)
			if !seen[h] {
				seen[h] = true
				ids = append(ids, listedTx{h: h, ms: it.BlockTimestamp})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	infos, idx, err := s.receipts(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []chains.Transfer
	for i, info := range infos {
		ts, err := info.transfers(ids[i].h)
		if err != nil {
			return nil, err
		}
		found := false
		for _, t := range ts {
			if t.Asset == token && (t.From == addr || t.To == addr) {
				t.TxIndex = idx[i]
				out = append(out, t)
				found = true
			}
		}
		if !found && !info.failed() {
			return nil, fmt.Errorf("tx %s: listed as a %s transfer of %s, but its receipt has no such Transfer event",
				chains.Tron.FormatTx(ids[i].h), token, addr)
		}
	}
	return out, nil
}

// pages walks a /v1 listing by meta.fingerprint, handing each page to fn.
func pages[T any](ctx context.Context, c *client, path string, params url.Values, fn func([]T) error) error {
	seen := make(map[string]bool)
	for {
		var p page[T]
		if err := c.get(ctx, path, params, &p); err != nil {
			return err
		}
		if !p.Success {
			msg := p.Error
			if msg == "" {
				msg = "success is false"
			}
			return c.scrub(fmt.Errorf("%s: %s", path, msg))
		}
		if err := fn(p.Data); err != nil {
			return c.scrub(err)
		}
		fp := p.Meta.Fingerprint
		if fp == "" || len(p.Data) == 0 {
			return nil
		}
		if seen[fp] {
			return c.scrub(fmt.Errorf("%s: the API repeated page fingerprint %q", path, fp))
		}
		seen[fp] = true
		params.Set("fingerprint", fp)
	}
}

// TxTransfers returns every transfer tx moved: its own TRX, the TRX its
// internal transactions moved (a swap's payout in TRX) and every TRC-20
// Transfer event, in canonical order. ErrNotFound when the node does not
// know tx.
func (s *Source) TxTransfers(ctx context.Context, chain chains.Chain, tx chains.TxHash) ([]chains.Transfer, error) {
	if err := checkChain(chain); err != nil {
		return nil, err
	}
	info, err := s.txInfo(ctx, tx)
	if err != nil {
		return nil, err
	}
	out, err := info.transfers(tx)
	if err != nil {
		return nil, err
	}
	in, err := info.internalTransfers(tx)
	if err != nil {
		return nil, err
	}
	out = append(out, in...)
	var t txItem
	if err := s.c.post(ctx, "/wallet/gettransactionbyid", map[string]string{"value": txID(tx)}, &t); err != nil {
		return nil, fmt.Errorf("tx %s: %w", chains.Tron.FormatTx(tx), err)
	}
	if t.TxID == "" {
		return nil, fmt.Errorf("tx %s: %w", chains.Tron.FormatTx(tx), chains.ErrNotFound)
	}
	if !info.failed() {
		n, ok, err := t.native(tx, info.BlockNumber, info.BlockTimeStamp)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, n)
		}
	}
	if err := s.setTxIndex(ctx, out); err != nil {
		return nil, err
	}
	slices.SortFunc(out, chains.Compare)
	return out, nil
}
