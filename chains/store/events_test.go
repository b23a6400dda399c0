package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
)

// eventUpstream is a fakeUpstream that is also a chains.EventReader: a
// transaction listed in events has those, one with transfers but not
// listed has none, any other is chains.ErrNotFound.
type eventUpstream struct {
	*fakeUpstream
	events map[chains.TxHash][]chains.TxEvent
	mu     sync.Mutex
	fail   error // TxEvents fails with it when set
}

func (u *eventUpstream) TxEvents(_ context.Context, _ chains.Chain, tx chains.TxHash) ([]chains.TxEvent, error) {
	u.count("TxEvents")
	u.mu.Lock()
	fail := u.fail
	u.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	if evs, ok := u.events[tx]; ok {
		return slices.Clone(evs), nil
	}
	for _, t := range u.ts {
		if t.Tx == tx {
			return []chains.TxEvent{}, nil
		}
	}
	return nil, chains.ErrNotFound
}

func (u *eventUpstream) failWith(err error) {
	u.mu.Lock()
	u.fail = err
	u.mu.Unlock()
}

func (u *eventUpstream) calls(m string) int {
	u.fakeUpstream.mu.Lock()
	defer u.fakeUpstream.mu.Unlock()
	return u.fakeUpstream.calls[m]
}

// headedEvents adds chains.HeadReader to an eventUpstream.
type headedEvents struct{ *eventUpstream }

func (h headedEvents) Head(ctx context.Context, c chains.Chain) (uint64, error) {
	return headed{h.fakeUpstream}.Head(ctx, c)
}

func txEvent(n int, block uint64, pos uint32, kind chains.EventKind) chains.TxEvent {
	return chains.TxEvent{Chain: chains.Ethereum, Tx: txh(n), Block: block, Position: pos, Contract: carol, Kind: kind}
}

// eventScenario: transaction 2 (block 20) swapped and unwrapped, listed
// out of log order; transaction 4 (block 50) bridged; the others of
// scenario emitted none.
func eventScenario() *eventUpstream {
	bridge := txEvent(4, 50, 9, chains.EventBridgeDeposit)
	bridge.DestChain, bridge.Recipient = "BTC", "bc1qexample"
	return &eventUpstream{fakeUpstream: &fakeUpstream{ts: scenario()}, events: map[chains.TxHash][]chains.TxEvent{
		txh(2): {txEvent(2, 20, 7, chains.EventUnwrap), txEvent(2, 20, 3, chains.EventUniswapV3Swap)},
		txh(4): {bridge},
	}}
}

// wantEvents is what TxEvents answers for transaction n of eventScenario.
func wantEvents(n int) []chains.TxEvent {
	evs, _ := checkEvents(chains.Ethereum, txh(n), eventScenario().events[txh(n)])
	return evs
}

// txBytes is the hash of transaction n as stored.
func txBytes(n int) []byte {
	h := txh(n)
	return h[:]
}

