package tron

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"freezetrace/chains"
)

var _ chains.FreezeChecker = (*Source)(nil)

// maxEventPages bounds each walk through an event listing: at most 20
// pages of 200 events (4,000 events) are read looking for one address's
// event before the walk gives up and says so in Freeze.Note.
const maxEventPages = 20

// eventPage is the page size of the event listings, the most TronGrid
// allows.
const eventPage = 200

// FreezeStatus implements chains.FreezeChecker for the stablecoins of
// chains.SchemeOf on TRON. The getter (Tether's isBlackListed) is called on
// the solidified state, the only state TronGrid reads, so the answer is for
// the confirmed head whatever block is asked, and Freeze.Block says so (or
// names the freezing block when that is newer than the head the Source
// keeps). For a frozen address the freezing event (AddedBlackList) is
// looked for in /v1/contracts/{token}/events from the time of block since
// on, oldest first, and then the issuer's destruction of the frozen balance
// (DestroyedBlackFunds) after it, each walk stopping at the first event
// naming addr and after maxEventPages pages. ErrUnsupported for an asset
// without a known scheme or not on TRON.
func (s *Source) FreezeStatus(ctx context.Context, asset chains.AssetID, addr chains.Address, block, since uint64) (chains.Freeze, error) {
	if err := checkChain(asset.Chain); err != nil {
		return chains.Freeze{}, err
	}
	scheme, ok := chains.SchemeOf(asset)
	if !ok || asset.IsNative() {
		return chains.Freeze{}, fmt.Errorf("freeze status of %s in %s: no known freeze function: %w", addr, asset, chains.ErrUnsupported)
	}
	if addr.Family() != chains.FamilyTRON {
		return chains.Freeze{}, chains.Invalid(fmt.Errorf("freeze status: %q is not a TRON address", addr))
	}
	head, err := s.Head(ctx, chains.Tron)
	if err != nil {
		return chains.Freeze{}, err
	}
	fail := func(err error) (chains.Freeze, error) {
		return chains.Freeze{}, fmt.Errorf("%s freeze status of %s: %w", scheme.Issuer, addr, err)
	}
	w, err := s.constantWord(ctx, asset.Contract, scheme.Getter, addr)
	if err != nil {
		return fail(err)
	}
	frozen, err := boolWord(w)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", scheme.Getter, err))
	}
	f := chains.Freeze{Frozen: frozen, Issuer: scheme.Issuer, Block: head}
	if !frozen {
		return f, nil
	}
	if since > head {
		f.Note = fmt.Sprintf("block %d, where the search for the freezing transaction was to start, is after the confirmed head %d", since, head)
		return f, nil
	}
	var at time.Time // block since's time
	if since > 0 {
		if at, err = s.BlockTime(ctx, chains.Tron, since); err != nil {
			return fail(err)
		}
	}
	added, err := s.findEvent(ctx, asset.Contract, eventName(scheme.Added), addr, since, at)
	if err != nil {
		return fail(err)
	}
	from := since
	if ev := added.found; ev != nil {
		if f.Tx, err = chains.ParseTxHash(ev.TransactionID); err != nil {
			return fail(fmt.Errorf("%s event: %w", eventName(scheme.Added), err))
		}
		f.TxBlock, f.TxTime = ev.BlockNumber, time.UnixMilli(ev.BlockTimestamp).UTC()
		f.Block = max(f.Block, ev.BlockNumber)
		from, at = f.TxBlock, f.TxTime
	} else {
		f.Note = added.note
		if !added.cut {
			f.Note += ": frozen before that, or TronGrid's event index lacks it"
		}
	}
	if scheme.Destroyed == "" {
		return f, nil
	}
	destroyed, err := s.findEvent(ctx, asset.Contract, eventName(scheme.Destroyed), addr, from, at)
	if err != nil {
		return fail(err)
	}
	if ev := destroyed.found; ev != nil {
		v, err := eventAmount(ev, "_balance", "1")
		if err != nil {
			return fail(fmt.Errorf("%s event in tx %s: %w", eventName(scheme.Destroyed), ev.TransactionID, err))
		}
		f.Destroyed = &v
	} else if destroyed.cut {
		f.Note = strings.TrimPrefix(f.Note+"; "+destroyed.note, "; ")
	}
	return f, nil
}

// eventSearch is what a walk through an event listing found: the event,
// or a note saying how far the walk looked and, when cut is set, that it
// stopped before the end of the listing.
type eventSearch struct {
	found *eventItem
	cut   bool
	note  string
}

