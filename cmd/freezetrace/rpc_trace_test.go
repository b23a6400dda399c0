package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/fixtures"
	"freezetrace/internal/devchain"
	"freezetrace/trace"
)

// TestTraceOverRPC runs the trace command's function against the dev chain
// playing the fixture, with the store fetching over JSON-RPC, twice: both
// runs write the same trace.json, and the second asks the node next to
// nothing (only what the store does not cache: the head).
func TestTraceOverRPC(t *testing.T) {
	fx, err := fixtures.Load("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := devchain.FromFixture(fx)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, p, err := devchain.Run(ctx, devchain.Config{RangeLimit: 50}, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	asset, victims, deposits := fx.CaseAddresses()
	var outputs [2][]byte
	var requests [2]int64
	// The summary's count of the requests sent to the node.
	requestsLine := regexp.MustCompile(`(?m)^(\d+) requests to rpc http://127\.0\.0\.1:\d+\.$`)
	for i := range outputs {
		o := traceOptions{
			DB: filepath.Join(dir, "case.db"), Chain: chains.Ethereum,
			Case:  trace.Case{Chain: chains.Ethereum, Asset: asset, Victims: victims, Deposits: deposits},
			Trace: trace.Options{Rule: trace.FIFO}, Out: filepath.Join(dir, "out"),
			Upstream: upstreamOptions{RPC: rpcOptions{URL: c.URL, Concurrency: 4, Retries: 5, MaxRange: 2000, NoBalances: true}},
		}
		var w, stderr bytes.Buffer
		if err := runTrace(ctx, o, &w, &stderr); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		m := requestsLine.FindStringSubmatch(w.String())
		if m == nil {
			t.Fatalf("run %d: no request count in the summary:\n%s", i+1, w.String())
		}
		if requests[i], err = strconv.ParseInt(m[1], 10, 64); err != nil {
			t.Fatal(err)
		}
		if outputs[i], err = os.ReadFile(filepath.Join(dir, "out", "trace.json")); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(w.String(), "wrote ") {
			t.Errorf("run %d printed %q", i+1, w.String())
		}
		if stderr.Len() != 0 {
			t.Errorf("run %d wrote %q on stderr, which is no terminal", i+1, stderr.String())
		}
	}
	// Everything but the provenance must be the same.
	if a, b := withoutProvenance(t, outputs[0]), withoutProvenance(t, outputs[1]); !bytes.Equal(a, b) {
		t.Error("the warm run wrote another trace.json")
	}
	for _, h := range p.VictimTxs {
		if !bytes.Contains(outputs[0], []byte(h.String())) {
			t.Errorf("victim payment %s not in trace.json", h)
		}
	}
	if requests[0] == 0 || requests[1] > 2 {
		t.Errorf("cold run %d requests, warm run %d: want some, then at most the head and chain id", requests[0], requests[1])
	}
	t.Logf("trace command over RPC: cold %d requests, warm %d", requests[0], requests[1])
}

func withoutProvenance(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "provenance")
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