// tableRows counts the rows of a table.
func tableRows(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func askEvents(t *testing.T, s *Source, n int) []chains.TxEvent {
	t.Helper()
	got, err := s.TxEvents(context.Background(), chains.Ethereum, txh(n))
	if err != nil {
		t.Fatalf("events of transaction %d: %v", n, err)
	}
	if w := wantEvents(n); !reflect.DeepEqual(got, w) {
		t.Fatalf("events of transaction %d:\ngot  %+v\nwant %+v", n, got, w)
	}
	return got
}

// TestTxEventsColdWarm: a cold run asks once per transaction and stores
// every answer, one with no events too; a warm run, in a new process on
// the same file, asks nothing; offline answers the same.
func TestTxEventsColdWarm(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ft.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	up := eventScenario()
	s := NewSource(db, up, Options{Name: "rpc", Clock: func() time.Time { return time.Unix(5000, 0) }})
	for _, n := range []int{1, 2, 4} {
		askEvents(t, s, n)
	}
	if got := up.calls("TxEvents"); got != 3 {
		t.Errorf("cold: %d TxEvents requests, want 3", got)
	}
	if got := askEvents(t, s, 1); got == nil {
		t.Error("a transaction with no events: got nil, want an empty slice")
	}
	if got := up.calls("TxEvents"); got != 3 {
		t.Errorf("the empty answer was asked again: %d requests, want 3", got)
	}
	if n := tableRows(t, db, "tx_events"); n != 3 {
		t.Errorf("stored %d events, want 3", n)
	}
	var source string
	var at int64
	if err := db.sql.QueryRow(`SELECT source, retrieved_at FROM tx_event_coverage WHERE tx = ?`, txBytes(1)).Scan(&source, &at); err != nil || source != "rpc" || at != 5000 {
		t.Errorf("mark of the empty transaction: source %q, retrieved at %d, %v; want rpc, 5000", source, at, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	up.reset()
	warm := NewSource(db, up, Options{Name: "rpc"})
	for _, n := range []int{1, 2, 4} {
		askEvents(t, warm, n)
		askEvents(t, db.Source(), n)
	}
	if n := up.total(); n != 0 {
		t.Errorf("warm: %d upstream requests, want 0", n)
	}
}

func TestTxEventsOfflineMiss(t *testing.T) {
	_, err := openTemp(t).Source().TxEvents(context.Background(), chains.Ethereum, txh(2))
	if !errors.Is(err, chains.ErrOffline) || !errors.Is(err, chains.ErrNotFound) {
		t.Fatalf("got %v, want an error matching chains.ErrOffline and chains.ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "events of transaction "+txh(2).String()) {
		t.Errorf("error %q does not name the transaction", err)
	}
}

// TestTxEventsUnsupported: an upstream that cannot read events is not
// asked; what the file holds still answers.
func TestTxEventsUnsupported(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	up := &fakeUpstream{ts: scenario()}
	s := NewSource(db, up, Options{})
	_, err := s.TxEvents(ctx, chains.Ethereum, txh(2))
	if !errors.Is(err, chains.ErrUnsupported) || errors.Is(err, chains.ErrOffline) {
		t.Fatalf("got %v, want chains.ErrUnsupported (not ErrOffline)", err)
	}
	if n := up.total(); n != 0 {
		t.Errorf("%d upstream requests, want 0", n)
	}
	if err := db.PutTxEvents(ctx, chains.Ethereum, txh(2), eventScenario().events[txh(2)]); err != nil {
		t.Fatal(err)
	}
	askEvents(t, s, 2)
}

// TestTxEventsUpstreamError: a failed or refused fetch stores nothing, so
// the next run asks again.
func TestTxEventsUpstreamError(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	up := eventScenario()
	s := NewSource(db, up, Options{})
	up.failWith(errUpstream)
	if _, err := s.TxEvents(ctx, chains.Ethereum, txh(2)); !errors.Is(err, errUpstream) {
		t.Fatalf("got %v, want the upstream's error", err)
	}
	if _, err := s.TxEvents(ctx, chains.Ethereum, txh(99)); !errors.Is(err, errUpstream) {
		t.Fatalf("got %v, want the upstream's error", err)
	}
	up.failWith(nil)
	if _, err := s.TxEvents(ctx, chains.Ethereum, txh(99)); !errors.Is(err, chains.ErrNotFound) {
		t.Fatalf("unknown transaction: got %v, want chains.ErrNotFound", err)
	}
	up.events[txh(5)] = []chains.TxEvent{txEvent(5, 20, 1, "teleport")}
	if _, err := s.TxEvents(ctx, chains.Ethereum, txh(5)); err == nil || !strings.Contains(err.Error(), `unknown kind "teleport"`) {
		t.Fatalf("an event of an unknown kind: got %v, want an error naming it", err)
	}
	for _, table := range []string{"tx_events", "tx_event_coverage"} {
		if n := tableRows(t, db, table); n != 0 {
			t.Errorf("%s: %d rows after failed fetches, want 0", table, n)
		}
	}
	askEvents(t, s, 2)
	if got := up.calls("TxEvents"); got != 5 {
		t.Errorf("%d TxEvents requests, want 5 (nothing failed was cached)", got)
	}
}

// TestTxEventsNotFinal: events in a block that is not final yet are
// answered and not stored; a transaction with none is stored only once
// its block (from its stored transfers) is known to be final.
func TestTxEventsNotFinal(t *testing.T) {
	db := openTemp(t)
	up := eventScenario()
	up.head = 25
	s := NewSource(db, headedEvents{up}, Options{ConfirmDepth: 10}) // final: blocks up to 15
	for range 2 {
		askEvents(t, s, 2) // block 20
		askEvents(t, s, 1) // no events, block not known
	}
	if got := up.calls("TxEvents"); got != 4 {
		t.Errorf("%d TxEvents requests, want 4 (nothing final to store)", got)
	}
	putTransfers(t, db, scenario())
	up.reset()
	for range 2 {
		askEvents(t, s, 1) // block 10: final
		askEvents(t, s, 3) // block 35: not final
	}
	if got := up.calls("TxEvents"); got != 3 {
		t.Errorf("%d TxEvents requests, want 3 (transaction 1 stored)", got)
	}
	var block int64
	if err := db.sql.QueryRow(`SELECT block FROM tx_event_coverage WHERE tx = ?`, txBytes(1)).Scan(&block); err != nil || block != 10 {
		t.Errorf("stored transaction 1 at block %d, %v; want 10", block, err)
	}
}

// TestTxEventsConcurrent: callers asking at once (run with -race) all get
// the answer, and the file holds each event once.
func TestTxEventsConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	s := NewSource(db, eventScenario(), Options{})
	txs := []int{1, 2, 3, 4, 5, 6}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 2 * len(txs) {
				n := txs[(w+i)%len(txs)]
				got, err := s.TxEvents(ctx, chains.Ethereum, txh(n))
				if err != nil {
					t.Errorf("events of transaction %d: %v", n, err)
				} else if !reflect.DeepEqual(got, wantEvents(n)) {
					t.Errorf("events of transaction %d: got %+v", n, got)
				}
			}
		})
	}
	wg.Wait()
	if n := tableRows(t, db, "tx_events"); n != 3 {
		t.Errorf("stored %d events, want 3", n)
	}
	if n := tableRows(t, db, "tx_event_coverage"); n != len(txs) {
		t.Errorf("stored %d transactions, want %d", n, len(txs))
	}
}

