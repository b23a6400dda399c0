package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
)

// importRows runs one import of transfers (and blocks) read at lines, as a
// file importer does, and commits it.
func importRows(t *testing.T, db *DB, info ImportInfo, bs []Block, ts []chains.Transfer, lines []int) (ImportCounts, error) {
	t.Helper()
	ctx := context.Background()
	im, err := db.BeginImport(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	if len(bs) > 0 {
		if _, err := im.PutFileBlocks(ctx, bs, nil); err != nil {
			return ImportCounts{}, err
		}
	}
	n, err := im.PutFileTransfers(ctx, ts, lines, true)
	if err != nil {
		return ImportCounts{}, err
	}
	return im.Commit(ctx, ImportCounts{Read: len(ts) + len(bs), Added: n})
}

func wantInputError(t *testing.T, err error, parts ...string) {
	t.Helper()
	var ie *chains.InputError
	if err == nil || !errors.As(err, &ie) {
		t.Fatalf("got %v, want an input error", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q lacks %q", err, p)
		}
	}
}

func storedTransfers(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM transfers`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportBlocksNeverForget: a blocks file giving a stored block another
// hash is an error naming both hashes and the line, and forgets nothing;
// with Replace it replaces the block (forgetting its transfers, as a
// reorganisation does) and the imports table says so. Before, the import
// took the hash as a reorganisation and deleted the block's transfers.
func TestImportBlocksNeverForget(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	old := Block{Chain: chains.Ethereum, Number: 10, Hash: [32]byte{0xaa}, Time: time.Unix(100, 0)}
	info := ImportInfo{Chain: chains.Ethereum, File: "t.csv", Format: "etl-token-transfers", Time: time.Unix(1000, 0)}
	if _, err := importRows(t, db, info, []Block{old}, []chains.Transfer{tr(1, 10, 0, alice, bob, 5)}, nil); err != nil {
		t.Fatal(err)
	}
	other := old
	other.Hash = [32]byte{0xbb}
	put := func(replace bool) (int, error) {
		im, err := db.BeginImport(ctx, ImportInfo{Chain: chains.Ethereum, File: "b.csv", Format: "etl-blocks", Time: time.Unix(2000, 0), Replace: replace})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Rollback()
		if _, err := im.PutFileBlocks(ctx, []Block{other}, []int{2}); err != nil {
			return 0, err
		}
		c, err := im.Commit(ctx, ImportCounts{Read: 1})
		return c.Replaced, err
	}
	t.Run("ErrOtherHash", func(t *testing.T) {
		_, err := put(false)
		wantInputError(t, err, "b.csv:2: block 10:", "hash 0xbb00", "here, 0xaa00", "in the database", "--replace")
		if n := storedTransfers(t, db); n != 1 {
			t.Fatalf("%d transfers stored after the refused file, want 1", n)
		}
		b, _, _ := db.BlockOf(ctx, chains.Ethereum, 10)
		if b.Hash != old.Hash {
			t.Fatalf("block 10 has hash %x, want the stored %x", b.Hash, old.Hash)
		}
	})
	t.Run("Replace", func(t *testing.T) {
		replaced, err := put(true)
		if err != nil || replaced != 1 {
			t.Fatalf("replace: %d replaced, %v; want 1", replaced, err)
		}
		if n := storedTransfers(t, db); n != 0 {
			t.Fatalf("%d transfers of the replaced block kept, want 0", n)
		}
		recs, err := db.Imports(ctx)
		if err != nil || len(recs) != 2 || !recs[1].ReplaceAllowed || recs[1].Replaced != 1 || recs[0].ReplaceAllowed {
			t.Fatalf("imports: %+v, %v; want the second with --replace and 1 replaced", recs, err)
		}
	})
	t.Run("LiveReorg", func(t *testing.T) {
		// The live path still follows the chain.
		if _, reorged, err := db.PutBlocks(ctx, []Block{old}); err != nil || reorged != 1 {
			t.Fatalf("live reorg: %d, %v; want 1", reorged, err)
		}
	})
}

// TestImportConflicts: a row repeating another identically is counted,
// one contradicting it is an error naming both values and lines (in one
// call, across calls, against stored rows, in a bulk load), and Replace
// stores the file's values over the stored ones. Before, the first row
// stored won and the others were dropped without a word.
func TestImportConflicts(t *testing.T) {
	ctx := context.Background()
	info := ImportInfo{Chain: chains.Ethereum, File: "f.csv", Format: "etl-token-transfers", Time: time.Unix(1000, 0)}
	a, a2 := tr(1, 10, 4, alice, bob, 5), tr(1, 10, 4, alice, bob, 6)
	b := tr(2, 11, 0, bob, carol, 7)
	for _, bulk := range []bool{false, true} {
		info := info
		name := "Indexed"
		if bulk {
			info.ExpectedRows, name = bulkMinRows, "Bulk"
		}
		t.Run(name, func(t *testing.T) {
			db := openTemp(t)
			c, err := importRows(t, db, info, nil, []chains.Transfer{a, b, a}, []int{2, 3, 4})
			if err != nil || c.Added != 2 || c.Repeated != 1 || c.Skipped != 1 || c.Stored != 0 {
				t.Fatalf("identical repeat: %+v, %v; want 2 added, 1 repeated and skipped", c, err)
			}
			_, err = importRows(t, db, info, nil, []chains.Transfer{b, a2}, []int{2, 3})
			wantInputError(t, err, "f.csv:3: transaction 0xab", "position 4", "value 6 here, 5 in the database", "--replace")
			c, err = importRows(t, db, info, nil, []chains.Transfer{a, b}, []int{2, 3})
			if err != nil || c.Added != 0 || c.Stored != 2 {
				t.Fatalf("again: %+v, %v; want 2 already stored", c, err)
			}
			fresh := tr(3, 12, 0, carol, alice, 1)
			fresh2 := fresh
			fresh2.To = bob
			_, err = importRows(t, db, info, nil, []chains.Transfer{fresh, b, fresh2}, []int{2, 3, 4})
			wantInputError(t, err, "f.csv:4:", "to "+bob.String()+" here, "+alice.String()+" at line 2")
			rep := info
			rep.Replace = true
			c, err = importRows(t, db, rep, nil, []chains.Transfer{a2, b}, []int{2, 3})
			if err != nil || c.Replaced != 1 || c.Stored != 1 || c.Added != 0 {
				t.Fatalf("replace: %+v, %v; want 1 replaced, 1 stored", c, err)
			}
			got, err := db.CachedTransfers(ctx, chains.Query{Chain: chains.Ethereum, Address: alice, Asset: usdt, To: chains.Latest})
			if err != nil || len(got) != 1 || got[0].Amount.Cmp(chains.NewAmount(6)) != 0 {
				t.Fatalf("after replace: %v, %v; want the file's value 6", got, err)
			}
			if n := storedTransfers(t, db); n != 2 {
				t.Fatalf("%d transfers stored, want 2", n)
			}
			// A replacing file that contradicts itself is still refused.
			_, err = importRows(t, db, rep, nil, []chains.Transfer{a, a2}, []int{2, 3})
			wantInputError(t, err, "f.csv:3:", "value 6 here, 5 at line 2")
		})
	}
	t.Run("AcrossCalls", func(t *testing.T) {
		db := openTemp(t)
		im, err := db.BeginImport(ctx, info)
		if err != nil {
			t.Fatal(err)
		}
		defer im.Rollback()
		if _, err := im.PutFileTransfers(ctx, []chains.Transfer{a}, []int{7}, true); err != nil {
			t.Fatal(err)
		}
		_, err = im.PutFileTransfers(ctx, []chains.Transfer{b, a2}, []int{8, 9}, true)
		wantInputError(t, err, "f.csv:9:", "value 6 here, 5 at line 7")
	})
}

// TestImportStoredFileTakesNoLock: importing rows that are all stored
// already leaves other writers free until Commit. Before, an import held
// the write lock from BeginImport to Commit, whatever it found.
func TestImportStoredFileTakesNoLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ft.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	info := ImportInfo{Chain: chains.Ethereum, File: "f.csv", Format: "etl-token-transfers", Time: time.Unix(1000, 0), ExpectedRows: bulkMinRows}
	ts := []chains.Transfer{tr(1, 10, 0, alice, bob, 5), tr(2, 11, 0, bob, carol, 7)}
	if _, err := importRows(t, db, info, nil, ts, nil); err != nil {
		t.Fatal(err)
	}
	im, err := db.BeginImport(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	if n, err := im.PutFileTransfers(ctx, ts, []int{2, 3}, true); err != nil || n != 0 {
		t.Fatalf("put again: %d, %v", n, err)
	}
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	done := make(chan error, 1)
	go func() {
		_, err := other.PutTransfers(ctx, []chains.Transfer{tr(3, 12, 0, carol, alice, 1)})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		im.Rollback()
		<-done
		t.Fatal("another writer waited for the import's lock")
	}
	c, err := im.Commit(ctx, ImportCounts{Read: 2})
	if err != nil || c.Stored != 2 || c.Added != 0 {
		t.Fatalf("commit: %+v, %v; want 2 already stored", c, err)
	}
}

// TestImportChanged: when stored rows an import found before it took the
// lock are deleted meanwhile (a reorganisation), the import fails with
// ErrChanged and stores nothing.
func TestImportChanged(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	info := ImportInfo{Chain: chains.Ethereum, File: "f.csv", Format: "etl-token-transfers", Time: time.Unix(1000, 0)}
	blk := Block{Chain: chains.Ethereum, Number: 10, Hash: [32]byte{1}, Time: time.Unix(100, 0)}
	ts := []chains.Transfer{tr(1, 10, 0, alice, bob, 5)}
	if _, err := importRows(t, db, info, []Block{blk}, ts, nil); err != nil {
		t.Fatal(err)
	}
	im, err := db.BeginImport(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	if _, err := im.PutFileTransfers(ctx, ts, []int{2}, true); err != nil {
		t.Fatal(err)
	}
	blk.Hash = [32]byte{2}
	if _, reorged, err := db.PutBlocks(ctx, []Block{blk}); err != nil || reorged != 1 {
		t.Fatalf("reorg: %d, %v", reorged, err)
	}
	if _, err := im.Commit(ctx, ImportCounts{Read: 1}); !errors.Is(err, ErrChanged) {
		t.Fatalf("commit: %v, want ErrChanged", err)
	}
	recs, err := db.Imports(ctx)
	if err != nil || len(recs) != 1 {
		t.Fatalf("imports: %+v, %v; want only the first", recs, err)
	}
}

// TestImportTokens: a token stored with other decimals is an error unless
// Replace. Before, the file's decimals replaced the stored ones silently.
func TestImportTokens(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	put := func(replace bool, as ...chains.Asset) (ImportCounts, error) {
		im, err := db.BeginImport(ctx, ImportInfo{Chain: chains.Ethereum, File: "tokens.csv", Format: "etl-tokens", Time: time.Unix(1000, 0), Replace: replace})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Rollback()
		lines := make([]int, len(as))
		n := 0
		for i := range as {
			lines[i] = i + 2
			k, err := im.PutFileAssets(ctx, as[i:i+1], lines[i:i+1])
			if err != nil {
				return ImportCounts{}, err
			}
			n += k
		}
		return im.Commit(ctx, ImportCounts{Read: len(as), Added: n})
	}
	six := chains.Asset{ID: usdt, Symbol: "USDT", Decimals: 6}
	eighteen := six
	eighteen.Decimals = 18
	if c, err := put(false, six, six); err != nil || c.Added != 1 || c.Repeated != 1 {
		t.Fatalf("first: %+v, %v", c, err)
	}
	_, err := put(false, six, eighteen)
	wantInputError(t, err, "tokens.csv:3: token", "decimals 18 here, 6 in the database")
	if c, err := put(true, eighteen); err != nil || c.Replaced != 1 {
		t.Fatalf("replace: %+v, %v", c, err)
	}
	if a, err := db.Source().Asset(ctx, usdt); err != nil || a.Decimals != 18 {
		t.Fatalf("asset after replace: %+v, %v", a, err)
	}
}
