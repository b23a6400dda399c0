package etl

import (
	"context"
	"errors"
	"strings"
	"time"

	"freezetrace/chains"
)

// batchRows is how many rows go to the store at once.
const batchRows = 10000

func importTokenTransfers(ctx context.Context, t *table, im Sink, res *Result) error {
	if err := t.need("token_address", "from_address", "to_address", "value", "transaction_hash", "log_index", "block_number"); err != nil {
		return err
	}
	nft, err := im.NonFungible(ctx, t.chain)
	if err != nil {
		return err
	}
	// Columns are looked up once: this importer reads the largest files.
	var (
		colToken = t.column("token_address")
		colFrom  = t.column("from_address")
		colTo    = t.column("to_address")
		colValue = t.column("value")
		colTx    = t.column("transaction_hash")
		colLog   = t.column("log_index")
		colBlock = t.column("block_number")
	)
	// Parsing and storing run side by side: one goroutine reads rows into
	// batches while this one stores the previous batch.
	return pipeline(ctx, func(emit func(*rowBatch) (*rowBatch, error)) error {
		batch := newRowBatch()
		err := t.each(res, func() error {
			token, err := t.addressAt(colToken, "token_address")
			if err != nil {
				return err
			}
			asset := chains.AssetID{Chain: t.chain, Contract: token}
			if nft[asset] {
				res.Skipped++
				res.NonFungible++
				return nil
			}
			tr := chains.Transfer{Chain: t.chain, Asset: asset}
			if tr.From, err = t.addressAt(colFrom, "from_address"); err != nil {
				return err
			}
			if tr.To, err = t.addressAt(colTo, "to_address"); err != nil {
				return err
			}
			if tr.Amount, err = t.amountAt(colValue, "value"); err != nil {
				return err
			}
			if tr.Tx, err = t.hashAt(colTx, "transaction_hash"); err != nil {
				return err
			}
			pos, err := t.uintAt(colLog, "log_index", 32)
			if err != nil {
				return err
			}
			tr.Position = uint32(pos)
			if tr.Block, err = t.uintAt(colBlock, "block_number", 63); err != nil {
				return err
			}
			if tr.Amount.IsZero() {
				res.Zero++
			}
			batch.ts = append(batch.ts, tr)
			batch.lines = append(batch.lines, t.line)
			if len(batch.ts) == batchRows {
				batch, err = emit(batch)
			}
			return err
		})
		if err != nil {
			return err
		}
		_, err = emit(batch)
		return err
	}, func(b *rowBatch) error {
		// Token transfers carry no transaction index (see chains.Transfer).
		n, err := im.PutFileTransfers(ctx, b.ts, b.lines, true)
		res.Added += n
		return err
	})
}

// rowBatch is a batch of transfers and the file line of each.
type rowBatch struct {
	ts    []chains.Transfer
	lines []int
}

func newRowBatch() *rowBatch {
	return &rowBatch{ts: make([]chains.Transfer, 0, batchRows), lines: make([]int, 0, batchRows)}
}

