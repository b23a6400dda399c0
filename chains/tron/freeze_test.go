package tron_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/tron"
)

const (
	callPath = "/walletsolidity/triggerconstantcontract"
	evPath   = "/v1/contracts/{c}/events"
)

var scam = addr(0x33)

// holder is the i-th of many other blacklisted addresses.
func holder(i int) chains.Address {
	var a [20]byte
	a[0] = 0x77
	binary.BigEndian.PutUint32(a[16:], uint32(i))
	return chains.NewAddress(chains.FamilyTRON, a)
}

func evTx(i int) chains.TxHash {
	var h chains.TxHash
	h[0] = 0xfe
	binary.BigEndian.PutUint32(h[28:], uint32(i))
	return h
}

// fillers are n AddedBlackList events of other addresses in blocks
// [lo, hi], oldest first.
func fillers(n int, lo, hi uint64) []fakeEvent {
	out := make([]fakeEvent, n)
	for i := range out {
		b := lo + uint64(i)*(hi-lo+1)/uint64(n)
		out[i] = fakeEvent{contract: usdt.Contract, name: "AddedBlackList", user: holder(i), tx: evTx(i), block: b}
	}
	return out
}

var (
	freezeTx  = txh(0x90)
	destroyTx = txh(0x91)
)

// freezeGrid is a grid where scam is frozen in block 114 after n other
// freezes since block 100, and its 1234 base units destroyed in block 115.
func freezeGrid(t *testing.T, n int) *fakeGrid {
	t.Helper()
	g := newFakeGrid(t, blockTimes(), head, nil)
	g.token(usdt.Contract, "USDT", 6)
	g.blacklist(usdt.Contract, scam)
	g.addEvents(fillers(n, 100, 113)...)
	g.addEvents(
		fakeEvent{contract: usdt.Contract, name: "AddedBlackList", user: scam, tx: freezeTx, block: 114},
		fakeEvent{contract: usdt.Contract, name: "DestroyedBlackFunds", user: holder(3), amount: 99, tx: evTx(1 << 20), block: 114, index: 1},
		fakeEvent{contract: usdt.Contract, name: "DestroyedBlackFunds", user: scam, amount: 1234, tx: destroyTx, block: 115},
	)
	return g
}

