package main

import (
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/tron"
	"freezetrace/trace"
)

// parseTrace reads args (without the program and command names) as the
// trace command's flags, with env as the environment.
func parseTrace(t *testing.T, env map[string]string, args ...string) (traceOptions, error) {
	t.Helper()
	var got traceOptions
	var perr error
	cmd := traceCommand()
	cmd.Action = func(c *cli.Context) error {
		got, perr = parseTraceFlags(c, func(k string) string { return env[k] })
		return nil
	}
	app := &cli.App{Name: "freezetrace", Writer: io.Discard, ErrWriter: io.Discard, Commands: []*cli.Command{cmd}}
	if err := app.Run(append([]string{"freezetrace", "trace"}, args...)); err != nil {
		return got, err
	}
	return got, perr
}

// TestParseTraceFlagsIsData: parsing names the upstream and opens nothing,
// so a URL no client could use is only an error once the action opens it.
func TestParseTraceFlagsIsData(t *testing.T) {
	tx := "0x" + strings.Repeat("01", 32)
	bad := "ws://node.example/v3/0123456789abcdef"
	t.Run("RPC", func(t *testing.T) {
		o, err := parseTrace(t, nil, "--db", "x.db", "--victim-tx", tx, "--rpc", bad, "--rpc-rate", "2")
		if err != nil {
			t.Fatal(err)
		}
		if o.Upstream.RPC.URL != bad || o.Upstream.RPC.Rate != 2 || o.Upstream.Explorer.Rate != 3 {
			t.Errorf("got %+v", o.Upstream)
		}
		_, err = openUpstream(context.Background(), o.Chain, o.Upstream)
		var ie *chains.InputError
		if !errors.As(err, &ie) {
			t.Errorf("open: got %v, want an input error", err)
		}
	})
	t.Run("Env", func(t *testing.T) {
		env := map[string]string{"FREEZETRACE_RPC_BSC": "http://127.0.0.1:1", "ETHERSCAN_API_KEY": "k"}
		o, err := parseTrace(t, env, "--db", "x.db", "--chain", "bsc", "--asset", "native", "--victim-tx", tx)
		if err != nil {
			t.Fatal(err)
		}
		if o.Upstream.RPC.URL != "http://127.0.0.1:1" || o.Upstream.Explorer.Key != "k" {
			t.Errorf("got %+v", o.Upstream)
		}
	})
	t.Run("Offline", func(t *testing.T) {
		env := map[string]string{"FREEZETRACE_RPC_ETHEREUM": "http://127.0.0.1:1", "ETHERSCAN_API_KEY": "k"}
		o, err := parseTrace(t, env, "--db", "x.db", "--offline", "--victim-tx", tx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(o.Upstream, upstreamOptions{}) {
			t.Errorf("offline: got %+v, want no upstream", o.Upstream)
		}
	})
	t.Run("TronGrid", func(t *testing.T) {
		env := map[string]string{"FREEZETRACE_TRONGRID_URL": "http://127.0.0.1:1", "FREEZETRACE_TRONGRID_KEY": "k", "FREEZETRACE_TRONGRID_RATE": "2"}
		o, err := parseTrace(t, env, "--db", "x.db", "--chain", "tron", "--victim-tx", tx)
		if err != nil {
			t.Fatal(err)
		}
		if g := o.Upstream.TronGrid; g.BaseURL != "http://127.0.0.1:1" || g.APIKey != "k" || g.RateLimit != 2 {
			t.Errorf("got %+v", g)
		}
	})
}

func TestOpenUpstream(t *testing.T) {
	ctx := context.Background()
	t.Run("None", func(t *testing.T) {
		for _, c := range []chains.Chain{chains.Ethereum, chains.Tron} {
			up, err := openUpstream(ctx, c, upstreamOptions{})
			if err != nil || up.src != nil || len(up.opened) != 0 {
				t.Fatalf("%s: got %+v, %v; want no source", c, up, err)
			}
			up.Close()
		}
	})
	t.Run("NodeIsClosed", func(t *testing.T) {
		up, err := openUpstream(ctx, chains.Ethereum, upstreamOptions{RPC: rpcOptions{URL: "http://127.0.0.1:1", Concurrency: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if up.src == nil || up.evm == nil || len(up.opened) != 1 || up.opened[0] != any(up.evm) {
			t.Fatalf("got %+v, want the node as source, opened", up)
		}
		up.Close()
		if up.opened != nil {
			t.Error("Close left sources to close")
		}
	})
	t.Run("TronGrid", func(t *testing.T) {
		up, err := openUpstream(ctx, chains.Tron, upstreamOptions{TronGrid: tron.Options{BaseURL: "http://127.0.0.1:1"}})
		if err != nil {
			t.Fatal(err)
		}
		if up.src == nil || up.roles == "" || len(up.counters) != 1 {
			t.Fatalf("got %+v", up)
		}
		up.Close()
	})
}

// closer counts what it was closed as.
type closer struct {
	name string
	log  *[]string
}

func (c closer) Close() { *c.log = append(*c.log, c.name) }

type errCloser struct {
	name string
	log  *[]string
}

func (c errCloser) Close() error { *c.log = append(*c.log, c.name); return nil }

func TestUpstreamCloseClosesEverySource(t *testing.T) {
	var log []string
	up := &upstream{opened: []any{closer{"node", &log}, "no Close method", errCloser{"explorer", &log}}}
	up.Close()
	up.Close()
	if want := []string{"explorer", "node"}; !slices.Equal(log, want) {
		t.Errorf("closed %v, want %v, each once", log, want)
	}
}

func TestProvenanceOf(t *testing.T) {
	at := time.Date(2024, 6, 1, 2, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	stored := []chains.Provenance{
		{Chain: chains.Ethereum, Source: "file import", Block: 0, Retrieved: at, Detail: "tokens.csv"},
		{Chain: chains.Ethereum, Source: "rpc http://127.0.0.1:8545", Block: 130, Retrieved: at},
		{Chain: chains.Tron, Source: "file import", Block: 9, Retrieved: at},
	}
	flows := []trace.Flow{{Block: 104}, {Block: 127}, {Block: 110}}
	for _, tc := range []struct {
		name  string
		chain chains.Chain
		flows []trace.Flow
		want  []chains.Provenance
	}{
		{"OK", chains.Ethereum, flows, []chains.Provenance{
			{Chain: chains.Ethereum, Source: "file import", Block: 127, Retrieved: at.UTC(), Detail: "tokens.csv"},
			{Chain: chains.Ethereum, Source: "rpc http://127.0.0.1:8545", Block: 130, Retrieved: at.UTC()},
		}},
		{"NoFlows", chains.Ethereum, nil, []chains.Provenance{
			{Chain: chains.Ethereum, Source: "file import", Block: 0, Retrieved: at.UTC(), Detail: "tokens.csv"},
			{Chain: chains.Ethereum, Source: "rpc http://127.0.0.1:8545", Block: 130, Retrieved: at.UTC()},
		}},
		{"OtherChainOnly", chains.Tron, flows, []chains.Provenance{{Chain: chains.Tron, Source: "file import", Block: 9, Retrieved: at.UTC()}}},
		{"NoneStored", chains.BSC, flows, []chains.Provenance{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := provenanceOf(stored, tc.chain, tc.flows)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if stored[0].Block != 0 || stored[0].Retrieved != at {
		t.Error("provenanceOf changed the stored entries")
	}
}
