package main

import (
	"testing"
	"time"
)

// BenchmarkLiveProviders traces the emulated mainnet case (31,000 USDT
// transfers above block 20,000,000, about 280 addresses reached) cold
// through each emulated provider and reports, per behaviour: requests,
// requests per visited address, the case's lower bound (see lowerBound)
// and the ratio to it, the warm re-run's requests (0), the wall time of
// the cold and warm runs with the node unthrottled and the explorer at
// its free tier's 3 requests/s, and the time the node's requests take at
// the CLI's default 10 requests/s (requests / 10, or the wall time when
// longer).
func BenchmarkLiveProviders(b *testing.B) {
	c := newLiveCase(b)
	_, offline := c.trace(b, c.imported(b), "--offline")
	n := visited(b, offline)
	for _, be := range liveBehaviours {
		b.Run(be.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				start := time.Now()
				r := runLive(b, c, be, 3)
				wall := time.Since(start)
				total := r.rpcReq + r.explReq
				lb := lowerBound(b, c, be, offline)
				b.ReportMetric(float64(total), "requests")
				b.ReportMetric(float64(total)/float64(n), "req/address")
				b.ReportMetric(float64(lb), "lower-bound")
				b.ReportMetric(float64(total)/float64(lb), "x-lower-bound")
				b.ReportMetric(float64(r.warmReq), "warm-requests")
				b.ReportMetric(wall.Seconds(), "cold+warm-s")
				b.ReportMetric(max(wall.Seconds(), float64(r.rpcReq)/10), "s-at-10/s")
				b.ReportMetric(float64(n), "addresses")
			}
		})
	}
}