func sameFreeze(t *testing.T, got, want chains.Freeze) {
	t.Helper()
	if got.Frozen != want.Frozen || got.Issuer != want.Issuer || got.Block != want.Block || got.Tx != want.Tx ||
		got.TxBlock != want.TxBlock || !got.TxTime.Equal(want.TxTime) || (got.Destroyed == nil) != (want.Destroyed == nil) ||
		(got.Destroyed != nil && got.Destroyed.Cmp(*want.Destroyed) != 0) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func wantCounts(t *testing.T, g *fakeGrid, s *tron.Source, want map[string]int) {
	t.Helper()
	got := g.counts()
	sum := 0
	for p, n := range want {
		if got[p] != n {
			t.Errorf("%s: got %d requests, want %d (all: %v)", p, got[p], n, got)
		}
		sum += n
	}
	if g.total() != sum || s.Requests() != int64(sum) {
		t.Errorf("got %d requests at the grid, %d counted by the source; want %d (all: %v)", g.total(), s.Requests(), sum, got)
	}
}

func TestFreezeStatus(t *testing.T) {
	ctx := context.Background()
	destroyed := chains.NewAmount(1234)
	frozen := chains.Freeze{
		Frozen: true, Issuer: "Tether", Block: head,
		Tx: freezeTx, TxBlock: 114, TxTime: blockTimes()[114], Destroyed: &destroyed,
	}

	t.Run("FrozenAfterPaging", func(t *testing.T) {
		g := freezeGrid(t, 450) // the freeze is on the third page
		s := newSource(t, g, tron.Options{})
		got, err := s.FreezeStatus(ctx, usdt, scam, head, 100)
		if err != nil {
			t.Fatal(err)
		}
		sameFreeze(t, got, frozen)
		if got.Note != "" {
			t.Errorf("note %q, want none", got.Note)
		}
		wantCounts(t, g, s, map[string]int{"/walletsolidity/getnowblock": 1, "/wallet/getblock": 1, callPath: 1, evPath: 3 + 1})
	})

	t.Run("NotFrozen", func(t *testing.T) {
		g := freezeGrid(t, 10)
		s := newSource(t, g, tron.Options{})
		got, err := s.FreezeStatus(ctx, usdt, victim, 110, 100)
		if err != nil {
			t.Fatal(err)
		}
		sameFreeze(t, got, chains.Freeze{Issuer: "Tether", Block: head})
		wantCounts(t, g, s, map[string]int{"/walletsolidity/getnowblock": 1, callPath: 1})
	})

	t.Run("FromTheFirstBlock", func(t *testing.T) {
		g := freezeGrid(t, 10)
		s := newSource(t, g, tron.Options{})
		got, err := s.FreezeStatus(ctx, usdt, scam, head, 0)
		if err != nil {
			t.Fatal(err)
		}
		sameFreeze(t, got, frozen)
		wantCounts(t, g, s, map[string]int{"/walletsolidity/getnowblock": 1, callPath: 1, evPath: 2})
	})

	t.Run("PageCap", func(t *testing.T) {
		g := freezeGrid(t, 20*200+10)
		s := newSource(t, g, tron.Options{})
		got, err := s.FreezeStatus(ctx, usdt, scam, head, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := frozen
		want.Tx, want.TxBlock, want.TxTime = chains.TxHash{}, 0, time.Time{}
		sameFreeze(t, got, want) // the destruction is still found, from block 100
		if !strings.Contains(got.Note, "AddedBlackList events not read past 20 pages (4000 events from block 100 on)") {
			t.Errorf("note %q", got.Note)
		}
		wantCounts(t, g, s, map[string]int{"/walletsolidity/getnowblock": 1, "/wallet/getblock": 1, callPath: 1, evPath: 20 + 1})
	})

	t.Run("FrozenBeforeSince", func(t *testing.T) {
		g := freezeGrid(t, 10)
		s := newSource(t, g, tron.Options{})
		got, err := s.FreezeStatus(ctx, usdt, scam, head, 115)
		if err != nil {
			t.Fatal(err)
		}
		want := chains.Freeze{Frozen: true, Issuer: "Tether", Block: head, Destroyed: &destroyed}
		sameFreeze(t, got, want)
		if !strings.HasPrefix(got.Note, "no AddedBlackList event for "+scam.String()+" from block 115 on: frozen before that") {
			t.Errorf("note %q", got.Note)
		}
	})

	t.Run("LostFingerprint", func(t *testing.T) {
		g := freezeGrid(t, 450)
		g.setFreeze(func(f *freezeState) { f.noFingerprint = true })
		s := newSource(t, g, tron.Options{})
		got, err := s.FreezeStatus(ctx, usdt, scam, head, 100)
		if err != nil {
			t.Fatal(err)
		}
		sameFreeze(t, got, frozen)
		if n := g.count(evPath); n < 4 || n > 6 {
			t.Errorf("%d event pages, want 3 or 4 for the freeze and 1 for the destruction", n)
		}
	})

	t.Run("LostFingerprintInOneBlock", func(t *testing.T) {
		g := freezeGrid(t, 0)
		g.addEvents(fillers(250, 105, 105)...)
		g.setFreeze(func(f *freezeState) { f.noFingerprint = true })
		s := newSource(t, g, tron.Options{})
		got, err := s.FreezeStatus(ctx, usdt, scam, head, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Frozen || !got.Tx.IsZero() || !strings.Contains(got.Note, "a full page of one millisecond came without a fingerprint") {
			t.Fatalf("got %+v", got)
		}
	})

	t.Run("SinceAfterTheHead", func(t *testing.T) {
		g := freezeGrid(t, 10)
		s := newSource(t, g, tron.Options{})
		got, err := s.FreezeStatus(ctx, usdt, scam, head, head+2)
		if err != nil || !got.Frozen || !strings.Contains(got.Note, "after the confirmed head") {
			t.Fatalf("got %+v, %v", got, err)
		}
		wantCounts(t, g, s, map[string]int{"/walletsolidity/getnowblock": 1, callPath: 1})
	})

	t.Run("Retries429", func(t *testing.T) {
		g := freezeGrid(t, 10)
		g.failFirst(callPath, 2, http.StatusTooManyRequests, `{"Error":"too many requests"}`)
		s := newSource(t, g, tron.Options{})
		got, err := s.FreezeStatus(ctx, usdt, scam, head, 100)
		if err != nil {
			t.Fatal(err)
		}
		sameFreeze(t, got, frozen)
		wantCounts(t, g, s, map[string]int{"/walletsolidity/getnowblock": 1, "/wallet/getblock": 1, callPath: 3, evPath: 2})

		g.failFirst("/v1/contracts/"+usdt.Contract.String()+"/events", 1, http.StatusTooManyRequests, `{"success":false,"error":"rate limited"}`)
		s = newSource(t, g, tron.Options{})
		if got, err = s.FreezeStatus(ctx, usdt, scam, head, 100); err != nil {
			t.Fatal(err)
		}
		sameFreeze(t, got, frozen)
		if n := s.Requests(); n != 3+2+1 {
			t.Errorf("%d requests, want 6 (one event page retried)", n)
		}
	})

	t.Run("Unsupported", func(t *testing.T) {
		g := freezeGrid(t, 10)
		s := newSource(t, g, tron.Options{})
		for _, a := range []chains.AssetID{fakeUSDT, trx, chains.USDTEthereum} {
			if _, err := s.FreezeStatus(ctx, a, scam, head, 0); !errors.Is(err, chains.ErrUnsupported) {
				t.Errorf("%s: got %v, want ErrUnsupported", a, err)
			}
		}
		if n := g.total(); n != 0 {
			t.Errorf("%d requests, want none", n)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		g := freezeGrid(t, 300)
		s := newSource(t, g, tron.Options{})
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				a := scam
				if i%2 == 1 {
					a = victim
				}
				got, err := s.FreezeStatus(ctx, usdt, a, head, 100)
				if err != nil || got.Frozen != (a == scam) || (a == scam && got.Tx != freezeTx) {
					t.Errorf("%s: got %+v, %v", a, got, err)
				}
			})
		}
		wg.Wait()
	})
}

func TestFreezeStatusMalformed(t *testing.T) {
	ctx := context.Background()
	events := "/v1/contracts/" + usdt.Contract.String() + "/events"
	word := func(hex string) string { return `{"result":{"result":true},"constant_result":["` + hex + `"]}` }
	for _, c := range []struct {
		name, path, body, want string
	}{
		{"Truncated", callPath, `{"result":{"result":true},"constant_result":["00000000`, "decode response: unexpected end of JSON input"},
		{"ShortWord", callPath, word(strings.Repeat("0", 31) + "1"), "constant_result[0] has 16 bytes, want one 32-byte word"},
		{"NotHex", callPath, word(strings.Repeat("zz", 32)), "constant_result[0] is not hex"},
		{"NotABool", callPath, word(strings.Repeat("0", 63) + "2"), "isBlackListed(address): returned 00"},
		{"NoConstantResult", callPath, `{"result":{"result":true}}`, "malformed answer: no constant_result"},
		{"NoResult", callPath, `{}`, "malformed answer: no result.result"},
		{"Refused", callPath, `{"result":{"code":"CONTRACT_VALIDATE_ERROR","message":"536d61727420636f6e7472616374206973206e6f742065786973742e"}}`,
			"node refused the call: CONTRACT_VALIDATE_ERROR Smart contract is not exist."},
		{"NodeError", callPath, `{"Error":"class java.lang.NullPointerException : null"}`, "node error: class java.lang.NullPointerException"},
		{"EventsTruncated", events, `{"data":[{"block_number":114,"block_timestamp":`, "AddedBlackList events: GET " + events + ": decode response"},
		{"EventsRefused", events, `{"success":false,"error":"Invalid query filter(s)!","data":[]}`, "AddedBlackList events: " + events + ": Invalid query filter(s)!"},
		{"EventAddress", events, `{"success":true,"meta":{"at":1,"page_size":1},"data":[{"block_number":114,"block_timestamp":1767225942000,"event_index":0,` +
			`"event_name":"AddedBlackList","transaction_id":"` + strings.Repeat("ab", 32) + `","result":{"0":"0xzz","_user":"0xzz"}}]}`,
			`result._user "0xzz" is not an address`},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := freezeGrid(t, 10)
			g.failFirst(c.path, 1, http.StatusOK, c.body)
			s := newSource(t, g, tron.Options{})
			_, err := s.FreezeStatus(ctx, usdt, scam, head, 100)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "Tether freeze status of "+scam.String()+": ") {
				t.Fatalf("got error %v, want one saying %q", err, c.want)
			}
			if errors.Is(err, chains.ErrUnsupported) || errors.Is(err, chains.ErrNotFound) {
				t.Errorf("%v must not read as a question the source cannot answer", err)
			}
		})
	}

	t.Run("Reverted", func(t *testing.T) {
		g := freezeGrid(t, 10)
		g.setFreeze(func(f *freezeState) { f.revert = "Pausable: paused" })
		s := newSource(t, g, tron.Options{})
		_, err := s.FreezeStatus(ctx, usdt, scam, head, 100)
		if err == nil || !strings.Contains(err.Error(), "call isBlackListed(address): the call reverted: Pausable: paused") {
			t.Fatalf("got error %v", err)
		}
	})

	t.Run("NoSolidityEndpoint", func(t *testing.T) {
		g := freezeGrid(t, 10)
		g.failFirst(callPath, 1, http.StatusNotFound, `{"Error":"not found"}`)
		s := newSource(t, g, tron.Options{})
		if _, err := s.FreezeStatus(ctx, usdt, scam, head, 100); !errors.Is(err, chains.ErrUnsupported) {
			t.Fatalf("got %v, want ErrUnsupported", err)
		}
	})
}

