package tron

import (
	"context"
	"fmt"
	"math"
	"time"

	"freezetrace/chains"
)

// internalTransfers decodes the TRX that the internal transactions of a
// successful receipt moved: one transfer per internal transaction that was
// not rejected and carried TRX (callValue entries without a tokenId; TRC-10
// tokens are not read) between two different addresses. Position is 1 + the
// internal transaction's index, after the transaction's own TRX at 0: a
// SunSwap V2 swap into TRX pays the trader this way, from the router, after
// WTRX paid the router.
func (r *txInfoResp) internalTransfers(tx chains.TxHash) ([]chains.Transfer, error) {
	if r.failed() {
		return nil, nil
	}
	if len(r.InternalTransactions) >= maxLogs {
		return nil, fmt.Errorf("tx %s: %d internal transactions, more than the %d read",
			chains.Tron.FormatTx(tx), len(r.InternalTransactions), maxLogs-1)
	}
	when := time.UnixMilli(r.BlockTimeStamp).UTC()
	var out []chains.Transfer
	for i, it := range r.InternalTransactions {
		amount, err := it.trx()
		if err != nil {
			return nil, fmt.Errorf("tx %s internal %d: %w", chains.Tron.FormatTx(tx), i, err)
		}
		if it.Rejected || amount == 0 {
			continue
		}
		from, err := chains.Tron.ParseAddress(it.Caller)
		if err != nil {
			return nil, fmt.Errorf("tx %s internal %d: caller: %w", chains.Tron.FormatTx(tx), i, err)
		}
		to, err := chains.Tron.ParseAddress(it.To)
		if err != nil {
			return nil, fmt.Errorf("tx %s internal %d: receiver: %w", chains.Tron.FormatTx(tx), i, err)
		}
		if from == to {
			continue
		}
		out = append(out, chains.Transfer{
			Chain:    chains.Tron,
			Tx:       tx,
			Position: uint32(i + 1),
			Block:    r.BlockNumber,
			Time:     when,
			From:     from,
			To:       to,
			Asset:    chains.NativeAsset(chains.Tron),
			Amount:   chains.NewAmount(amount),
		})
	}
	return out, nil
}

// trx is the TRX (sun) an internal transaction carried: the sum of its
// callValue entries without a tokenId.
func (it *internalTx) trx() (uint64, error) {
	var sum uint64
	for _, v := range it.CallValueInfo {
		if v.TokenID != "" {
			continue
		}
		if v.CallValue < 0 {
			return 0, fmt.Errorf("negative call value %d", v.CallValue)
		}
		if sum > math.MaxUint64-uint64(v.CallValue) {
			return 0, fmt.Errorf("call values overflow")
		}
		sum += uint64(v.CallValue)
	}
	return sum, nil
}

// internalTRX returns the TRX that internal transactions of the listed
// transactions ids moved to or from addr, each transaction's receipt read
// once (per block where the node lists receipts, as for TRC-20 transfers).
// The account listing only names the transactions; amounts and parties
// come from the receipts. A listed transaction whose receipt moves addr no
// TRX internally (a rejected or zero-value call) gives nothing.
func (s *Source) internalTRX(ctx context.Context, addr chains.Address, ids []listedTx) ([]chains.Transfer, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	infos, idx, err := s.receipts(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []chains.Transfer
	for i, info := range infos {
		ts, err := info.internalTransfers(ids[i].h)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if t.From == addr || t.To == addr {
				t.TxIndex = idx[i]
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// internalRow reads the transaction an internal-transaction entry of the
// account listing belongs to; ok is false for an entry that is not one.
func (it *txItem) internalRow(path string) (listedTx, bool, error) {
	if it.TxID != "" || (it.InternalTxID == "" && it.ParentTxID == "") {
		return listedTx{}, false, nil
	}
	h, err := chains.ParseTxHash(it.ParentTxID)
	if err != nil {
		return listedTx{}, false, fmt.Errorf("%s: internal transaction %q: %w", path, it.InternalTxID, err)
	}
	return listedTx{h: h, ms: it.BlockTimestamp}, true, nil
}
