package store

import (
	"context"
	"fmt"

	"freezetrace/chains"
)

// ChainAssets returns the fungible assets of chain c the store knows (every
// asset with a row, non-fungible ones left out), the native coin included
// only when native is set, sorted by contract (the native coin first).
// Symbol and Decimals are zero where the store does not know them.
func (db *DB) ChainAssets(ctx context.Context, c chains.Chain, native bool) ([]chains.Asset, error) {
	rows, err := db.rows(ctx, `SELECT contract, coalesce(symbol, ''), coalesce(decimals, 0), kind FROM assets WHERE chain = ? ORDER BY contract`, string(c))
	if err != nil {
		return nil, fmt.Errorf("assets of %s: %w", c, err)
	}
	defer rows.Close()
	var out []chains.Asset
	for rows.Next() {
		var contract []byte
		var a chains.Asset
		var kind string
		var dec int64
		if err := rows.Scan(&contract, &a.Symbol, &dec, &kind); err != nil {
			return nil, fmt.Errorf("assets of %s: %w", c, err)
		}
		if kind == "erc721" {
			continue
		}
		a.ID, a.Decimals = chains.AssetID{Chain: c}, uint8(dec)
		if len(contract) > 0 {
			if a.ID.Contract, err = chains.AddressFromSlice(c.Family(), contract); err != nil {
				return nil, fmt.Errorf("assets of %s: %w", c, err)
			}
		} else {
			if !native {
				continue
			}
			a.Symbol, a.Decimals = c.Native().Symbol, c.Native().Decimals
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