// pipeline runs produce in its own goroutine and consume on the caller's,
// handing batches over through a short queue; it returns the first error
// of either (consume's stops produce). emit hands a batch over and returns
// an empty one to fill next: batches consume is done with come back for
// reuse, so a large file does not allocate a batch every batchRows rows.
// consume must not keep the batch it is given.
func pipeline(ctx context.Context, produce func(emit func(*rowBatch) (*rowBatch, error)) error, consume func(*rowBatch) error) error {
	const queue = 2
	ch := make(chan *rowBatch, queue)
	free := make(chan *rowBatch, queue+2)
	stop := make(chan struct{})
	perr := make(chan error, 1)
	go func() {
		defer close(ch)
		perr <- produce(func(b *rowBatch) (*rowBatch, error) {
			select {
			case ch <- b:
			case <-stop:
				return nil, errStopped
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			select {
			case b := <-free:
				b.ts, b.lines = b.ts[:0], b.lines[:0]
				return b, nil
			default:
				return newRowBatch(), nil
			}
		})
	}()
	var cerr error
	for b := range ch {
		if cerr != nil {
			continue
		}
		if cerr = consume(b); cerr != nil {
			close(stop)
		}
		select {
		case free <- b:
		default:
		}
	}
	if err := <-perr; cerr == nil && err != nil {
		return err
	}
	return cerr
}

var errStopped = errors.New("stopped")

// importTransactions stores each transaction's own value transfer
// (position 0; internal transfers are not in this file), and each block's
// time (and hash) from block_timestamp (and block_hash): every row of a
// block must give the same.
func importTransactions(ctx context.Context, t *table, im Sink, res *Result) error {
	if err := t.need("hash", "transaction_index", "from_address", "to_address", "value", "block_number"); err != nil {
		return err
	}
	native := chains.NativeAsset(t.chain)
	var blocks []chains.Block
	var blockLines, lines []int
	type seenBlock struct {
		hash [32]byte
		time int64
		line int
	}
	seen := map[uint64]seenBlock{}
	batch := newBatcher(batchRows, func(ts []chains.Transfer) error {
		if _, err := im.PutFileBlocks(ctx, blocks, blockLines); err != nil {
			return err
		}
		blocks, blockLines = blocks[:0], blockLines[:0]
		n, err := im.PutFileTransfers(ctx, ts, lines, true)
		lines = lines[:0]
		res.Added += n
		return err
	})
	err := t.each(res, func() (err error) {
		tr := chains.Transfer{Chain: t.chain, Asset: native}
		if tr.Tx, err = t.hash("hash"); err != nil {
			return err
		}
		if tr.Block, err = t.uint("block_number", 63); err != nil {
			return err
		}
		txi, err := t.uint("transaction_index", 32)
		if err != nil {
			return err
		}
		tr.TxIndex = uint32(txi)
		if tr.From, err = t.address("from_address"); err != nil {
			return err
		}
		if tr.Amount, err = t.amount("value"); err != nil {
			return err
		}
		if t.has("block_timestamp") {
			if tr.Time, err = t.time("block_timestamp"); err != nil {
				return err
			}
			b := chains.Block{Chain: t.chain, Number: tr.Block, Time: tr.Time}
			if t.get("block_hash") != "" {
				if b.Hash, err = t.hash("block_hash"); err != nil {
					return err
				}
			}
			if err := sameBlock(t, seen[tr.Block].line, seen[tr.Block].hash, seen[tr.Block].time, b); err != nil {
				return err
			}
			if _, ok := seen[tr.Block]; !ok {
				seen[tr.Block] = seenBlock{b.Hash, b.Time.Unix(), t.line}
				blocks = append(blocks, b)
				blockLines = append(blockLines, t.line)
			}
		}
		if t.has("receipt_status") {
			switch t.get("receipt_status") {
			case "0":
				res.Skipped++
				res.Failed++
				return nil
			case "1", "":
			default:
				return t.errf("receipt_status: want 0 or 1, got %s", clip(t.get("receipt_status")))
			}
		}
		toCol := "to_address"
		if t.get(toCol) == "" {
			// A contract creation: the value goes to the created contract.
			toCol = "receipt_contract_address"
			if t.get(toCol) == "" {
				res.Skipped++
				res.NoRecipient++
				return nil
			}
		}
		if tr.To, err = t.address(toCol); err != nil {
			return err
		}
		if tr.Amount.IsZero() {
			res.Zero++
		}
		lines = append(lines, t.line)
		return batch.add(tr)
	})
	if err != nil {
		return err
	}
	return batch.flush()
}

// sameBlock fails unless b agrees with what an earlier row, at line (0
// when none), said of the same block: its hash (when both give one) and
// its time.
func sameBlock(t *table, line int, hash [32]byte, tm int64, b chains.Block) error {
	if line == 0 {
		return nil
	}
	if hash != ([32]byte{}) && b.Hash != ([32]byte{}) && hash != b.Hash {
		return t.errf("block %d: block_hash 0x%x here, 0x%x at line %d", b.Number, b.Hash, hash, line)
	}
	if tm != b.Time.Unix() {
		return t.errf("block %d: block_timestamp %s here, %s at line %d", b.Number,
			b.Time.UTC().Format(time.RFC3339), time.Unix(tm, 0).UTC().Format(time.RFC3339), line)
	}
	return nil
}

func importBlocks(ctx context.Context, t *table, im Sink, res *Result) error {
	if err := t.need("number", "hash", "timestamp"); err != nil {
		return err
	}
	var lines []int
	batch := newBatcher(1000, func(bs []chains.Block) error {
		n, err := im.PutFileBlocks(ctx, bs, lines)
		lines = lines[:0]
		res.Added += n
		return err
	})
	err := t.each(res, func() (err error) {
		b := chains.Block{Chain: t.chain}
		if b.Number, err = t.uint("number", 63); err != nil {
			return err
		}
		if b.Hash, err = t.hash("hash"); err != nil {
			return err
		}
		if b.Time, err = t.time("timestamp"); err != nil {
			return err
		}
		im.NoteBlock(b.Number)
		lines = append(lines, t.line)
		return batch.add(b)
	})
	if err != nil {
		return err
	}
	return batch.flush()
}

// importTokens stores token metadata. A token without decimals is taken
// as non-fungible (ERC-721): ethereum-etl leaves decimals empty when the
// contract has no decimals() function.
func importTokens(ctx context.Context, t *table, im Sink, res *Result) error {
	if err := t.need("address", "symbol", "decimals"); err != nil {
		return err
	}
	return t.each(res, func() error {
		a, err := t.address("address")
		if err != nil {
			return err
		}
		id := chains.AssetID{Chain: t.chain, Contract: a}
		sym := t.get("symbol")
		if len(sym) > maxSymbol {
			return t.errf("symbol: %s has %d bytes, more than %d", clip(sym), len(sym), maxSymbol)
		}
		if t.get("decimals") == "" {
			n, err := im.PutNonFungible(ctx, []chains.AssetID{id}, sym)
			if err != nil {
				return err
			}
			res.Added += n
			res.NonFungible++
			return nil
		}
		d, err := t.uint("decimals", 8)
		if err != nil {
			return err
		}
		n, err := im.PutFileAssets(ctx, []chains.Asset{{ID: id, Symbol: sym, Decimals: uint8(d)}}, []int{t.line})
		res.Added += n
		return err
	})
}

// importContracts records known contracts; is_erc721=true also marks the
// contract non-fungible.
func importContracts(ctx context.Context, t *table, im Sink, res *Result) error {
	if err := t.need("address"); err != nil {
		return err
	}
	var nfts []chains.AssetID
	batch := newBatcher(1000, func(as []chains.Address) error {
		n, err := im.PutContracts(ctx, t.chain, as, true, string(Contracts))
		res.Added += n
		if err != nil {
			return err
		}
		_, err = im.PutNonFungible(ctx, nfts, "")
		nfts = nfts[:0]
		return err
	})
	err := t.each(res, func() error {
		a, err := t.address("address")
		if err != nil {
			return err
		}
		switch strings.ToLower(t.get("is_erc721")) {
		case "true", "1":
			nfts = append(nfts, chains.AssetID{Chain: t.chain, Contract: a})
			res.NonFungible++
		case "false", "0", "":
		default:
			return t.errf("is_erc721: want true or false, got %s", clip(t.get("is_erc721")))
		}
		return batch.add(a)
	})
	if err != nil {
		return err
	}
	return batch.flush()
}

// batcher collects rows and hands them to put size at a time; flush hands
// over the rest (and always calls put, even with none left).
type batcher[T any] struct {
	rows []T
	size int
	put  func([]T) error
}

func newBatcher[T any](size int, put func([]T) error) *batcher[T] {
	return &batcher[T]{rows: make([]T, 0, size), size: size, put: put}
}

func (b *batcher[T]) add(x T) error {
	if b.rows = append(b.rows, x); len(b.rows) < b.size {
		return nil
	}
	return b.flush()
}

func (b *batcher[T]) flush() error {
	err := b.put(b.rows)
	b.rows = b.rows[:0]
	return err
}
