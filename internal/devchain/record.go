package devchain

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"freezetrace/chains"
)

// record checks the receipt of a mined step and adds the transfers the step
// was meant to make (or, for an issuer's step, the freeze); a receipt that
// disagrees with the step is an error.
func (p *player) record(ctx context.Context, ps pendingStep) error {
	r, err := p.c.Receipt(ctx, ps.hash)
	if err != nil {
		return err
	}
	blk, err := p.c.client.BlockByHash(ctx, r.BlockHash)
	if err != nil {
		return fmt.Errorf("block %d: %w", r.BlockNumber, err)
	}
	bi := BlockInfo{Number: blk.NumberU64(), Hash: blk.Hash(), Parent: blk.ParentHash(),
		Time: time.Unix(int64(blk.Time()), 0).UTC(), TxN: len(blk.Transactions())}
	p.blocks[bi.Number] = bi
	tx := blk.Transaction(ps.hash)
	if tx == nil {
		return fmt.Errorf("tx %s not in block %d", ps.hash.Hex(), bi.Number)
	}
	from, err := types.Sender(p.c.signer, tx)
	if err != nil {
		return err
	}
	p.played.Txs = append(p.played.Txs, TxInfo{Hash: ps.hash, Nonce: tx.Nonce(), Block: bi.Number, Index: r.TransactionIndex,
		From: from, To: *tx.To(), Value: tx.Value(), Gas: tx.Gas(), GasPrice: r.EffectiveGasPrice, Input: tx.Data(), Status: r.Status})

	st := ps.step
	addr := p.sc.Address
	base := chains.Transfer{Chain: chains.Ethereum, Tx: chains.TxHash(ps.hash), Block: bi.Number, Time: bi.Time}
	add := func(pos uint32, from, to common.Address, v *big.Int, asset chains.AssetID) error {
		t := base
		t.Position, t.From, t.To, t.Asset = pos, chains.NewAddress(chains.FamilyEVM, from), chains.NewAddress(chains.FamilyEVM, to), asset
		if asset.IsNative() {
			t.TxIndex = uint32(r.TransactionIndex)
		}
		if t.Amount, err = chains.AmountFromBig(v); err != nil {
			return err
		}
		p.played.Transfers = append(p.played.Transfers, t)
		return nil
	}
	if st.Victim {
		p.played.VictimTxs = append(p.played.VictimTxs, chains.TxHash(ps.hash))
	}
	native := chains.NativeAsset(chains.Ethereum)
	switch st.Kind {
	case KindMint, KindToken:
		tk, err := p.token(st.Token)
		if err != nil {
			return err
		}
		sender := addr(st.From)
		if st.Kind == KindMint {
			sender = common.Address{}
		}
		l, err := p.transferLog(r, tk.Address)
		if err != nil {
			return err
		}
		if l.Topics[1] != common.BytesToHash(sender[:]) || l.Topics[2] != common.BytesToHash(addr(st.To).Bytes()) ||
			new(big.Int).SetBytes(l.Data).Cmp(st.Amount) != 0 {
			return fmt.Errorf("tx %s logged another transfer than the step", ps.hash.Hex())
		}
		return add(uint32(l.Index), sender, addr(st.To), st.Amount, p.played.Tokens[tk.Name].ID)
	case KindETH:
		return add(0, addr(st.From), addr(st.To), st.Amount, native)
	case KindForward, KindRelay:
		// Call frames in depth-first order: 0 is the transaction itself.
		f1, f2 := addr(Forwarder1), addr(Forwarder2)
		if err := add(0, addr(st.From), f1, st.Amount, native); err != nil {
			return err
		}
		pos, payer := uint32(1), f1
		if st.Kind == KindRelay {
			if err := add(pos, f1, f2, st.Amount, native); err != nil {
				return err
			}
			pos, payer = pos+1, f2
		}
		for i, rcpt := range st.Recipients {
			// A Forwarder refuses plain ether: that call reverts and moves nothing.
			if rcpt != Forwarder1 && rcpt != Forwarder2 && st.Amounts[i].Sign() > 0 {
				if err := add(pos, payer, addr(rcpt), st.Amounts[i], native); err != nil {
					return err
				}
			}
			pos++
		}
		return nil
	case KindFreeze, KindUnfreeze, KindDestroy:
		return p.recordIssuer(r, st, chains.TxHash(ps.hash), bi)
	}
	return fmt.Errorf("unknown step kind %q", st.Kind)
}

// recordIssuer checks that an issuer's step emitted its event for the
// address and adds it to Played.Freezes.
func (p *player) recordIssuer(r *types.Receipt, st Step, tx chains.TxHash, bi BlockInfo) error {
	tk, err := p.token(st.Token)
	if err != nil {
		return err
	}
	a := p.kindABI[tk.Kind]
	ev := a.Events[issuerEvents[tk.Kind][st.Kind]]
	target := p.sc.Address(st.To)
	fi := FreezeInfo{Kind: st.Kind, Token: tk.Name, Actor: st.To, Address: chains.NewAddress(chains.FamilyEVM, target),
		Tx: tx, Block: bi.Number, Time: bi.Time}
	found := false
	for _, l := range r.Logs {
		if l.Address != tk.Address || len(l.Topics) == 0 || l.Topics[0] != ev.ID {
			continue
		}
		if len(l.Topics) == 2 { // Circle: the address is indexed
			if l.Topics[1] == common.BytesToHash(target.Bytes()) {
				found = true
			}
			continue
		}
		vs, err := a.Unpack(ev.Name, l.Data)
		if err != nil || len(vs) == 0 || vs[0] != target {
			return fmt.Errorf("tx %s: %s names another address than %s", r.TxHash.Hex(), ev.Name, st.To)
		}
		found = true
		if st.Kind == KindDestroy && len(vs) == 2 {
			v, err := chains.AmountFromBig(vs[1].(*big.Int))
			if err != nil {
				return err
			}
			fi.Amount = &v
		}
	}
	if !found {
		return fmt.Errorf("tx %s: no %s event for %s", r.TxHash.Hex(), ev.Name, st.To)
	}
	p.played.Freezes = append(p.played.Freezes, fi)
	return nil
}

// transferLog returns the single Transfer log token emitted in r.
func (p *player) transferLog(r *types.Receipt, token common.Address) (*types.Log, error) {
	var found *types.Log
	for _, l := range r.Logs {
		if l.Address == token && len(l.Topics) == 3 && l.Topics[0] == p.tokenABI.Events["Transfer"].ID {
			if found != nil {
				return nil, fmt.Errorf("tx %s: two Transfer logs", r.TxHash.Hex())
			}
			found = l
		}
	}
	if found == nil {
		return nil, fmt.Errorf("tx %s: no Transfer log", r.TxHash.Hex())
	}
	return found, nil
}
