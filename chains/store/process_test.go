package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"freezetrace/chains"
)

// TestTwoProcesses runs two writer processes (this test binary again) on
// one file at once, each importing in bulk mode and in small batches, and
// checks that both finish with every row stored.
func TestTwoProcesses(t *testing.T) {
	if path := os.Getenv("FREEZETRACE_TEST_WRITER_DB"); path != "" {
		id, _ := strconv.Atoi(os.Getenv("FREEZETRACE_TEST_WRITER_ID"))
		if err := writeAsProcess(path, id); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	var cmds []*exec.Cmd
	for id := 0; id < 2; id++ {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestTwoProcesses$", "-test.count", "1")
		cmd.Env = append(os.Environ(), "FREEZETRACE_TEST_WRITER_DB="+path, "FREEZETRACE_TEST_WRITER_ID="+strconv.Itoa(id))
		out := &bytesBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for id, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer %d: %v\n%s", id, err, cmd.Stdout.(*bytesBuffer).String())
		}
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, imports int
	if err := db.sql.QueryRow(`SELECT count(*) FROM transfers`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.sql.QueryRow(`SELECT count(*) FROM imports`).Scan(&imports); err != nil {
		t.Fatal(err)
	}
	if want := 2 * (processBulkRows + processBatches*processBatchRows); n != want || imports != 2 {
		t.Fatalf("got %d transfers and %d imports, want %d and 2", n, imports, want)
	}
	if c := indexCount(t, db); c != 3 {
		t.Fatalf("%d transfer indexes after concurrent bulk loads, want 3", c)
	}
}

const (
	processBulkRows  = 30000
	processBatches   = 30
	processBatchRows = 200
)

// writeAsProcess is one writer: a bulk import, then small batches
// interleaved with reads.
func writeAsProcess(path string, id int) error {
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	base := id * 1_000_000
	im, err := db.BeginImport(ctx, ImportInfo{Chain: chains.Ethereum, File: fmt.Sprintf("w%d.csv", id), Format: "test", ExpectedRows: processBulkRows})
	if err != nil {
		return err
	}
	ts := make([]chains.Transfer, processBulkRows)
	for i := range ts {
		ts[i] = tr(base+i, uint64(i), uint32(id), alice, bob, uint64(i))
		ts[i].Tx[1], ts[i].Tx[2] = byte(id), byte(i>>16)
	}
	if _, err := im.PutTransfers(ctx, ts); err != nil {
		im.Rollback()
		return err
	}
	if _, err := im.Commit(ctx, ImportCounts{Read: len(ts), Added: len(ts)}); err != nil {
		return err
	}
	for b := 0; b < processBatches; b++ {
		ts := make([]chains.Transfer, processBatchRows)
		for i := range ts {
			n := base + 500_000 + b*processBatchRows + i
			ts[i] = tr(n, uint64(n), uint32(id), bob, carol, 1)
			ts[i].Tx[1], ts[i].Tx[2] = byte(id), byte(n>>16)
		}
		if _, err := db.PutTransfers(ctx, ts); err != nil {
			return fmt.Errorf("writer %d batch %d: %w", id, b, err)
		}
		lo := uint64(base + 500_000 + b*processBatchRows)
		got, err := db.CachedTransfers(ctx, chains.Query{Chain: chains.Ethereum, Address: carol, Asset: usdt, From: lo, To: lo + processBatchRows - 1})
		if err == nil && len(got) != processBatchRows {
			err = fmt.Errorf("read back %d rows, want %d", len(got), processBatchRows)
		}
		if err != nil {
			return fmt.Errorf("writer %d read: %w", id, err)
		}
	}
	return nil
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *bytesBuffer) String() string              { return string(w.b) }
