package evm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/chains/store"
	"freezetrace/internal/sourcetest"
)

// cutOff lets the first left history calls (eth_getLogs, call traces)
// through to the node and answers every later one with a JSON-RPC error,
// as a provider that gives up part way through a long history does.
type cutOff struct{ left atomic.Int64 }

func (c *cutOff) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	history := bytes.Contains(body, []byte(`"eth_getLogs"`)) || bytes.Contains(body, []byte(`"debug_trace`)) || bytes.Contains(body, []byte(`"trace_`))
	if !history || c.left.Add(-1) >= 0 {
		fwd := req.Clone(req.Context())
		fwd.Body, fwd.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		return http.DefaultTransport.RoundTrip(fwd)
	}
	type call struct {
		ID json.RawMessage `json:"id"`
	}
	var calls []call
	batch := bytes.HasPrefix(bytes.TrimSpace(body), []byte("["))
	if batch {
		err = json.Unmarshal(body, &calls)
	} else {
		calls = make([]call, 1)
		err = json.Unmarshal(body, &calls[0])
	}
	if err != nil {
		return nil, err
	}
	var answers []map[string]any
	for _, c := range calls {
		answers = append(answers, map[string]any{"jsonrpc": "2.0", "id": c.ID, "error": map[string]any{"code": -32000, "message": "upstream cut off"}})
	}
	if batch {
		return rpcResponse(req, answers)
	}
	return rpcResponse(req, answers[0])
}

// broken dials the node through a cutOff letting two history calls
// through, with windows small enough that one history needs several.
func broken(t *testing.T, url string) *evm.Source {
	cut := &cutOff{}
	cut.left.Store(2)
	return dial(t, url, evm.Options{HTTPBase: cut, MaxRange: 40})
}

func TestConformance(t *testing.T) {
	c, p := playedChain(t)
	var tokens []chains.Asset
	for _, n := range slices.Sorted(mapKeys(p.Tokens)) {
		tokens = append(tokens, p.Tokens[n])
	}
	native := func(a chains.AssetID) bool { return a.IsNative() }
	actor := p.Actors["victim-alice"]
	unsupported := []sourcetest.Question{
		{Name: "TransfersOnAnotherChain", Ask: func(ctx context.Context, src chains.Source) error {
			_, err := src.Transfers(ctx, chains.Query{Chain: chains.BSC, Address: actor, Asset: chains.NativeAsset(chains.BSC), To: chains.Latest})
			return err
		}},
		{Name: "IsContractOnAnotherChain", Ask: func(ctx context.Context, src chains.Source) error {
			_, err := src.IsContract(ctx, chains.BSC, actor)
			return err
		}},
	}
	// Every native history traces every block, so the checks ask about a
	// few actors: same-block token transfers (collect-1), a zero-value
	// one (collect-2), internal ether in (hop-c, deposit-x) and a payment
	// that a contract splits (scam-eth).
	var asked []chains.Address
	for _, n := range []string{"collect-1", "collect-2", "deposit-x", "hop-c", "scam-eth"} {
		asked = append(asked, p.Actors[n])
	}
	h := sourcetest.Harness{
		Chain: chains.Ethereum, Truth: p.Transfers, Assets: tokens, Head: p.Head, Addresses: asked, Workers: 4,
		New:          func(t *testing.T) chains.Source { return dial(t, c.URL, evm.Options{}) },
		Broken:       func(t *testing.T) chains.Source { return broken(t, c.URL) },
		NoPairFilter: native,
		Unsupported: append(slices.Clone(unsupported), sourcetest.Question{Name: "NativeTransfersBetween", Ask: func(ctx context.Context, src chains.Source) error {
			_, err := src.(chains.PairFinder).TransfersBetween(ctx, chains.PairQuery{Chain: chains.Ethereum, Asset: chains.NativeAsset(chains.Ethereum),
				From: actor, To: p.Actors["collect-1"], ToBlock: chains.Latest})
			return err
		}}),
		Capabilities: []string{"BlockFinder", "BlockHasher", "HeadReader", "PairFinder", "Requester"},
	}
	t.Run("RPC", func(t *testing.T) { sourcetest.Run(t, h) })

	// The store in front of the node: heads, block hashes and pair
	// filters from a real upstream.
	cache := func(t *testing.T, up chains.Source) chains.Source {
		db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ft.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return store.NewSource(db, up, store.Options{Name: "rpc", MaxRange: 100})
	}
	h.New = func(t *testing.T) chains.Source { return cache(t, dial(t, c.URL, evm.Options{})) }
	h.Broken = func(t *testing.T) chains.Source { return cache(t, broken(t, c.URL)) }
	h.Unsupported = unsupported
	h.Capabilities = []string{"BlockFinder", "Pager", "PairFinder", "PeerCounter", "Totaler"}
	h.NoPairFilter = nil
	t.Run("Cached", func(t *testing.T) { sourcetest.Run(t, h) })
}
