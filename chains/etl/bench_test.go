package etl

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
)

// genTokenTransfers produces n token_transfers.csv rows on the fly:
// 20 tokens, 50,000 addresses, 200 rows per block, pseudo-random hashes.
type genTokenTransfers struct {
	n, i int
	buf  []byte
}

func (g *genTokenTransfers) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i <= g.n {
		if g.i == 0 {
			g.buf = append(g.buf, "token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n"...)
		} else {
			k := uint64(g.i) * 0x9E3779B97F4A7C15
			g.buf = fmt.Appendf(g.buf, "0x%040x,0x%040x,0x%040x,%d,0x%016x%016x%016x%016x,%d,%d\n",
				k%20+1, (k>>8)%50000+1000, (k>>24)%50000+1000, k%1_000_000_000_000, k, k^0xabc, uint64(g.i), k>>3, g.i%200, 15_000_000+g.i/200)
		}
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

// BenchmarkImportTokenTransfers imports a file of 1,000,000 generated rows
// into a fresh database, as `freezetrace import` does: "bulk" is the import
// as the CLI runs it (address indexes rebuilt once at the end); "indexed" is
// the baseline that maintains every index row by row. The file is written
// before the timer starts, so generating it is not measured.
func BenchmarkImportTokenTransfers(b *testing.B) {
	const rows = 1_000_000
	file := filepath.Join(b.TempDir(), "token_transfers.csv")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, &genTokenTransfers{n: rows}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	// The size lets the import expect a large load and take the bulk path;
	// 0 (unknown) keeps every index in place.
	for _, mode := range []struct {
		name string
		size int64
	}{{"bulk", st.Size()}, {"indexed", 0}} {
		b.Run(mode.name, func(b *testing.B) {
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ctx := context.Background()
				db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
				if err != nil {
					b.Fatal(err)
				}
				in, err := os.Open(file)
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				b.StartTimer()
				res, err := importReader(ctx, db, in, file, mode.size, Options{Chain: chains.Ethereum, Format: TokenTransfers, Time: importTime})
				b.StopTimer()
				elapsed += time.Since(start)
				in.Close()
				if err != nil {
					b.Fatal(err)
				}
				if res.Added != rows {
					b.Fatalf("added %d rows, want %d", res.Added, rows)
				}
				db.Close()
			}
			b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}
