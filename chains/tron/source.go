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

	mu     sync.Mutex // guards what follows
	head   *blockResp
	blocks map[uint64]time.Time
	hashes map[uint64][32]byte
	order  map[uint64]map[chains.TxHash]uint32 // block → tx → index in block
	txs    map[chains.TxHash]*txInfoResp
	assets map[chains.AssetID]chains.Asset
	// oldNode is set once the node turned out to lack /wallet/getblock.
	oldNode bool
}

var (
	_ chains.Source      = (*Source)(nil)
	_ chains.BlockFinder = (*Source)(nil)
)

// Head and BlockHash let the store bound Latest queries and notice
// changed blocks.
var _ interface {
	Head(context.Context, chains.Chain) (uint64, error)
	BlockHash(context.Context, chains.Chain, uint64) ([32]byte, error)
} = (*Source)(nil)

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
		txs:      make(map[chains.TxHash]*txInfoResp),
		assets:   make(map[chains.AssetID]chains.Asset),
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
func (s *Source) Requests() int64 { return s.c.requests.Load() }

// Name says where the data comes from, for provenance; it never includes
// the URL's path or query, where keys may sit.
func (s *Source) Name() string { return "trongrid " + s.c.base.Scheme + "://" + s.c.base.Host }

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
	head, err := s.Head(ctx, q.Chain)
	if err != nil {
		return nil, err
	}
	to := min(q.To, head)
	if q.From > to {
		return []chains.Transfer{}, nil
	}
	// Block times rise strictly with block numbers, so the time window
	// [time(From), time(to)] holds exactly the blocks [From, to]. Each bound
	// is widened by 1 ms so it does not matter whether the API treats them
	// as inclusive; blocks are 3 s apart and the block filter below is exact.
	params := url.Values{}
	params.Set("only_confirmed", "true")
	params.Set("limit", strconv.Itoa(s.pageSize))
	if q.From > 0 {
		t, err := s.BlockTime(ctx, q.Chain, q.From)
		if err != nil {
			return nil, err
		}
		params.Set("min_timestamp", strconv.FormatInt(t.UnixMilli()-1, 10))
	}
	tt, err := s.BlockTime(ctx, q.Chain, to)
	if err != nil {
		return nil, err
	}
	params.Set("max_timestamp", strconv.FormatInt(tt.UnixMilli()+1, 10))

	var all []chains.Transfer
	if q.Asset.IsNative() {
		all, err = s.trxTransfers(ctx, q.Address, params)
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
	if err := s.setTxIndex(ctx, out); err != nil {
		return nil, err
	}
	slices.SortFunc(out, chains.Compare)
	return out, nil
}

// trxTransfers lists the TRX that addr sent or received in its own
// transactions.
func (s *Source) trxTransfers(ctx context.Context, addr chains.Address, params url.Values) ([]chains.Transfer, error) {
	params.Set("search_internal", "false")
	path := "/v1/accounts/" + addr.String() + "/transactions"
	seen := make(map[chains.TxHash]bool)
	var out []chains.Transfer
	err := pages(ctx, s.c, path, params, func(items []txItem) error {
		for _, it := range items {
			if it.TxID == "" {
				continue // an internal transaction's entry
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
	return out, err
}

// trc20Transfers lists the transactions in which addr sent or received
// token, then decodes the transfers from each transaction's receipt.
func (s *Source) trc20Transfers(ctx context.Context, addr chains.Address, token chains.AssetID, params url.Values) ([]chains.Transfer, error) {
	params.Set("contract_address", token.Contract.String())
	path := "/v1/accounts/" + addr.String() + "/transactions/trc20"
	seen := make(map[chains.TxHash]bool)
	var ids []chains.TxHash
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
				ids = append(ids, h)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	infos, err := s.txInfos(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []chains.Transfer
	for i, info := range infos {
		ts, err := info.transfers(ids[i])
		if err != nil {
			return nil, err
		}
		found := false
		for _, t := range ts {
			if t.Asset == token && (t.From == addr || t.To == addr) {
				out = append(out, t)
				found = true
			}
		}
		if !found && !info.failed() {
			return nil, fmt.Errorf("tx %s: listed as a %s transfer of %s, but its receipt has no such Transfer event",
				chains.Tron.FormatTx(ids[i]), token, addr)
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
			return fmt.Errorf("%s: %s", path, msg)
		}
		if err := fn(p.Data); err != nil {
			return err
		}
		fp := p.Meta.Fingerprint
		if fp == "" || len(p.Data) == 0 {
			return nil
		}
		if seen[fp] {
			return fmt.Errorf("%s: the API repeated page fingerprint %q", path, fp)
		}
		seen[fp] = true
		params.Set("fingerprint", fp)
	}
}

// txInfos resolves the receipts of ids (from the cache where it can), with
// at most s.workers requests at once. The result is in the order of ids.
func (s *Source) txInfos(ctx context.Context, ids []chains.TxHash) ([]*txInfoResp, error) {
	out := make([]*txInfoResp, len(ids))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		next     = make(chan int)
	)
	for range min(s.workers, len(ids)) {
		wg.Go(func() {
			for i := range next {
				info, err := s.txInfo(ctx, ids[i])
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					continue
				}
				out[i] = info
			}
		})
	}
	for i := range ids {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// txInfo returns the receipt of a confirmed transaction; ErrNotFound when
// the node does not know it.
func (s *Source) txInfo(ctx context.Context, h chains.TxHash) (*txInfoResp, error) {
	s.mu.Lock()
	info, ok := s.txs[h]
	s.mu.Unlock()
	if ok {
		return info, nil
	}
	var r txInfoResp
	if err := s.c.post(ctx, "/wallet/gettransactioninfobyid", map[string]string{"value": txID(h)}, &r); err != nil {
		return nil, fmt.Errorf("tx %s: %w", chains.Tron.FormatTx(h), err)
	}
	if r.ID == "" {
		return nil, fmt.Errorf("tx %s: %w", chains.Tron.FormatTx(h), chains.ErrNotFound)
	}
	s.mu.Lock()
	s.txs[h] = &r
	s.blocks[r.BlockNumber] = time.UnixMilli(r.BlockTimeStamp).UTC()
	s.mu.Unlock()
	return &r, nil
}

// TxTransfers returns every transfer tx moved: its own TRX and every TRC-20
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