// TestTxEventsReorg: a block replaced by a reorganisation takes the events
// of its transactions with it; other blocks' stay.
func TestTxEventsReorg(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	s := NewSource(db, eventScenario(), Options{})
	askEvents(t, s, 2)
	askEvents(t, s, 4)
	blk := func(n uint64, h byte) Block {
		return Block{Chain: chains.Ethereum, Number: n, Hash: [32]byte{h}, Time: time.Unix(1_600_000_000+int64(n)*12, 0).UTC()}
	}
	if _, _, err := db.PutBlocks(ctx, []Block{blk(20, 1), blk(50, 1)}); err != nil {
		t.Fatal(err)
	}
	if _, reorged, err := db.PutBlocks(ctx, []Block{blk(20, 2)}); err != nil || reorged != 1 {
		t.Fatalf("reorg: %d blocks, %v", reorged, err)
	}
	if evs, known, err := db.CachedTxEvents(ctx, chains.Ethereum, txh(2)); err != nil || known {
		t.Errorf("transaction 2 after its block was reorged: %+v, known %v, %v; want forgotten", evs, known, err)
	}
	if evs, known, err := db.CachedTxEvents(ctx, chains.Ethereum, txh(4)); err != nil || !known || !reflect.DeepEqual(evs, wantEvents(4)) {
		t.Errorf("transaction 4 (another block): %+v, known %v, %v; want kept", evs, known, err)
	}
}

func TestPutTxEvents(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		db := openTemp(t)
		if err := db.PutTxEvents(ctx, chains.Ethereum, txh(2), eventScenario().events[txh(2)]); err != nil {
			t.Fatal(err)
		}
		// Storing again replaces: the transaction now has one event.
		one := []chains.TxEvent{txEvent(2, 20, 3, chains.EventUniswapV3Swap)}
		if err := db.PutTxEvents(ctx, chains.Ethereum, txh(2), one); err != nil {
			t.Fatal(err)
		}
		if err := db.PutTxEvents(ctx, chains.Ethereum, txh(8), nil); err != nil {
			t.Fatal(err)
		}
		if got, known, err := db.CachedTxEvents(ctx, chains.Ethereum, txh(2)); err != nil || !known || !reflect.DeepEqual(got, one) {
			t.Errorf("transaction 2: got %+v, %v, %v; want %+v", got, known, err, one)
		}
		if got, known, err := db.CachedTxEvents(ctx, chains.Ethereum, txh(8)); err != nil || !known || got == nil || len(got) != 0 {
			t.Errorf("transaction 8: got %#v, %v, %v; want known, empty", got, known, err)
		}
		if got, known, err := db.CachedTxEvents(ctx, chains.Tron, txh(8)); err != nil || known || got != nil {
			t.Errorf("transaction 8 on tron: got %#v, %v, %v; want unknown", got, known, err)
		}
		var source string
		var at *int64
		if err := db.sql.QueryRow(`SELECT source, retrieved_at FROM tx_event_coverage WHERE tx = ?`, txBytes(8)).Scan(&source, &at); err != nil || source != "import" || at != nil {
			t.Errorf("mark: source %q, retrieved_at %v, %v; want import, NULL", source, at, err)
		}
	})
	other := txEvent(3, 20, 1, chains.EventWrap)
	tron := txEvent(2, 20, 1, chains.EventWrap)
	tron.Chain = chains.Tron
	for name, evs := range map[string][]chains.TxEvent{
		"OtherTransaction": {txEvent(2, 20, 0, chains.EventWrap), other},
		"OtherChain":       {tron},
		"UnknownKind":      {txEvent(2, 20, 1, "teleport")},
		"SamePosition":     {txEvent(2, 20, 1, chains.EventWrap), txEvent(2, 20, 1, chains.EventUnwrap)},
		"TwoBlocks":        {txEvent(2, 20, 1, chains.EventWrap), txEvent(2, 21, 2, chains.EventUnwrap)},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			db := openTemp(t)
			err := db.PutTxEvents(ctx, chains.Ethereum, txh(2), evs)
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), txh(2).String()) {
				t.Fatalf("got %v, want a chains.InputError naming the transaction", err)
			}
			if n := tableRows(t, db, "tx_events") + tableRows(t, db, "tx_event_coverage"); n != 0 {
				t.Errorf("%d rows stored, want 0", n)
			}
		})
	}
}

