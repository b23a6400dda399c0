package attribute

import (
	"context"
	"errors"
	"fmt"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// Status is what `freezetrace status` says of one address at one block:
// its balance of each stablecoin whose issuer can freeze and of the native
// coin, whether each issuer has frozen it, its labels with their sources,
// the exchange whose deposit address it is when that is detected, and its
// activity as far as the cache holds it. Block is a live source's
// confirmed head when Live is set, else the end of the stored data.
type Status struct {
	Chain   chains.Chain   `json:"chain"`
	Address chains.Address `json:"address"`
	Live    bool           `json:"live"`
	Block   uint64         `json:"block"`
	Time    time.Time      `json:"time,omitzero"`
	Checked time.Time      `json:"checked,omitzero"`
	Assets  []AssetStatus  `json:"assets"`
	Labels  []chains.Label `json:"labels"` // never null
	// DepositOf is the exchange whose deposit address this is, by label or
	// by its sweeps (Deposit), "" when neither says so.
	DepositOf string `json:"deposit_of,omitempty"`
	// Activity is what the cache holds of the address: it says nothing of
	// blocks the cache never fetched.
	Activity Activity `json:"activity"`
	Warnings []string `json:"warnings,omitempty"`
}

// AssetStatus is one asset's balance and freeze status.
type AssetStatus struct {
	Asset   chains.Asset   `json:"asset"`
	Balance *chains.Amount `json:"balance,omitempty"` // absent when not known
	Freeze  *chains.Freeze `json:"freeze,omitempty"`  // absent for the native coin, or when not known
}

// Activity is an address's stored transfers: how many, first and last.
type Activity struct {
	Transfers int       `json:"transfers"`
	First     uint64    `json:"first_block,omitempty"`
	FirstTime time.Time `json:"first_time,omitzero"`
	Last      uint64    `json:"last_block,omitempty"`
	LastTime  time.Time `json:"last_time,omitzero"`
}

// Frozen lists the issuers that have frozen the address.
func (s Status) Frozen() []string {
	var out []string
	for _, a := range s.Assets {
		if a.Freeze != nil && a.Freeze.Frozen {
			out = append(out, a.Freeze.Issuer)
		}
	}
	return out
}

// StatusAt says at which block ReadStatus reads.
type StatusAt struct {
	Block uint64
	Live  bool
	Now   time.Time
}

// StatusAssets are the assets status reads on a chain: the stablecoins
// whose issuers can freeze, then the native coin.
func StatusAssets(c chains.Chain) []chains.AssetID {
	var out []chains.AssetID
	for _, id := range []chains.AssetID{chains.USDTEthereum, chains.USDCEthereum, chains.USDTTron, chains.USDCTron} {
		if id.Chain == c {
			out = append(out, id)
		}
	}
	return append(out, chains.NativeAsset(c))
}

// ReadStatus reads addr's status through src (a cache in front of a live
// source, or an offline one). What the source cannot answer becomes a
// warning; any other error is returned.
func (a *Attributor) ReadStatus(ctx context.Context, src chains.Source, c chains.Chain, addr chains.Address, at StatusAt, act Activity) (Status, error) {
	addr = addr.In(c.Family())
	s := Status{Chain: c, Address: addr, Live: at.Live, Block: at.Block, Activity: act, Labels: []chains.Label{}}
	if at.Live {
		s.Checked = at.Now.UTC()
	}
	if t, err := src.BlockTime(ctx, c, at.Block); err == nil {
		s.Time = t.UTC()
	} else if !trace.CannotAnswer(err) {
		return s, err
	}
	for _, id := range StatusAssets(c) {
		as, err := assetStatus(ctx, src, addr, id, at.Block, act.First, at.Live)
		if err != nil {
			return s, err
		}
		s.Assets = append(s.Assets, as.AssetStatus)
		s.Warnings = append(s.Warnings, as.warnings...)
	}
	ls, err := a.Labels(ctx, c, addr)
	if err != nil {
		return s, err
	}
	s.Labels = append(s.Labels, ls...)
	for _, l := range ls {
		if l.Category == chains.CategoryDeposit && s.DepositOf == "" {
			s.DepositOf = l.Entity
		}
	}
	if s.DepositOf == "" && act.Transfers > 0 {
		dep, err := a.DepositFrom(ctx, addr, StatusAssets(c)[0], act.First)
		switch {
		case err == nil && dep != nil:
			s.DepositOf = dep.Exchange
		case err != nil && !trace.CannotAnswer(err):
			return s, err
		case err != nil:
			s.Warnings = append(s.Warnings, fmt.Sprintf("deposit-address detection could not run: %v", err))
		}
	}
	return s, nil
}

type assetResult struct {
	AssetStatus
	warnings []string
}

func assetStatus(ctx context.Context, src chains.Source, addr chains.Address, id chains.AssetID, block, since uint64, live bool) (assetResult, error) {
	var r assetResult
	meta, err := src.Asset(ctx, id)
	switch {
	case err == nil:
		r.Asset = meta
	case errors.Is(err, chains.ErrNotFound) && !errors.Is(err, chains.ErrOffline) && !id.IsNative():
		// No such token on this chain's source (a dev chain): nothing to read.
		r.Asset = knownAsset(id, chains.Asset{ID: id})
		r.warnings = append(r.warnings, fmt.Sprintf("%s: the source knows no token contract at %s", r.Asset.Symbol, id.Contract))
		return r, nil
	case trace.CannotAnswer(err):
		r.Asset = chains.Asset{ID: id}
	default:
		return r, err
	}
	if r.Asset.Symbol == "" {
		r.Asset = knownAsset(id, r.Asset)
	}
	name := r.Asset.Symbol
	if name == "" {
		name = id.String()
	}
	v, err := src.Balance(ctx, id.Chain, addr, id, block)
	switch {
	case err == nil:
		r.Balance = &v
	case !trace.CannotAnswer(err):
		return r, err
	case !live:
		if b, n, ok, terr := trace.StoredBalance(ctx, src, addr, id, block); terr != nil {
			return r, terr
		} else if ok {
			r.Balance = &b
			r.warnings = append(r.warnings, name+" "+trace.StoredBalanceNote(n))
			break
		}
		fallthrough
	default:
		r.warnings = append(r.warnings, fmt.Sprintf("%s balance at block %d not known: %s", name, block, trace.WhyNot(err)))
	}
	scheme, ok := chains.SchemeOf(id)
	fc, can := src.(chains.FreezeChecker)
	if !ok || !can {
		return r, nil
	}
	f, err := fc.FreezeStatus(ctx, id, addr, block, since)
	switch {
	case err == nil:
		r.Freeze = &f
	case trace.CannotAnswer(err):
		r.warnings = append(r.warnings, fmt.Sprintf("%s freeze status not read: %s", scheme.Issuer, trace.WhyNot(err)))
	default:
		return r, err
	}
	return r, nil
}

// knownAsset fills in the symbol and decimals of the stablecoins status
// reads when the source has no metadata for them (an offline cache).
func knownAsset(id chains.AssetID, a chains.Asset) chains.Asset {
	switch id {
	case chains.USDTEthereum, chains.USDTTron:
		return chains.Asset{ID: id, Symbol: "USDT", Decimals: 6}
	case chains.USDCEthereum, chains.USDCTron:
		return chains.Asset{ID: id, Symbol: "USDC", Decimals: 6}
	}
	if id.IsNative() {
		return id.Chain.Native()
	}
	return a
}
