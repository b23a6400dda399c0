package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
)

var _ chains.FreezeChecker = (*Source)(nil)

// maxDestroyedWindows is the most eth_getLogs windows FreezeStatus spends
// looking for the destruction of a frozen balance. A provider that answers
// a wide range in one call (most do, for an event this rare) costs one; one
// with a narrow block cap would need a call per few blocks of the chain,
// and is not asked.
const maxDestroyedWindows = 4

// errLogBudget stops a range fetch that would take more windows than
// allowed. Its text must not read as a range refusal (see tooMuch).
var errLogBudget = errors.New("log window budget spent")

// FreezeStatus reads the issuer's freeze function of asset for addr at the
// end of block (the head when block is Latest or past it). For a frozen
// address it then finds the freezing transaction in [since, block]: a
// binary search of the same function over historical state finds the first
// block it is true in (about log2(block−since) eth_calls), and one
// eth_getLogs of that block gives the freezing event's transaction. The
// destruction of the frozen balance (Tether's DestroyedBlackFunds) is
// looked for between that block and block when the provider answers the
// range in at most a few eth_getLogs calls; Destroyed stays nil otherwise,
// and Note says so.
//
// A node without archive state answers the status at block (or, when even
// that state is gone, at the head, which Freeze.Block then names) and the
// Freeze carries a Note instead of the transaction. An address frozen more
// than once in the range is found with one of its freezes, not always the
// latest. ErrUnsupported for an asset without a known freeze scheme, on
// another chain, or whose contract has no such function.
func (s *Source) FreezeStatus(ctx context.Context, asset chains.AssetID, addr chains.Address, block, since uint64) (chains.Freeze, error) {
	scheme, ok := chains.SchemeOf(asset)
	if !ok {
		return chains.Freeze{}, fmt.Errorf("freeze status of %s: %w: %s has no known freeze function", addr, chains.ErrUnsupported, asset)
	}
	if err := s.check(ctx, asset.Chain); err != nil {
		return chains.Freeze{}, err
	}
	head, err := s.Head(ctx, asset.Chain)
	if err != nil {
		return chains.Freeze{}, err
	}
	block = min(block, head)
	since = min(since, block)
	g := getter{s: s, contract: asset.Contract, data: callData(scheme.Getter, addr), what: scheme.Getter}
	f := chains.Freeze{Issuer: scheme.Issuer, Block: block}
	f.Frozen, err = g.at(ctx, block)
	if errors.Is(err, errNoState) && block < head {
		// The state of block is pruned; the head's is not.
		f.Block = head
		f.Frozen, err = g.at(ctx, head)
		f.Note = fmt.Sprintf("the node keeps no state of block %d: status read at its head, block %d", block, head)
		block = head
	}
	if err != nil {
		return chains.Freeze{}, fmt.Errorf("freeze status of %s on %s at block %d: %w", addr, asset, block, err)
	}
	if !f.Frozen {
		return f, nil
	}
	first, err := g.first(ctx, since, block)
	if errors.Is(err, errNoState) {
		f.Note = join(f.Note, fmt.Sprintf("the freezing transaction was not looked up: the node keeps no archive state (%v); "+
			"an archive node, or a plan with archive access, finds it", err))
		return f, nil
	}
	if err != nil {
		return chains.Freeze{}, fmt.Errorf("freezing block of %s on %s in %d-%d: %w", addr, asset, since, block, err)
	}
	if err := s.freezingTx(ctx, &f, scheme, asset, addr, first, since); err != nil {
		return chains.Freeze{}, err
	}
	if scheme.Destroyed != "" {
		if err := s.destroyed(ctx, &f, scheme, asset, addr, first, block); err != nil {
			return chains.Freeze{}, err
		}
	}
	return f, nil
}

// freezingTx fills in the transaction of the freezing event of addr in
// block b, the first block of [since, …] in which the getter is true.
func (s *Source) freezingTx(ctx context.Context, f *chains.Freeze, scheme chains.FreezeScheme, asset chains.AssetID, addr chains.Address, b, since uint64) error {
	logs, err := s.issuerLogs(ctx, scheme, scheme.Added, asset.Contract, addr, b, b)
	if err != nil {
		return fmt.Errorf("freezing event of %s on %s in block %d: %w", addr, asset, b, err)
	}
	if len(logs) == 0 {
		if b == since {
			f.Note = join(f.Note, fmt.Sprintf("frozen already at block %d, the start of the search; the freezing transaction is older", since))
		} else {
			f.Note = join(f.Note, fmt.Sprintf("frozen from block %d, which holds no %s event for the address", b, scheme.Added))
		}
		return nil
	}
	// The block's last freezing event is the one its final state keeps.
	l := logs[len(logs)-1]
	t, err := s.BlockTime(ctx, asset.Chain, b)
	if err != nil {
		return fmt.Errorf("freezing block %d: %w", b, err)
	}
	f.Tx, f.TxBlock, f.TxTime = chains.TxHash(l.TxHash), b, t
	return nil
}

// destroyed sets f.Destroyed to what the issuer destroyed of addr's frozen
// balance in [from, to], if the provider answers that range cheaply.
func (s *Source) destroyed(ctx context.Context, f *chains.Freeze, scheme chains.FreezeScheme, asset chains.AssetID, addr chains.Address, from, to uint64) error {
	if w := windows(from, to, s.currentSpan()); w > maxDestroyedWindows {
		f.Note = join(f.Note, fmt.Sprintf("destroyed funds not looked up: blocks %d-%d would take %d eth_getLogs calls at this provider's range", from, to, w))
		return nil
	}
	logs, err := s.issuerLogs(ctx, scheme, scheme.Destroyed, asset.Contract, addr, from, to)
	if errors.Is(err, errLogBudget) {
		f.Note = join(f.Note, fmt.Sprintf("destroyed funds not looked up: the provider's range cap would take more than %d eth_getLogs calls for blocks %d-%d", maxDestroyedWindows, from, to))
		return nil
	}
	if err != nil {
		return fmt.Errorf("destroyed funds of %s on %s in %d-%d: %w", addr, asset, from, to, err)
	}
	if len(logs) == 0 {
		return nil
	}
	total := new(big.Int)
	for _, l := range logs {
		total.Add(total, new(big.Int).SetBytes(l.Data[32:64]))
	}
	a, err := chains.AmountFromBig(total)
	if err != nil {
		return err
	}
	f.Destroyed = &a
	return nil
}

