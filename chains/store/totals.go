package store

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"freezetrace/chains"
)

var _ chains.Totaler = (*Source)(nil)

// totalsQuery reads the amount and direction of an address's transfers:
// what it sent (a self-transfer counted here once), then what others sent
// it. No row is resolved, joined or sorted.
const totalsQuery = `SELECT amount, from_id = to_id, 0 FROM transfers WHERE asset = ?1 AND from_id = ` + addressIDParam2 + ` AND block BETWEEN ?3 AND ?4
	UNION ALL SELECT amount, 0, 1 FROM transfers WHERE asset = ?1 AND to_id = ` + addressIDParam2 + ` AND from_id != ` + addressIDParam2 + ` AND block BETWEEN ?3 AND ?4`

// addressIDParam2 is addressID with the address as parameter 2.
const addressIDParam2 = `(SELECT id FROM addresses WHERE addr = ?2)`

// Totals implements chains.Totaler from the file, after filling the
// cache for the range as Transfers does.
func (s *Source) Totals(ctx context.Context, q chains.Query) (n int, in, out chains.Amount, err error) {
	if q.Asset.Chain != q.Chain || !q.Chain.Valid() {
		return 0, in, out, chains.Invalid(fmt.Errorf("totals: asset %s is not on chain %q", q.Asset, string(q.Chain)))
	}
	if q.From > q.To {
		return 0, in, out, nil
	}
	if !s.opt.Offline {
		cov, err := s.db.Coverage(ctx, q.Address, q.Asset)
		if err != nil {
			return 0, in, out, err
		}
		cq, state, err := s.stored(ctx, q, cov)
		switch {
		case errors.Is(err, errNoFinal), err == nil && state == nothingFinal:
			return 0, in, out, nil
		case err != nil:
			return 0, in, out, err
		case state == passThrough:
			return 0, in, out, fmt.Errorf("totals of %s: %w", q.Address, chains.ErrUnsupported)
		}
		q = cq
	}
	return s.db.totals(ctx, q)
}

func (db *DB) totals(ctx context.Context, q chains.Query) (n int, in, out chains.Amount, err error) {
	aid, err := db.assetRowID(ctx, q.Asset)
	if err != nil || aid == 0 {
		return 0, in, out, err
	}
	ab := q.Address.Bytes()
	rows, err := db.rows(ctx, totalsQuery, aid, ab[:], int64(q.From), int64(min(q.To, 1<<63-1)))
	if err != nil {
		return 0, in, out, fmt.Errorf("totals of %s: %w", q.Address, err)
	}
	defer rows.Close()
	var sumIn, sumOut sum
	for rows.Next() {
		var amt string
		var self, received bool
		if err := rows.Scan(&amt, &self, &received); err != nil {
			return 0, in, out, fmt.Errorf("totals of %s: %w", q.Address, err)
		}
		n++
		switch {
		case self:
		case received:
			err = sumIn.add(amt)
		default:
			err = sumOut.add(amt)
		}
		if err != nil {
			return 0, in, out, fmt.Errorf("totals of %s: stored amount: %w", q.Address, err)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, in, out, fmt.Errorf("totals of %s: %w", q.Address, err)
	}
	db.read.Add(int64(n))
	return n, sumIn.amount(), sumOut.amount(), nil
}

// sum adds decimal amounts, in a machine word while they fit.
type sum struct {
	small uint64
	big   *big.Int
}

func (s *sum) add(dec string) error {
	if v, err := strconv.ParseUint(dec, 10, 64); err == nil {
		if s.small+v >= s.small {
			s.small += v
			return nil
		}
		s.spill()
		s.big.Add(s.big, new(big.Int).SetUint64(v))
		return nil
	}
	a, err := chains.ParseAmount(dec)
	if err != nil {
		return err
	}
	s.spill()
	s.big.Add(s.big, a.Big())
	return nil
}

// spill moves the word into the big sum.
func (s *sum) spill() {
	if s.big == nil {
		s.big = new(big.Int)
	}
	s.big.Add(s.big, new(big.Int).SetUint64(s.small))
	s.small = 0
}

func (s *sum) amount() chains.Amount {
	if s.big == nil {
		return chains.NewAmount(s.small)
	}
	s.spill()
	a, _ := chains.AmountFromBig(s.big) // a sum of amounts is never negative
	return a
}
