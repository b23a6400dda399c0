package trace_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/trace"
)

// BenchmarkTraceMillionStore is BenchmarkTraceMillion over a SQLite store
// holding the same 1,000,000 generated transfers (loaded before the timer),
// read offline as the CLI reads it.
func BenchmarkTraceMillionStore(b *testing.B) {
	ctx := context.Background()
	mem, pay := bigGraph(1_000_000)
	all := make([]chains.Transfer, 0, mem.Len())
	seen := map[chains.TransferKey]bool{}
	for i := 0; i < 100_000; i++ {
		// every generated transfer pays one of these 100,000 addresses
		ts, err := mem.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: addr(uint32(i)), Asset: token, To: chains.Latest})
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range ts {
			if !seen[t.Key()] {
				seen[t.Key()] = true
				all = append(all, t)
			}
		}
	}
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	batch, err := db.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer batch.Rollback()
	if err := batch.BulkLoad(ctx); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(all); i += 10_000 {
		if _, err := batch.PutTransfers(ctx, all[i:min(i+10_000, len(all))]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := batch.PutAssets(ctx, []chains.Asset{{ID: token, Symbol: "TOK", Decimals: 2}}); err != nil {
		b.Fatal(err)
	}
	if err := batch.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	loaded := len(all)
	all, seen, mem = nil, nil, nil
	runtime.GC()
	src := db.Source()
	for _, rule := range []trace.Rule{trace.FIFO, trace.Haircut} {
		b.Run(string(rule), func(b *testing.B) {
			stop := make(chan struct{})
			peak := peakHeap(stop)
			var r *trace.Result
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if r, err = trace.Run(ctx, src, nil, txCase(pay), trace.Options{Rule: rule, MaxHops: 10}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			close(stop)
			b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(len(r.Flows)), "flows")
			b.ReportMetric(float64(len(r.Ledger)), "steps")
			b.ReportMetric(float64(loaded), "transfers")
		})
	}
}
