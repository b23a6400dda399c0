package evmlog

import (
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
)

// Log is one event log as a source read it, in the terms both the
// JSON-RPC node's and the explorer's receipts give.
type Log struct {
	Address common.Address // the contract that emitted it
	Topics  []common.Hash
	Data    []byte
	Tx      chains.TxHash // the transaction that emitted it
	Block   uint64        // the block the transaction is in
	Index   uint64        // the log index, block-wide
	Removed bool          // removed by a reorganisation
}

// position is l's log index as a chains position; ok is false past uint32.
func (l Log) position() (uint32, bool) {
	if l.Index > math.MaxUint32 {
		return 0, false
	}
	return uint32(l.Index), true
}

// topicAddress is the address in the low 20 bytes of an indexed topic.
func topicAddress(h common.Hash) chains.Address {
	var b [20]byte
	copy(b[:], h[12:])
	return chains.NewAddress(chains.FamilyEVM, b)
}

// word returns the i-th 32-byte word of data; the caller has checked its
// length.
func word(data []byte, i int) []byte { return data[32*i : 32*(i+1)] }

// chainIDText is a chain id from a topic or data word, in decimal, as the
// event states it.
func chainIDText(w []byte) string { return new(big.Int).SetBytes(w).String() }
