package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"freezetrace/chains"
	"strings"
)

// transfersPerInsert is how many rows one INSERT statement carries.
const transfersPerInsert = 100

const transferCols = 11

// insertShape selects an INSERT statement: n rows, and whether tx_index and
// time are the literals 0 and NULL in it rather than parameters. They are
// when every row of the chunk has those values, as in any token-transfer
// export: binding its parameters is most of what a row costs the driver,
// and two fewer of ten take about a tenth off the inserts.
type insertShape struct {
	n                 int
	noTxIndex, noTime bool
}

func (b *Batch) insertStmt(ctx context.Context, sh insertShape) (*sql.Stmt, error) {
	if s, ok := b.ins[sh]; ok {
		return s, nil
	}
	row := "(?,?,?,?,?,?,?,?,?,?,?)"
	switch {
	case sh.noTxIndex && sh.noTime:
		row = "(?,?,?,?,0,?,NULL,?,?,?,?)"
	case sh.noTxIndex:
		row = "(?,?,?,?,0,?,?,?,?,?,?)"
	case sh.noTime:
		row = "(?,?,?,?,?,?,NULL,?,?,?,?)"
	}
	var sb strings.Builder
	sb.WriteString(`INSERT OR IGNORE INTO transfers (tx_prefix, tx, asset, position, tx_index, block, time, from_id, to_id, amount, zero) VALUES `)
	for i := 0; i < sh.n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(row)
	}
	s, err := b.tx.PrepareContext(ctx, sb.String())
	if err != nil {
		return nil, err
	}
	b.ins[sh] = s
	return s, nil
}

// txPrefix is the tx_prefix column of a transfer in transaction tx: its
// first 7 bytes as a big-endian integer (migration 0003 computes the same).
func txPrefix(tx chains.TxHash) int64 { return int64(binary.BigEndian.Uint64(tx[:8]) >> 8) }

// addressesPerQuery is how many addresses one lookup or INSERT of the
// addresses table carries.
const addressesPerQuery = 200

