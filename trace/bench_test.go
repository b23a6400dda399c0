package trace_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/trace"
)

// bigGraph generates n transfers among n/10 addresses, ten per block, each
// sender spending at most what it holds (addresses with nothing are funded
// by one of a few clean funders), and one victim payment at the start.
func bigGraph(n int) (*mem.Source, chains.Transfer) {
	rng := rand.New(rand.NewPCG(1, 2))
	nAddr := n / 10
	bal := make([]uint64, nAddr)
	ts := make([]chains.Transfer, 0, n)
	pay := xfer(1, addr(1<<30), addr(0), 5_000_000)
	ts = append(ts, pay)
	bal[0] = 5_000_000
	for i := 1; i < n; i++ {
		b := uint64(2 + i/10)
		from, to := rng.IntN(nAddr), rng.IntN(nAddr)
		if to == from {
			to = (to + 1) % nAddr
		}
		t := chains.Transfer{Chain: chains.Ethereum, Tx: txh(uint64(i)), Position: uint32(i % 10), Block: b,
			Time: epoch0.Add(dur(b)), To: addr(uint32(to)), Asset: token}
		if bal[from] == 0 {
			t.From = addr(1<<29 + uint32(rng.IntN(8)))
			t.Amount = chains.NewAmount(1 + rng.Uint64N(1_000_000))
		} else {
			t.From = addr(uint32(from))
			v := 1 + rng.Uint64N(bal[from])
			bal[from] -= v
			t.Amount = chains.NewAmount(v)
		}
		bal[to] += t.Amount.Big().Uint64()
		ts = append(ts, t)
	}
	src := newSource(ts...)
	src.Len()
	// Build the index outside the timed part.
	if _, err := src.Transfers(context.Background(), chains.Query{Chain: chains.Ethereum, Asset: token, Address: addr(0), To: chains.Latest}); err != nil {
		panic(err)
	}
	return src, pay
}

// peakHeap samples the heap in use until stop is closed and returns its peak.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// BenchmarkTraceMillion traces one victim payment for 10 hops through a
// generated source of 1,000,000 transfers and reports the peak heap in use
// (including the source itself, reported alone as source-heap-MiB) and the
// size of the trace.
func BenchmarkTraceMillion(b *testing.B) {
	src, pay := bigGraph(1_000_000)
	runtime.GC()
	base := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(base)
	for _, rule := range []trace.Rule{trace.FIFO, trace.Haircut, trace.Poison} {
		b.Run(string(rule), func(b *testing.B) {
			var r *trace.Result
			stop := make(chan struct{})
			var once sync.Once
			peak := peakHeap(stop)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var err error
				r, err = trace.Run(context.Background(), src, nil, txCase(pay), trace.Options{Rule: rule, MaxHops: 10})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			once.Do(func() { close(stop) })
			b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(base[0].Value.Uint64())/(1<<20), "source-heap-MiB")
			b.ReportMetric(float64(len(r.Flows)), "flows")
			b.ReportMetric(float64(len(r.Ledger)), "steps")
			b.ReportMetric(float64(src.Len()), "transfers")
		})
	}
}
