package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
	"freezetrace/internal/emulate"
	"freezetrace/trace/screen"
)

// screenCase is a path S → X → D picked from an emulated mainnet case:
// S (labeled sanctioned by the test) is X's only source and X is D's; D
// sent its funds on to one of the case's exchange deposit addresses
// (labeled), and around them the chain is busy with exchange traffic.
type screenCase struct {
	ds         *emulate.Dataset
	s, x, d    common.Address
	amount     *big.Int    // what D received of S's funds: the haircut over X's inflows
	txXD, txSX common.Hash // the first transaction of each flow
	labels     string      // labels CSV
}

// screenSince is the window's start: the block before the case's data.
const screenSince = "20000000"

func newScreenCase(t testing.TB, o emulate.Options) *screenCase {
	t.Helper()
	ds := emulate.Generate(7, o)
	c := &screenCase{ds: ds}
	// in[a][p] is what p sent a; out[a][p] what a sent p.
	in, out := map[common.Address]map[common.Address]*big.Int{}, map[common.Address]map[common.Address]*big.Int{}
	add := func(m map[common.Address]map[common.Address]*big.Int, a, p common.Address, v *big.Int) {
		if m[a] == nil {
			m[a] = map[common.Address]*big.Int{}
		}
		m[a][p] = new(big.Int).Add(cmp.Or(m[a][p], new(big.Int)), v)
	}
	for _, tr := range ds.Transfers {
		add(in, tr.To, tr.From, tr.Value)
		add(out, tr.From, tr.To, tr.Value)
	}
	ordinary := func(a common.Address) bool {
		return a != (common.Address{}) && !ds.IsContract(a) && !slices.Contains(ds.Deposits, a) &&
			!slices.ContainsFunc(ds.Labels, func(l emulate.Label) bool { return l.Address == a })
	}
	only := func(m map[common.Address]*big.Int) common.Address {
		if len(m) != 1 {
			return common.Address{}
		}
		return slices.Collect(maps.Keys(m))[0]
	}
	for _, tr := range ds.Transfers {
		x, d := tr.From, tr.To
		s := only(in[x])
		if ordinary(x) && ordinary(d) && ordinary(s) && s != d && only(in[d]) == x && slices.Contains(ds.Deposits, only(out[d])) {
			// X's inflows are all S's: D's inflow from X carries a share of 1.
			c.s, c.x, c.d, c.amount = s, x, d, in[d][x]
			c.txXD, c.txSX = tr.TxHash, firstTx(ds, s, x) // the first X → D transfer is tr
			break
		}
	}
	if c.d == (common.Address{}) {
		t.Fatal("no path S → X → D in the emulated case")
	}
	// The labels: the case's own (exchange wallets, issuer, DEX pool), its
	// deposit addresses, and S on a sanctions list.
	c.labels = filepath.Join(t.TempDir(), "labels.csv")
	f, err := os.Create(c.labels)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ds.WriteLabels(f); err != nil {
		t.Fatal(err)
	}
	for _, a := range ds.Deposits {
		fmt.Fprintf(f, "ethereum,%s,Alpha Exchange,deposit,test\n", emulate.ChainAddress(a))
	}
	if _, err := fmt.Fprintf(f, "ethereum,%s,Test Sanctioned Wallet,sanctioned,test\n", emulate.ChainAddress(c.s)); err != nil {
		t.Fatal(err)
	}
	return c
}

// firstTx is the first transaction in which from paid to.
func firstTx(ds *emulate.Dataset, from, to common.Address) common.Hash {
	for _, tr := range ds.Transfers {
		if tr.From == from && tr.To == to {
			return tr.TxHash
		}
	}
	return common.Hash{}
}

// db returns a new database holding the case's labels only.
func (c *screenCase) db(t testing.TB) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "screen.db")
	if code, _, stderr := runCLI(t, "labels", "import", "--db", db, "--format", "csv", c.labels); code != 0 {
		t.Fatalf("labels import: exit %d: %s", code, stderr)
	}
	return db
}