// addressIDs returns the ids of the addresses of ts, From and To of each in
// turn: stored ones are looked up, new ones are given the next ids and
// stored. The ids are assigned here because the batch holds the write
// lock: no other writer can add an address until it ends.
func (b *Batch) addressIDs(ctx context.Context, ts []chains.Transfer) ([]int64, error) {
	if b.addrNext == 0 {
		var top int64
		if err := b.tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM addresses`).Scan(&top); err != nil {
			return nil, fmt.Errorf("addresses: %w", err)
		}
		b.addrNext, b.addrEmpty = top+1, top == 0
	}
	ids := make([]int64, 2*len(ts))
	var unknown [][20]byte
	var later []int // positions in ids of addresses in unknown
	pending := map[[20]byte]bool{}
	for i := range ts {
		for j, a := range [2]chains.Address{ts[i].From, ts[i].To} {
			k := a.Bytes()
			if id, ok := b.addrs[k]; ok {
				ids[2*i+j] = id
				continue
			}
			later = append(later, 2*i+j)
			if !pending[k] {
				pending[k] = true
				unknown = append(unknown, k)
			}
		}
	}
	if len(unknown) == 0 {
		return ids, nil
	}
	found := map[[20]byte]int64{}
	if !b.addrEmpty {
		args := make([]any, 0, addressesPerQuery)
		for start := 0; start < len(unknown); start += addressesPerQuery {
			part := unknown[start:min(start+addressesPerQuery, len(unknown))]
			args = args[:0]
			for i := range part {
				args = append(args, part[i][:])
			}
			q := `SELECT id, addr FROM addresses WHERE addr IN (?` + strings.Repeat(",?", len(part)-1) + `)`
			rows, err := b.tx.QueryContext(ctx, q, args...)
			if err != nil {
				return nil, fmt.Errorf("addresses: %w", err)
			}
			for rows.Next() {
				var id int64
				var ab []byte
				if err := rows.Scan(&id, &ab); err != nil {
					rows.Close()
					return nil, fmt.Errorf("addresses: %w", err)
				}
				found[[20]byte(ab)] = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("addresses: %w", err)
			}
		}
	}
	var fresh [][20]byte
	for _, k := range unknown {
		if _, ok := found[k]; !ok {
			fresh = append(fresh, k)
		}
	}
	next := b.addrNext
	args := make([]any, 0, 2*addressesPerQuery)
	for start := 0; start < len(fresh); start += addressesPerQuery {
		part := fresh[start:min(start+addressesPerQuery, len(fresh))]
		args = args[:0]
		for i := range part {
			args = append(args, next+int64(start+i), part[i][:])
		}
		q := `INSERT INTO addresses (id, addr) VALUES (?,?)` + strings.Repeat(",(?,?)", len(part)-1)
		if _, err := b.tx.ExecContext(ctx, q, args...); err != nil {
			// Some of fresh may be stored: read the table again next time.
			b.addrNext = 0
			return nil, fmt.Errorf("addresses: %w", err)
		}
	}
	// Only now, with every row stored, does the batch remember the ids.
	for k, id := range found {
		b.addrs[k] = id
	}
	for i, k := range fresh {
		b.addrs[k] = next + int64(i)
	}
	b.addrNext = next + int64(len(fresh))
	for _, p := range later {
		a := ts[p/2].From
		if p%2 == 1 {
			a = ts[p/2].To
		}
		ids[p] = b.addrs[a.Bytes()]
	}
	return ids, nil
}

// PutTransfers stores transfers, ignoring any already stored (same chain,
// transaction, asset and position), and returns how many were new. A
// transfer's zero Time is stored as unknown and read back from the block.
func (b *Batch) PutTransfers(ctx context.Context, ts []chains.Transfer) (added int, err error) {
	for i := range ts {
		if t := &ts[i]; t.Asset.Chain != t.Chain {
			return 0, fmt.Errorf("transfer %s: asset %s is not on chain %s", t.Tx, t.Asset, t.Chain)
		}
	}
	ids, err := b.addressIDs(ctx, ts)
	if err != nil {
		return 0, fmt.Errorf("put transfers: %w", err)
	}
	args := make([]any, 0, transfersPerInsert*transferCols)
	for start := 0; start < len(ts); start += transfersPerInsert {
		chunk := ts[start:min(start+transfersPerInsert, len(ts))]
		sh := insertShape{n: len(chunk), noTxIndex: true, noTime: true}
		for i := range chunk {
			sh.noTxIndex = sh.noTxIndex && chunk[i].TxIndex == 0
			sh.noTime = sh.noTime && chunk[i].Time.IsZero()
		}
		args = args[:0]
		for i := range chunk {
			t := &chunk[i]
			aid, err := b.assetRow(ctx, t.Asset)
			if err != nil {
				return added, err
			}
			zero := 0
			if t.Amount.IsZero() {
				zero = 1
			}
			args = append(args, txPrefix(t.Tx), t.Tx[:], aid, int64(t.Position))
			if !sh.noTxIndex {
				args = append(args, int64(t.TxIndex))
			}
			args = append(args, int64(t.Block))
			if !sh.noTime {
				var tm any
				if !t.Time.IsZero() {
					tm = t.Time.Unix()
				}
				args = append(args, tm)
			}
			// amount is a TEXT column: SQLite stores a bound integer as its
			// decimal text, what Amount.String gives, without the driver
			// copying a string for it.
			var amount any
			if n, ok := t.Amount.Int64(); ok {
				amount = n
			} else {
				amount = t.Amount.String()
			}
			args = append(args, ids[2*(start+i)], ids[2*(start+i)+1], amount, zero)
			if t.Block > b.maxBlock[t.Chain] {
				b.maxBlock[t.Chain] = t.Block
			}
		}
		s, err := b.insertStmt(ctx, sh)
		if err != nil {
			return added, fmt.Errorf("put transfers: %w", err)
		}
		res, err := s.ExecContext(ctx, args...)
		if err != nil {
			return added, fmt.Errorf("put transfers: %w", err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, nil
}
