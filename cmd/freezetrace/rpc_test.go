package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/evm"
)

func TestRPCURL(t *testing.T) {
	env := map[string]string{"FREEZETRACE_RPC_ETHEREUM": "https://eth.example/key"}
	getenv := func(k string) string { return env[k] }
	for _, c := range []struct {
		flag  string
		chain chains.Chain
		want  string
	}{
		{"", chains.Ethereum, "https://eth.example/key"},
		{"http://127.0.0.1:8545", chains.Ethereum, "http://127.0.0.1:8545"},
		{"", chains.BSC, ""},
	} {
		if got := rpcURL(c.flag, c.chain, getenv); got != c.want {
			t.Errorf("rpcURL(%q, %s) = %q, want %q", c.flag, c.chain, got, c.want)
		}
	}
}

func TestOpenRPC(t *testing.T) {
	t.Run("NoURL", func(t *testing.T) {
		src, err := openRPC(context.Background(), chains.Ethereum, rpcOptions{})
		if src != nil || err != nil {
			t.Fatalf("got %v %v, want no source and no error", src, err)
		}
	})
	t.Run("BadURLIsInputErrorWithoutSecret", func(t *testing.T) {
		_, err := openRPC(context.Background(), chains.Ethereum, rpcOptions{URL: "ws://node.example/v3/0123456789abcdef0123456789abcdef", MaxRange: 10})
		var ie *chains.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("got %v, want an input error", err)
		}
		if strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("secret in %q", err)
		}
	})
}

func TestProgressLine(t *testing.T) {
	got := progressLine(evm.Stats{Requests: 50, Retries: 2, Queries: 3, Blocks: 1200}, 10*time.Second)
	want := "rpc: 3 histories, 1200 blocks covered, 50 requests (5.0/s), 2 retried"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestParseRPCFlags reads the flags through a command that declares them.
func TestParseRPCFlags(t *testing.T) {
	parse := func(args ...string) (rpcOptions, error) {
		var got rpcOptions
		var perr error
		app := &cli.App{Name: "x", Writer: io.Discard, ErrWriter: io.Discard, Flags: rpcFlags(), Action: func(c *cli.Context) error {
			got, perr = parseRPCFlags(c, chains.Ethereum, os.Getenv)
			return nil
		}}
		if err := app.Run(append([]string{"x"}, args...)); err != nil {
			return got, err
		}
		return got, perr
	}
	t.Setenv("FREEZETRACE_RPC_ETHEREUM", "https://from.env/key")
	o, err := parse("--rpc-rate", "3", "--rpc-max-range", "500", "--rpc-no-balances")
	if err != nil || o.URL != "https://from.env/key" || o.Rate != 3 || o.MaxRange != 500 || !o.NoBalances || o.Concurrency != 4 || o.Retries != 5 {
		t.Errorf("got %+v %v", o, err)
	}
	if o, err := parse(); err != nil || o.MaxRange != 0 {
		t.Errorf("default --rpc-max-range: got %d, %v; want 0 (as wide as the provider accepts)", o.MaxRange, err)
	}
	for _, bad := range [][]string{{"--rpc-rate", "-1"}, {"--rpc-concurrency", "0"}, {"--rpc-retries", "-2"}, {"--wrapper", "0x1234"}} {
		_, err := parse(bad...)
		var ie *chains.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%v: got %v, want an input error", bad, err)
		}
	}
	if o, err := parse(); err != nil || o.Wrappers != nil {
		t.Errorf("no --wrapper: got %v, %v; want nil (the chain's known wrappers)", o.Wrappers, err)
	}
	weth := "0x4200000000000000000000000000000000000006"
	if o, err := parse("--wrapper", weth); err != nil || len(o.Wrappers) != 1 || !strings.EqualFold(o.Wrappers[0].String(), weth) {
		t.Errorf("--wrapper %s: got %v, %v", weth, o.Wrappers, err)
	}
	if _, err := parse("--wrapper", "0x1234"); err == nil || !strings.Contains(err.Error(), `--wrapper "0x1234"`) {
		t.Errorf("a bad --wrapper: %v, want it named", err)
	}
}

func TestProgressOffWithoutTerminal(t *testing.T) {
	src, err := openRPC(context.Background(), chains.Ethereum, rpcOptions{URL: "http://127.0.0.1:1", MaxRange: 1, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var b strings.Builder
	stop := rpcProgress(context.Background(), src, &b)
	stop()
	if b.Len() != 0 {
		t.Errorf("progress written to a non-terminal: %q", b.String())
	}
}
