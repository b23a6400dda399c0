package sourcetest

import (
	"time"

	"freezetrace/chains"
)

// SampleHead is the newest block of Sample's ledger.
const SampleHead = 40

// SampleTime is the time of block n in Sample's ledger: 12 s a block from
// 2020-09-13.
func SampleTime(n uint64) time.Time { return time.Unix(1_600_000_000+int64(n)*12, 0).UTC() }

// SampleAddress is the n-th address of Sample's ledger on chain c.
func SampleAddress(c chains.Chain, n byte) chains.Address {
	return chains.NewAddress(c.Family(), [20]byte{0: 0x5a, 18: 0xa0, 19: n})
}

// Sample is a small ledger on chain c for sources that hold whatever they
// are given (the in-memory source, the store): two tokens and the native
// coin among five addresses over blocks 1 to SampleHead, with several
// transfers and transactions in one block, a transaction moving three
// assets, a self-transfer, zero-value transfers, a long history (for
// pages) and empty stretches. It returns the transfers, in no particular
// order, and the tokens' metadata.
func Sample(c chains.Chain) ([]chains.Transfer, []chains.Asset) {
	tok := chains.Asset{ID: chains.AssetID{Chain: c, Contract: SampleAddress(c, 0xe1)}, Symbol: "TOK", Decimals: 6}
	alt := chains.Asset{ID: chains.AssetID{Chain: c, Contract: SampleAddress(c, 0xe2)}, Symbol: "ALT", Decimals: 18}
	native := chains.NativeAsset(c)
	var n byte
	tx := func() chains.TxHash { n++; return chains.TxHash{0x5a, 0x3b, 31: n} }
	x := func(h chains.TxHash, block uint64, txIndex, pos uint32, from, to byte, asset chains.AssetID, v uint64) chains.Transfer {
		return chains.Transfer{Chain: c, Tx: h, Position: pos, TxIndex: txIndex, Block: block, Time: SampleTime(block),
			From: SampleAddress(c, from), To: SampleAddress(c, to), Asset: asset, Amount: chains.NewAmount(v)}
	}
	var ts []chains.Transfer
	// Address 1 is the busy one: a long token history, a few per block.
	for b := uint64(1); b <= 30; b += 1 + b%3 {
		h := tx()
		ts = append(ts, x(h, b, 0, 0, 1, 2+byte(b%3), tok.ID, 1000+b))
		if b%2 == 0 {
			ts = append(ts, x(h, b, 0, 1, 2+byte(b%3), 1, tok.ID, 10*b))
		}
	}
	// Block 12: three transactions, one moving three assets.
	h := tx()
	ts = append(ts,
		x(h, 12, 1, 0, 3, 4, native, 5),
		x(h, 12, 1, 1, 3, 4, native, 2),
		x(h, 12, 1, 7, 3, 4, tok.ID, 300),
		x(h, 12, 1, 8, 4, 5, alt.ID, 9000))
	ts = append(ts, x(tx(), 12, 2, 0, 5, 3, native, 77), x(tx(), 12, 3, 9, 4, 1, tok.ID, 42))
	// A self-transfer and zero-value transfers (address poisoning).
	ts = append(ts, x(tx(), 17, 0, 3, 2, 2, tok.ID, 11))
	ts = append(ts, x(tx(), 19, 0, 0, 5, 1, tok.ID, 0), x(tx(), 19, 1, 0, 5, 2, native, 0))
	// Late transfers after a quiet stretch, one in the head block.
	ts = append(ts, x(tx(), 35, 0, 0, 1, 5, alt.ID, 1), x(tx(), SampleHead, 0, 2, 4, 3, tok.ID, 8))
	return ts, []chains.Asset{tok, alt}
}