func TestBalance(t *testing.T) {
	ctx := context.Background()
	t.Run("AtTheHead", func(t *testing.T) {
		g := newScenario(t)
		// The state now includes tX (9 to pool, after the head); the head's
		// balance does not.
		g.setBalance(usdt.Contract, pool, 20000_000000)
		g.setBalance(usdt.Contract, exchange, 10000_000000)
		s := newSource(t, g, tron.Options{})
		if _, err := s.Balance(ctx, chains.Tron, pool, usdt, head); !errors.Is(err, chains.ErrUnsupported) || g.total() != 0 {
			t.Fatalf("before the head is read: got %v after %d requests, want ErrUnsupported after none", err, g.total())
		}
		if _, err := s.Head(ctx, chains.Tron); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			a    chains.Address
			want uint64
		}{{pool, 20000_000000 - 9}, {exchange, 10000_000000}} {
			got, err := s.Balance(ctx, chains.Tron, c.a, usdt, head)
			if err != nil || got.Cmp(chains.NewAmount(c.want)) != 0 {
				t.Errorf("Balance(%s) = %v, %v; want %d", c.a, got, err, c.want)
			}
		}
		wantCounts(t, g, s, map[string]int{"/walletsolidity/getnowblock": 1, callPath: 2, "/v1/accounts/{a}/transactions/trc20": 2})
	})

	t.Run("Unsupported", func(t *testing.T) {
		g := newScenario(t)
		s := newSource(t, g, tron.Options{})
		if _, err := s.Head(ctx, chains.Tron); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			asset chains.AssetID
			block uint64
		}{{usdt, head - 1}, {usdt, head + 1}, {trx, head}} {
			if _, err := s.Balance(ctx, chains.Tron, pool, c.asset, c.block); !errors.Is(err, chains.ErrUnsupported) {
				t.Errorf("%s at %d: got %v, want ErrUnsupported", c.asset, c.block, err)
			}
		}
		if n := g.count(callPath); n != 0 {
			t.Errorf("%d constant calls, want none", n)
		}
	})

	t.Run("BusyAccount", func(t *testing.T) {
		g := newScenario(t)
		g.setBalance(usdt.Contract, pool, 1)
		s := newSource(t, g, tron.Options{PageSize: 1}) // tX fills a page
		if _, err := s.Head(ctx, chains.Tron); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Balance(ctx, chains.Tron, pool, usdt, head); !errors.Is(err, chains.ErrUnsupported) {
			t.Fatalf("got %v, want ErrUnsupported", err)
		}
	})

	t.Run("Malformed", func(t *testing.T) {
		g := newScenario(t)
		g.failFirst(callPath, 1, http.StatusOK, `{"result":{"result":true},"constant_result":["0001"]}`)
		s := newSource(t, g, tron.Options{})
		if _, err := s.Head(ctx, chains.Tron); err != nil {
			t.Fatal(err)
		}
		_, err := s.Balance(ctx, chains.Tron, pool, usdt, head)
		if err == nil || errors.Is(err, chains.ErrUnsupported) || !strings.Contains(err.Error(), "call balanceOf(address): malformed answer: constant_result[0] has 2 bytes") {
			t.Fatalf("got %v", err)
		}
	})
}