// findEvent walks the token's confirmed events called name, oldest first,
// from block from on (at is its time; zero with block 0), and finds the
// first whose first argument is addr. It stops after maxEventPages pages.
//
// Pages follow meta.fingerprint. TronGrid sometimes answers a full page
// without one (TRON-US/trongrid#23); the walk then goes on from the time
// of the page's last event, whose block is read again (events seen are
// skipped).
func (s *Source) findEvent(ctx context.Context, contract chains.Address, name string, addr chains.Address, from uint64, at time.Time) (eventSearch, error) {
	var minMs int64
	if !at.IsZero() {
		minMs = at.UnixMilli() - 1
	}
	path := "/v1/contracts/" + contract.String() + "/events"
	q := url.Values{}
	q.Set("event_name", name)
	q.Set("only_confirmed", "true")
	q.Set("order_by", "block_timestamp,asc")
	q.Set("limit", strconv.Itoa(eventPage))
	if minMs > 0 {
		q.Set("min_block_timestamp", strconv.FormatInt(minMs, 10))
	}
	seen := make(map[string]bool)
	fingerprints := make(map[string]bool)
	read := 0
	for pg := 0; pg < maxEventPages; pg++ {
		var p page[eventItem]
		if err := s.c.get(ctx, path, q, &p); err != nil {
			return eventSearch{}, fmt.Errorf("%s events: %w", name, err)
		}
		if !p.Success {
			return eventSearch{}, s.c.scrub(fmt.Errorf("%s events: %s: %s", name, path, cmp.Or(p.Error, "success is false")))
		}
		for i := range p.Data {
			ev := &p.Data[i]
			key := ev.TransactionID + "/" + strconv.Itoa(ev.EventIndex)
			if ev.EventName != name || ev.BlockNumber < from || seen[key] {
				continue
			}
			seen[key] = true
			read++
			who, err := eventAddress(ev, "_user", "_blackListedUser", "_account", "0")
			if err != nil {
				return eventSearch{}, s.c.scrub(fmt.Errorf("%s event in tx %s: %w", name, ev.TransactionID, err))
			}
			if who == addr {
				return eventSearch{found: ev}, nil
			}
		}
		fp := p.Meta.Fingerprint
		switch {
		case len(p.Data) == 0, fp == "" && len(p.Data) < eventPage:
			if from == 0 {
				return eventSearch{note: fmt.Sprintf("no %s event for %s in the event listing", name, addr)}, nil
			}
			return eventSearch{note: fmt.Sprintf("no %s event for %s from block %d on", name, addr, from)}, nil
		case fp != "":
			if fingerprints[fp] {
				return eventSearch{}, s.c.scrub(fmt.Errorf("%s events: %s: the API repeated page fingerprint %q", name, path, fp))
			}
			fingerprints[fp] = true
			q.Set("fingerprint", fp)
		default:
			last := p.Data[len(p.Data)-1].BlockTimestamp - 1
			if last <= minMs {
				return eventSearch{cut: true, note: fmt.Sprintf("%s events not read past %d events from block %d on: a full page of one millisecond came without a fingerprint", name, read, from)}, nil
			}
			minMs = last
			q.Del("fingerprint")
			q.Set("min_block_timestamp", strconv.FormatInt(minMs, 10))
		}
	}
	return eventSearch{cut: true, note: fmt.Sprintf("%s events not read past %d pages (%d events from block %d on), none for %s", name, maxEventPages, read, from, addr)}, nil
}

// eventName is the name part of an event signature.
func eventName(sig string) string {
	name, _, _ := strings.Cut(sig, "(")
	return name
}

// boolWord reads an ABI-encoded bool.
func boolWord(w [32]byte) (bool, error) {
	for _, b := range w[:31] {
		if b != 0 {
			return false, fmt.Errorf("returned %x, not a bool", w)
		}
	}
	switch w[31] {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("returned %x, not a bool", w)
}

// eventArg returns the first of keys present in an event's result, as a
// string.
func eventArg(ev *eventItem, keys ...string) (string, string, error) {
	for _, k := range keys {
		raw, ok := ev.Result[k]
		if !ok {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return k, "", fmt.Errorf("result.%s is %s, not a string", k, snippet(raw))
		}
		return k, s, nil
	}
	return "", "", fmt.Errorf("result has none of %s", strings.Join(keys, ", "))
}

// eventAddress reads an address argument: 0x-prefixed hex of 20 bytes as
// TronGrid writes them, bare or 41-prefixed hex, or base58check.
func eventAddress(ev *eventItem, keys ...string) (chains.Address, error) {
	k, s, err := eventArg(ev, keys...)
	if err != nil {
		return chains.Address{}, err
	}
	if a, err := chains.Tron.ParseAddress(s); err == nil {
		return a, nil
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == 20 {
		return chains.AddressFromSlice(chains.FamilyTRON, b)
	}
	return chains.Address{}, fmt.Errorf("result.%s %q is not an address", k, snippet([]byte(s)))
}

// eventAmount reads an integer argument, written in decimal.
func eventAmount(ev *eventItem, keys ...string) (chains.Amount, error) {
	k, s, err := eventArg(ev, keys...)
	if err != nil {
		return chains.Amount{}, err
	}
	v, err := chains.ParseAmount(s)
	if err != nil {
		return chains.Amount{}, fmt.Errorf("result.%s: %w", k, err)
	}
	return v, nil
}
