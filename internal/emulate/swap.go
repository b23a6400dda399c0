package emulate

import (
	"bytes"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// Mainnet contracts of a scripted swap: WETH9, Uniswap V2's Router02 and
// its USDT/WETH pair.
var (
	WETH            = common.HexToAddress("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2")
	UniswapV2Router = common.HexToAddress("0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D")
	USDTWETHPair    = common.HexToAddress("0x0d4a11d5EEaaC28EC3F61d100daF4d40471f1852")
)

// Topic0 of the events a scripted swap emits, keccak256 of the signature
// beside each.
var (
	SwapV2Topic     = common.HexToHash("0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822") // Swap(address,uint256,uint256,uint256,uint256,address)
	SyncTopic       = common.HexToHash("0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1") // Sync(uint112,uint112)
	WithdrawalTopic = common.HexToHash("0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65") // Withdrawal(address,uint256)
)

var (
	selSwapExactTokensForETH = []byte{0x18, 0xcb, 0xaf, 0xe5}
	selSwap                  = []byte{0x02, 0x2c, 0x0d, 0x9f}
	selWithdraw              = []byte{0x2e, 0x1a, 0x7d, 0x4d}
	selGetReserves           = []byte{0x09, 0x02, 0xf1, 0xac}
)

func addrTopic(a common.Address) common.Hash { return common.BytesToHash(a[:]) }

func bigWord(v *big.Int) []byte { return word(v.Bytes()) }

// TransferLog is token's Transfer(from, to, value) log.
func TransferLog(token, from, to common.Address, value *big.Int) RawLog {
	return RawLog{Address: token, Topics: []common.Hash{TransferTopic, addrTopic(from), addrTopic(to)}, Data: bigWord(value)}
}

// TokenPayment is the transaction in which from calls token's
// transfer(to, value).
func TokenPayment(block uint64, token, from, to common.Address, value *big.Int) ScriptTx {
	return ScriptTx{Block: block, From: from, To: token, Input: slices.Concat(selTransfer, word(to[:]), bigWord(value)),
		Logs: []RawLog{TransferLog(token, from, to, value)}}
}

// EtherPayment is the transaction in which from pays to wei.
func EtherPayment(block uint64, from, to common.Address, wei *big.Int) ScriptTx {
	return ScriptTx{Block: block, From: from, To: to, Value: wei}
}

// SwapForETH is a Uniswap V2 swapExactTokensForETH: Trader sells In of
// Token through Router and Pair for Out wei. Reserves are the pair's
// Token and WETH reserves after the swap (its Sync log).
type SwapForETH struct {
	Block                 uint64
	Trader, Router, Pair  common.Address
	Token, WETH           common.Address
	In, Out               *big.Int
	TokenAfter, WETHAfter *big.Int
}

// Tx is the swap's transaction as the router makes it: the receipt's logs
// in the order the contracts emit them (Token Transfer trader → pair,
// WETH Transfer pair → router, the pair's Sync and Swap, WETH's
// Withdrawal by the router), and the call frames with the two internal
// ether transfers (WETH → router as it unwraps, router → trader).
func (s SwapForETH) Tx() ScriptTx {
	wethFirst := bytes.Compare(s.WETH[:], s.Token[:]) < 0 // the pair's token0 is the lower address
	zero := new(big.Int)
	in0, in1, out0, out1 := zero, s.In, s.Out, zero
	r0, r1 := s.WETHAfter, s.TokenAfter
	if !wethFirst {
		in0, in1, out0, out1 = s.In, zero, zero, s.Out
		r0, r1 = s.TokenAfter, s.WETHAfter
	}
	deadline := wordInt(BlockTime(s.Block).Unix() + 1200)
	input := slices.Concat(selSwapExactTokensForETH, bigWord(s.In), wordInt(1), wordInt(160), word(s.Trader[:]), deadline,
		wordInt(2), word(s.Token[:]), word(s.WETH[:]))
	logs := []RawLog{
		TransferLog(s.Token, s.Trader, s.Pair, s.In),
		TransferLog(s.WETH, s.Pair, s.Router, s.Out),
		{Address: s.Pair, Topics: []common.Hash{SyncTopic}, Data: slices.Concat(bigWord(r0), bigWord(r1))},
		{Address: s.Pair, Topics: []common.Hash{SwapV2Topic, addrTopic(s.Router), addrTopic(s.Router)},
			Data: slices.Concat(bigWord(in0), bigWord(in1), bigWord(out0), bigWord(out1))},
		{Address: s.WETH, Topics: []common.Hash{WithdrawalTopic, addrTopic(s.Router)}, Data: bigWord(s.Out)},
	}
	calls := []Call{
		{Type: "STATICCALL", From: s.Router, To: s.Pair, Input: selGetReserves},
		{From: s.Router, To: s.Token, Input: slices.Concat(selTransferFrom, word(s.Trader[:]), word(s.Pair[:]), bigWord(s.In))},
		{From: s.Router, To: s.Pair, Input: slices.Concat(selSwap, bigWord(out0), bigWord(out1), word(s.Router[:]), wordInt(128), wordInt(0)),
			Calls: []Call{
				{From: s.Pair, To: s.WETH, Input: slices.Concat(selTransfer, word(s.Router[:]), bigWord(s.Out))},
				{Type: "STATICCALL", From: s.Pair, To: s.WETH, Input: slices.Concat(selBalanceOf, word(s.Pair[:]))},
				{Type: "STATICCALL", From: s.Pair, To: s.Token, Input: slices.Concat(selBalanceOf, word(s.Pair[:]))},
			}},
		{From: s.Router, To: s.WETH, Input: slices.Concat(selWithdraw, bigWord(s.Out)),
			Calls: []Call{{From: s.WETH, To: s.Router, Value: s.Out}}},
		{From: s.Router, To: s.Trader, Value: s.Out},
	}
	return ScriptTx{Block: s.Block, From: s.Trader, To: s.Router, Input: input, Logs: logs, Calls: calls}
}