// TestCachedTxEventsUnknownKind: a stored kind this freezetrace does not
// know is an error naming the file and the row, never dropped, and never
// fetched over.
func TestCachedTxEventsUnknownKind(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	up := eventScenario()
	s := NewSource(db, up, Options{})
	askEvents(t, s, 2)
	if _, err := db.sql.Exec(`UPDATE tx_events SET kind = 'teleport' WHERE position = 7`); err != nil {
		t.Fatal(err)
	}
	_, _, err := db.CachedTxEvents(ctx, chains.Ethereum, txh(2))
	if err == nil {
		t.Fatal("got no error")
	}
	for _, w := range []string{db.Path(), "tx_events", txh(2).String(), "position 7", `"teleport"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %s", err, w)
		}
	}
	if _, err := s.TxEvents(ctx, chains.Ethereum, txh(2)); err == nil {
		t.Error("TxEvents over the unknown kind: got no error")
	}
	if got := up.calls("TxEvents"); got != 1 {
		t.Errorf("%d TxEvents requests, want 1", got)
	}
}

// TestMigrateTxEvents opens a file of schema version 9, the one before
// events were stored: what it held is kept, and events can be stored. (Its
// transaction, fetched from an upstream, is no longer known whole: 0011
// has such transactions fetched again, for the legs readings now add.)
func TestMigrateTxEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v9.db")
	writeOldSchema(t, path, 9)
	x := tr(1, 10, 0, bob, alice, 100)
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	usdtBytes, from, to := usdt.Contract.Bytes(), x.From.Bytes(), x.To.Bytes()
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO assets (id, chain, contract, symbol, decimals, kind) VALUES (1, 'ethereum', ?, 'USDT', 6, 'erc20')`, []any{usdtBytes[:]}},
		{`INSERT INTO addresses (id, addr) VALUES (1, ?), (2, ?)`, []any{from[:], to[:]}},
		{`INSERT INTO transfers (tx_prefix, tx, asset, position, tx_index, block, time, from_id, to_id, amount, zero)
		  VALUES (?, ?, 1, 0, 0, 10, ?, 1, 2, '100', 0)`, []any{txPrefix(x.Tx), x.Tx[:], x.Time.Unix()}},
		{`INSERT INTO tx_coverage (chain, tx, source, retrieved_at) VALUES ('ethereum', ?, 'rpc', 1)`, []any{x.Tx[:]}},
	} {
		if _, err := old.Exec(st.sql, st.args...); err != nil {
			t.Fatalf("%.40s: %v", st.sql, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(ctx); err != nil || v != latestVersion(t) {
		t.Fatalf("schema version %d, %v; want %d", v, err, latestVersion(t))
	}
	got, whole, err := db.CachedTxTransfers(ctx, chains.Ethereum, x.Tx)
	if err != nil || whole || len(got) != 1 || got[0].Key() != x.Key() || got[0].Amount.Cmp(x.Amount) != 0 {
		t.Fatalf("transaction after the migration: %+v, whole %v, %v; want %+v", got, whole, err, x)
	}
	up := eventScenario()
	s := NewSource(db, headedEvents{up}, Options{ConfirmDepth: 5})
	up.head = 100
	askEvents(t, s, 1)
	askEvents(t, s, 1)
	if got := up.calls("TxEvents"); got != 1 {
		t.Errorf("%d TxEvents requests, want 1", got)
	}
	var block int64
	if err := db.sql.QueryRow(`SELECT block FROM tx_event_coverage WHERE tx = ?`, x.Tx[:]).Scan(&block); err != nil || block != 10 {
		t.Errorf("stored at block %d, %v; want 10, the block of its stored transfer", block, err)
	}
}