// screen screens D on db over two hops, JSON out, with flags.
func (c *screenCase) screen(t testing.TB, db string, flags ...string) (code int, stdout, stderr string) {
	t.Helper()
	args := append([]string{"screen", "--db", db, "--asset", "usdt", "--hops", "2", "--format", "json"}, flags...)
	return runCLI(t, append(args, emulate.ChainAddress(c.d).String())...)
}

// check checks a JSON document screening D: sanctioned in 2 hops, the
// amount, the hit S, and the path's two steps with their transactions.
func (c *screenCase) check(t testing.TB, stdout string) {
	t.Helper()
	var doc struct{ Results []screen.Result }
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Results) != 1 {
		t.Fatalf("%d results (%v), want 1: %q", len(doc.Results), err, stdout)
	}
	r := doc.Results[0]
	var got []string
	for _, e := range r.Exposure {
		got = append(got, fmt.Sprintf("%s %s %d hops: %v from %s (%s)", e.Category, e.Side, e.Hops, e.Amounts, e.HitAddress, e.Hit.Entity))
		for _, st := range e.Path {
			got = append(got, fmt.Sprintf("  %s > %s tx %s", st.From, st.To, st.Tx))
		}
	}
	a := emulate.ChainAddress
	usdt := []screen.AssetAmount{{Asset: chains.USDTEthereum, Amount: chains.MustParseAmount(c.amount.String())}}
	want := []string{fmt.Sprintf("sanctioned in 2 hops: %v from %s (Test Sanctioned Wallet)", usdt, a(c.s)),
		fmt.Sprintf("  %s > %s tx %s", a(c.x), a(c.d), chains.TxHash(c.txXD)),
		fmt.Sprintf("  %s > %s tx %s", a(c.s), a(c.x), chains.TxHash(c.txSX))}
	if r.Level != screen.LevelMedium || !slices.Equal(got, want) {
		t.Errorf("level %s, exposure\n%s\nwant level medium, exposure\n%s", r.Level, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// resultsJSON is the results array of a JSON document, as written.
func resultsJSON(t testing.TB, stdout string) string {
	t.Helper()
	var doc struct{ Results json.RawMessage }
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.Results == nil {
		t.Fatalf("no results in %q (%v)", stdout, err)
	}
	return string(doc.Results)
}

// countedRPC is the emulated provider that also counts the eth_getLogs it
// answered per address (the sender or receiver topic), and cuts in half
// the answers cut says so of, as a proxy dropping the connection does.
type countedRPC struct {
	*emulate.RPC
	url  string
	mu   sync.Mutex
	logs map[common.Address]int64
	cut  func(method string, a common.Address) bool
}

func startCountedRPC(t testing.TB, ds *emulate.Dataset, b emulate.Behaviour) *countedRPC {
	t.Helper()
	p := &countedRPC{RPC: emulate.NewRPC(ds, b), logs: map[common.Address]int64{}}
	srv, err := emulate.Serve(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	p.url = srv.URL
	return p
}

func (p *countedRPC) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	type call struct {
		Method string
		Params []struct{ Topics []*common.Hash }
	}
	var calls []call
	if json.Unmarshal(body, &calls) != nil {
		calls = make([]call, 1)
		json.Unmarshal(body, &calls[0])
	}
	rec := httptest.NewRecorder()
	p.RPC.ServeHTTP(rec, req)
	p.mu.Lock()
	cut := false
	for _, c := range calls {
		var a common.Address
		if c.Method == "eth_getLogs" && len(c.Params) == 1 && len(c.Params[0].Topics) > 1 {
			if h := cmp.Or(c.Params[0].Topics[1:]...); h != nil {
				a = common.BytesToAddress(h[12:])
			}
			if rec.Code == http.StatusOK {
				p.logs[a]++
			}
		}
		cut = cut || (p.cut != nil && rec.Code == http.StatusOK && p.cut(c.Method, a))
	}
	p.mu.Unlock()
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	out := rec.Body.Bytes()
	if cut {
		out = out[:len(out)/2]
	}
	w.Write(out)
}

// rpcUsage is what the provider has served: HTTP requests (refused ones
// included), calls by method, eth_getLogs by address.
type rpcUsage struct {
	requests int64
	methods  map[string]int64
	logs     map[common.Address]int64
}

func (p *countedRPC) usage() rpcUsage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return rpcUsage{requests: p.Requests(), methods: p.Counts(), logs: maps.Clone(p.logs)}
}

// since is what was served after u.
func (p *countedRPC) since(u rpcUsage) rpcUsage {
	now := p.usage()
	return rpcUsage{requests: now.requests - u.requests, methods: countsSince(now.methods, u.methods), logs: countsSince(now.logs, u.logs)}
}

// countsSince is now − before, without the zeros.
func countsSince[K string | common.Address](now, before map[K]int64) map[K]int64 {
	d := map[K]int64{}
	for k, v := range now {
		if v -= before[k]; v != 0 {
			d[k] = v
		}
	}
	return d
}

// flags point the screen command at the provider, unthrottled, from
// screenSince.
func (p *countedRPC) flags(more ...string) []string {
	return append([]string{"--rpc", p.url, "--rpc-rate", "0", "--since", screenSince}, more...)
}

// cold screens D on a new database, checks the result and that only D and
// X were fetched, one eth_getLogs per side each: not S (a hit), not the
// deposit address (labeled) nor anyone else.
// logs is how many eth_getLogs each of D and X costs: 2 (its outflows and
// inflows) when the window fits in the first probe window, else 4 (the
// first window, then the rest).
func (c *screenCase) cold(t testing.TB, p *countedRPC, logs int64) (db, stdout string, u rpcUsage) {
	t.Helper()
	db = c.db(t)
	before := p.usage()
	code, stdout, stderr := c.screen(t, db, p.flags()...)
	if code != 0 {
		t.Fatalf("cold screen: exit %d: %s", code, stderr)
	}
	c.check(t, stdout)
	u = p.since(before)
	if want := map[common.Address]int64{c.d: logs, c.x: logs}; !maps.Equal(u.logs, want) {
		t.Errorf("eth_getLogs by address %v, want %d for D %s and for X %s only", u.logs, logs, c.d, c.x)
	}
	return db, stdout, u
}

// TestScreenLive screens D through an emulated Infura (10,000 results per
// eth_getLogs) at block heights above 20,000,000: cold, warm, offline,
// and cold again on a chain ten times as long with 20 times the transfers.
func TestScreenLive(t *testing.T) {
	c := newScreenCase(t, emulate.Options{HotInflows: 200, Users: 40})
	p := startCountedRPC(t, c.ds, emulate.Behaviour{Logs: emulate.Infura})
	db, cold, u := c.cold(t, p, 2)
	// The chain id, the head, USDT's symbol and decimals (one batch of two
	// eth_call) and its code check, two eth_getLogs each for D and X, and
	// a batch of headers each (X's blocks not already fetched for D): one
	// per block holding a transfer of D or X.
	blocks := map[uint64]bool{}
	for _, a := range []common.Address{c.d, c.x} {
		for _, tr := range c.ds.TransfersOf(emulate.ChainAddress(a), 0, c.ds.Head) {
			blocks[tr.Block] = true
		}
	}
	want := map[string]int64{"eth_chainId": 1, "eth_blockNumber": 1, "eth_call": 2, "eth_getCode": 1, "eth_getLogs": 4, "eth_getBlockByNumber": int64(len(blocks))}
	if !maps.Equal(u.methods, want) || u.requests != 9 {
		t.Errorf("cold: %d requests %v, want 9: %v", u.requests, u.methods, want)
	}
	t.Logf("cold: %d requests %v; %d transfers on the chain, %d of them the hot wallet's", u.requests, u.methods,
		len(c.ds.Transfers), len(c.ds.TransfersOf(emulate.ChainAddress(c.ds.HotWallet), 0, c.ds.Head)))

	var warm string
	t.Run("Warm", func(t *testing.T) {
		// The head fetched by the cold run is stored for --head-ttl (10
		// minutes): the warm run asks nothing, not even the head.
		before := p.usage()
		code, out, stderr := c.screen(t, db, p.flags()...)
		if u := p.since(before); code != 0 || u.requests != 0 {
			t.Fatalf("warm: exit %d, %d requests %v, want 0 (%s)", code, u.requests, u.methods, stderr)
		}
		warm = out
		if got, want := resultsJSON(t, out), resultsJSON(t, cold); got != want {
			t.Errorf("warm results differ:\n%s", firstDiff([]byte(got), []byte(want)))
		}
		if out != cold {
			t.Errorf("warm output differs from the cold run's (whose provenance was read before it fetched):\n%s", firstDiff([]byte(out), []byte(cold)))
		}
	})
	t.Run("Offline", func(t *testing.T) {
		if warm == "" {
			t.Skip("no warm run to compare with")
		}
		before := p.usage()
		code, out, stderr := c.screen(t, db, "--offline", "--since", screenSince)
		if u := p.since(before); code != 0 || u.requests != 0 {
			t.Errorf("offline: exit %d, %d requests, want 0 (%s)", code, u.requests, stderr)
		}
		if out != warm {
			t.Errorf("offline output differs from the warm run's:\n%s", firstDiff([]byte(out), []byte(warm)))
		}
	})
	t.Run("LongerBusierChain", func(t *testing.T) {
		if testing.Short() {
			t.Skip("generates a 400,000-block case")
		}
		long := newScreenCase(t, emulate.Options{Span: 400_000})
		if long.s != c.s || long.x != c.x || long.d != c.d || long.txXD != c.txXD || long.txSX != c.txSX {
			t.Fatal("the longer chain holds another path")
		}
		// The window (400,000 blocks) is longer than the first probe
		// window (eight days): each address costs its first window and then
		// the rest, two eth_getLogs more than on the short chain, however
		// long the chain; nothing else changes.
		_, _, lu := long.cold(t, startCountedRPC(t, long.ds, emulate.Behaviour{Logs: emulate.Infura}), 4)
		t.Logf("cold on %d blocks and %d transfers: %d requests %v", long.ds.Head-emulate.BaseBlock, len(long.ds.Transfers), lu.requests, lu.methods)
		want := maps.Clone(u.methods)
		want["eth_getLogs"] += 4
		if lu.requests != u.requests+4 || !maps.Equal(lu.methods, want) {
			t.Errorf("%d requests %v, want the shorter chain's plus two eth_getLogs for each of D and X: %d %v", lu.requests, lu.methods, u.requests+4, want)
		}
	})
}

// TestScreenLiveNeedsSince: with a live source and no --since, screen is a
// usage error naming --since, and asks the provider nothing.
func TestScreenLiveNeedsSince(t *testing.T) {
	c := newScreenCase(t, emulate.Options{HotInflows: 200, Users: 40})
	p := startCountedRPC(t, c.ds, emulate.Behaviour{Logs: emulate.Infura})
	code, stdout, stderr := c.screen(t, c.db(t), "--rpc", p.url)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != exitUsage || !strings.Contains(lines[0], "--since") || len(lines) > 2 || (len(lines) == 2 && !strings.HasPrefix(lines[1], "Try: ")) {
		t.Errorf("exit %d, stderr %q; want exit 2, one line naming --since (and a Try: hint)", code, stderr)
	}
	if stdout != "" || p.Requests() != 0 {
		t.Errorf("stdout %q, %d requests; want nothing", stdout, p.Requests())
	}
}

// TestScreenLiveFaults: 429s and answers cut short are retried to the
// clean result; with no retries the run ends with one line and exit 1, and
// a re-run gives the clean result, fetching only what was not stored.
func TestScreenLiveFaults(t *testing.T) {
	c := newScreenCase(t, emulate.Options{HotInflows: 200, Users: 40})
	_, clean, _ := c.cold(t, startCountedRPC(t, c.ds, emulate.Behaviour{Logs: emulate.Infura}), 2)
	// nth cuts the nth eth_getLogs about X (its outflows, then its inflows).
	nth := func(n int) func(string, common.Address) bool {
		return func(m string, a common.Address) bool {
			if m == "eth_getLogs" && a == c.x {
				n--
				return n == 0
			}
			return false
		}
	}
	for _, tc := range []struct {
		name string
		// limit: four requests a second, a burst of four, on a clock
		// moving step at every request, so that which requests get 429
		// (Retry-After: 1) does not depend on the machine.
		limit   bool
		step    time.Duration
		cut     func(string, common.Address) bool
		fail    bool                     // with --rpc-retries 0
		logs    map[common.Address]int64 // eth_getLogs by address of the (re-)run that succeeds
		reqs    int64                    // its requests (0: not checked)
		refused int64                    // 429s in all
	}{
		// Half a token a request: two requests are refused once each and
		// retried (11 answered: the clean run's 9 and the two retries).
		{name: "429Retried", limit: true, step: 125 * time.Millisecond, logs: map[common.Address]int64{c.d: 2, c.x: 2}, reqs: 11, refused: 2},
		// A stopped clock: the 5th request (D's headers) is refused, so
		// nothing of D was stored and the re-run fetches D and X.
		{name: "429Fails", limit: true, fail: true, logs: map[common.Address]int64{c.d: 2, c.x: 2}, refused: 1},
		{name: "TruncatedRetried", cut: nth(1), logs: map[common.Address]int64{c.d: 2, c.x: 3}, reqs: 10},
		// X's inflows cut short after its outflows came whole: D was
		// stored with its coverage, none of X's half was.
		{name: "TruncatedFails", cut: nth(2), fail: true, logs: map[common.Address]int64{c.x: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var step, elapsed atomic.Int64 // the clock's, in nanoseconds
			step.Store(int64(tc.step))
			b := emulate.Behaviour{Logs: emulate.Infura}
			if tc.limit {
				b.Rate, b.Now = 4, func() time.Time { return time.Unix(emulate.BaseTime, elapsed.Add(step.Load())) }
			}
			p := startCountedRPC(t, c.ds, b)
			p.cut = tc.cut
			db := c.db(t)
			if tc.fail {
				code, _, stderr := c.screen(t, db, p.flags("--rpc-retries", "0")...)
				if lines := strings.Split(strings.TrimSpace(stderr), "\n"); code != exitInternal || len(lines) != 1 {
					t.Errorf("exit %d, stderr %q; want exit 1 and one line", code, stderr)
				}
				t.Logf("failed run (%d requests, %d refused): %s", p.Requests(), p.Limited(), strings.TrimSpace(stderr))
				step.Store(int64(time.Second)) // four new tokens a request: the storm is over
			}
			before := p.usage()
			code, out, stderr := c.screen(t, db, p.flags()...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got, want := resultsJSON(t, out), resultsJSON(t, clean); got != want {
				t.Errorf("results differ from the clean run's:\n%s", firstDiff([]byte(got), []byte(want)))
			}
			u := p.since(before)
			t.Logf("%d requests, eth_getLogs by address %v; %d refused in all", u.requests, u.logs, p.Limited())
			if !maps.Equal(u.logs, tc.logs) || (tc.reqs > 0 && u.requests != tc.reqs) || p.Limited() != tc.refused {
				t.Errorf("%d requests, eth_getLogs by address %v, %d refused; want %d, %v, %d (D %s, X %s)",
					u.requests, u.logs, p.Limited(), tc.reqs, tc.logs, tc.refused, c.d, c.x)
			}
		})
	}
}