// windows is how many windows of span blocks cover [from, to].
func windows(from, to, span uint64) uint64 {
	n := to - from + 1
	if n == 0 || span == 0 {
		return 1
	}
	return n/span + min(n%span, 1)
}

// issuerLogs returns the logs of event (as scheme declares it) that name
// addr, emitted by contract in [from, to], in chain order, in at most
// maxDestroyedWindows eth_getLogs windows (errLogBudget past that). The
// address is topic 1 of an indexed event and the first data word of the
// others, which the node cannot filter on.
func (s *Source) issuerLogs(ctx context.Context, scheme chains.FreezeScheme, event string, contract, addr chains.Address, from, to uint64) ([]Log, error) {
	topic := crypto.Keccak256Hash([]byte(event))
	topics := []any{topic}
	indexed := scheme.Indexed && event != scheme.Destroyed
	if indexed {
		topics = append(topics, addressTopic(addr))
	}
	var out []Log
	calls := 0
	err := s.ranged(ctx, from, to, func(lo, hi uint64) error {
		if calls++; calls > maxDestroyedWindows {
			return errLogBudget
		}
		var ls []Log
		filter := map[string]any{"address": common.Address(contract.Bytes()), "topics": topics,
			"fromBlock": hexutil.Uint64(lo), "toBlock": hexutil.Uint64(hi)}
		if err := s.call(ctx, &ls, "eth_getLogs", filter); err != nil {
			return err
		}
		for _, l := range ls {
			if uint64(l.BlockNumber) < lo || uint64(l.BlockNumber) > hi {
				return fmt.Errorf("logs %d-%d: node returned a log of block %d", lo, hi, uint64(l.BlockNumber))
			}
			if l.Removed || len(l.Topics) == 0 || l.Topics[0] != topic {
				continue
			}
			if indexed {
				if len(l.Topics) == 2 && l.Topics[1] == addressTopic(addr) {
					out = append(out, l)
				}
				continue
			}
			want := 32
			if event == scheme.Destroyed {
				want = 64
			}
			if len(l.Data) == want && common.BytesToHash(l.Data[:32]) == addressTopic(addr) {
				out = append(out, l)
			}
		}
		return nil
	})
	return out, err
}

// errNoState marks a call the node could not answer for want of the
// block's state (not an archive node).
var errNoState = errors.New("historical state unavailable")

// getter calls a view function of one argument, answering a bool, at
// chosen blocks.
type getter struct {
	s        *Source
	contract chains.Address
	data     []byte
	what     string
}

// at calls the getter at the end of block.
func (g getter) at(ctx context.Context, block uint64) (bool, error) {
	var out hexutil.Bytes
	err := g.s.call(ctx, &out, "eth_call", callArgs(g.contract, g.data), hexutil.Uint64(block))
	if err != nil {
		if noState(err) {
			return false, fmt.Errorf("%w: %s at block %d: %v", errNoState, g.what, block, err)
		}
		if reverted(err) {
			return false, fmt.Errorf("%s of %s: %w: the contract has no such function (%v)", g.what, g.contract, chains.ErrUnsupported, err)
		}
		return false, err
	}
	if len(out) == 0 {
		return false, fmt.Errorf("%s of %s: %w: no answer, the contract has no such function", g.what, g.contract, chains.ErrUnsupported)
	}
	if len(out) != 32 {
		return false, fmt.Errorf("%s of %s at block %d: %d bytes returned, want 32", g.what, g.contract, block, len(out))
	}
	v := new(big.Int).SetBytes(out)
	if v.Cmp(big.NewInt(1)) > 0 {
		return false, fmt.Errorf("%s of %s at block %d: returned %s, not a bool", g.what, g.contract, block, hexutil.Encode(out))
	}
	return v.Sign() == 1, nil
}

// first returns the first block of [lo, hi] at whose end the getter is
// true, given that it is true at hi, by binary search (about log2(hi−lo)
// calls). Where the getter turns true more than once in the range, it
// returns one of the blocks where it does.
func (g getter) first(ctx context.Context, lo, hi uint64) (uint64, error) {
	for lo < hi {
		mid := lo + (hi-lo)/2
		ok, err := g.at(ctx, mid)
		if err != nil {
			return 0, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

// callData is the ABI call of sig, a function of one address, with addr.
func callData(sig string, addr chains.Address) []byte {
	h := addressTopic(addr)
	return append(crypto.Keccak256([]byte(sig))[:4], h[:]...)
}

// noState reports whether err is a node saying it keeps no state of the
// block asked: a pruned (non-archive) node. A block in [since, head] the
// node names as unknown ("header not found") is one it has pruned too.
func noState(err error) bool {
	if errors.Is(stateErr(0, err), chains.ErrUnsupported) {
		return true
	}
	return strings.Contains(strings.ToLower(err.Error()), "header not found")
}

// reverted reports whether err is an eth_call that reverted.
func reverted(err error) bool {
	return rpcCode(err) == 3 || strings.Contains(strings.ToLower(err.Error()), "execution reverted")
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
