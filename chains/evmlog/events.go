package evmlog

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
)

// Topic0 of the events DecodeEvents recognises: keccak256 of the canonical
// signature named beside each (events_test.go checks every one). Where a
// signature was taken from is named too; the indexed arguments decide how
// many topics a log of the event carries.
var (
	// Uniswap V2 pair (Uniswap/v2-core UniswapV2Pair.sol): Swap(address
	// indexed sender, uint amount0In, uint amount1In, uint amount0Out, uint
	// amount1Out, address indexed to).
	topicUniswapV2Swap = common.HexToHash("0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822") // Swap(address,uint256,uint256,uint256,uint256,address)
	// Uniswap V3 pool (Uniswap/v3-core IUniswapV3PoolEvents.sol): Swap(address
	// indexed sender, address indexed recipient, int256 amount0, int256
	// amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick).
	topicUniswapV3Swap = common.HexToHash("0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67") // Swap(address,address,int256,int256,uint160,uint128,int24)
	// Curve pools (curvefi/curve-contract contracts/pools/*): TokenExchange
	// and TokenExchangeUnderlying(buyer: indexed(address), sold_id: int128,
	// tokens_sold: uint256, bought_id: int128, tokens_bought: uint256).
	topicCurveExchange           = common.HexToHash("0x8b3e96f2b889fa771c53c981b40daf005f63f637f1869f707052d15a3dd97140") // TokenExchange(address,int128,uint256,int128,uint256)
	topicCurveExchangeUnderlying = common.HexToHash("0xd013ca23e77a65003c2c659c5442c00c805371b7fc1ebd4c206c41d1536bd90b") // TokenExchangeUnderlying(address,int128,uint256,int128,uint256)
	// Curve crypto pools (curvefi/curve-crypto-contract contracts/*): the
	// same event with uint256 coin indices.
	topicCurveCryptoExchange = common.HexToHash("0xb2e76ae99761dc136e598d4a629bb347eccb9532a5f8bbd72e18467c3c34cc98") // TokenExchange(address,uint256,uint256,uint256,uint256)
	// Balancer V2 vault (balancer-v2-monorepo IVault.sol): Swap(bytes32
	// indexed poolId, IERC20 indexed tokenIn, IERC20 indexed tokenOut,
	// uint256 amountIn, uint256 amountOut).
	topicBalancerSwap = common.HexToHash("0x2170c741c41531aec20e7c107c24eecfdd15e69c9bb0a8dd37b1840b9e0b207b") // Swap(bytes32,address,address,uint256,uint256)
	// 0x Exchange Proxy (0xProject/protocol contracts/zero-ex
	// INativeOrdersEvents.sol, IOtcOrdersFeature.sol,
	// ITransformERC20Feature.sol): no argument indexed but
	// TransformedERC20's taker.
	topicZeroExLimitFill   = common.HexToHash("0xab614d2b738543c0ea21f56347cf696a3a0c42a7cbec3212a5ca22a4dcff2124") // LimitOrderFilled(bytes32,address,address,address,address,address,uint128,uint128,uint128,uint256,bytes32)
	topicZeroExRfqFill     = common.HexToHash("0x829fa99d94dc4636925b38632e625736a614c154d55006b7ab6bea979c210c32") // RfqOrderFilled(bytes32,address,address,address,address,uint128,uint128,bytes32)
	topicZeroExOtcFill     = common.HexToHash("0xac75f773e3a92f1a02b12134d65e1f47f8a14eabe4eaf1e24624918e6a8b269f") // OtcOrderFilled(bytes32,address,address,address,address,uint128,uint128)
	topicZeroExTransformed = common.HexToHash("0x0f6672f78a59ba8e5e5b5d38df3ebc67f3c792e2c9259b8d97d7f00dd78ba1b3") // TransformedERC20(address,address,address,uint256,uint256)
	// 1inch: the aggregation router's Swapped(address sender, IERC20
	// srcToken, IERC20 dstToken, address dstReceiver, uint256 spentAmount,
	// uint256 returnAmount), nothing indexed (AggregationRouterV3/V4), and
	// the limit order protocol's OrderFilled(bytes32 orderHash, uint256
	// remainingAmount) (1inch/limit-order-protocol v4 IOrderMixin.sol).
	topicOneInchSwapped     = common.HexToHash("0xd6d4f5681c246c9f42c203e287975af1601f8df8035a9251f79aab5c8f09e2f8") // Swapped(address,address,address,address,uint256,uint256)
	topicOneInchOrderFilled = common.HexToHash("0xfec331350fce78ba658e082a71da20ac9f8d798a99b3c79681c8440cbfe77e07") // OrderFilled(bytes32,uint256)
	// Across SpokePool (across-protocol/contracts
	// V3SpokePoolInterface.sol): V3FundsDeposited and its successor
	// FundsDeposited, with destinationChainId, depositId and depositor
	// indexed; the recipient is the eighth data word (after inputToken,
	// outputToken, inputAmount, outputAmount, quoteTimestamp, fillDeadline,
	// exclusivityDeadline), an address in the first, a bytes32 in the second.
	topicAcrossV3Deposit = common.HexToHash("0xa123dc29aebf7d0c3322c8eeb5b999e859f39937950ed31056532713d0de396f") // V3FundsDeposited(address,address,uint256,uint256,uint256,uint32,uint32,uint32,uint32,address,address,address,bytes)
	topicAcrossDeposit   = common.HexToHash("0x32ed1a409ef04c7b0227189c3a103dc5ac10e775a15b785dcc510201f7c25ad3") // FundsDeposited(bytes32,bytes32,uint256,uint256,uint256,uint256,uint32,uint32,uint32,bytes32,bytes32,bytes32,bytes)
	// Hop (hop-protocol/contracts, branch v1): L1_Bridge's
	// TransferSentToL2(uint256 indexed chainId, address indexed recipient,
	// uint256 amount, uint256 amountOutMin, uint256 deadline, address
	// indexed relayer, uint256 relayerFee) and L2_Bridge's
	// TransferSent(bytes32 indexed transferId, uint256 indexed chainId,
	// address indexed recipient, uint256 amount, bytes32 transferNonce,
	// uint256 bonderFee, uint256 index, uint256 amountOutMin, uint256
	// deadline).
	topicHopToL2   = common.HexToHash("0x0a0607688c86ec1775abcdbab7b33a3a35a6c9cde677c9be880150c231cc6b0b") // TransferSentToL2(uint256,address,uint256,uint256,uint256,address,uint256)
	topicHopFromL2 = common.HexToHash("0xe35dddd4ea75d7e9b3fe93af4f4e40e778c3da4074c9d93e7c6536f1e803c1eb") // TransferSent(bytes32,uint256,address,uint256,bytes32,uint256,uint256,uint256,uint256)
	// THORChain router (THORChain_Router.sol, as verified on Etherscan):
	// Deposit(address indexed to, address indexed asset, uint amount,
	// string memo); to is the vault, the memo says what THORChain does.
	topicThorDeposit = common.HexToHash("0xef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395") // Deposit(address,address,uint256,string)
)

// eventSpec says how a log of one event looks: how many topics (topic0
// included) and data words it carries, whether the data may be longer (a
// dynamic argument follows the head), and which kind it is. bridge reads a
// bridge deposit's destination; nil for the others, whose presence is all
// the evidence there is.
type eventSpec struct {
	kind    chains.EventKind
	topics  int
	words   int
	dynamic bool
	bridge  func(l Log, ev *chains.TxEvent) (note string)
}

// eventSpecs are the events DecodeEvents recognises, by topic0. WETH9's
// Deposit and Withdrawal are not here: they count only from a wrapper
// (see DecodeEvents).
var eventSpecs = map[common.Hash]eventSpec{
	topicUniswapV2Swap:           {kind: chains.EventUniswapV2Swap, topics: 3, words: 4},
	topicUniswapV3Swap:           {kind: chains.EventUniswapV3Swap, topics: 3, words: 5},
	topicCurveExchange:           {kind: chains.EventCurveExchange, topics: 2, words: 4},
	topicCurveExchangeUnderlying: {kind: chains.EventCurveExchange, topics: 2, words: 4},
	topicCurveCryptoExchange:     {kind: chains.EventCurveExchange, topics: 2, words: 4},
	topicBalancerSwap:            {kind: chains.EventBalancerSwap, topics: 4, words: 2},
	topicZeroExLimitFill:         {kind: chains.EventZeroExFill, topics: 1, words: 11},
	topicZeroExRfqFill:           {kind: chains.EventZeroExFill, topics: 1, words: 8},
	topicZeroExOtcFill:           {kind: chains.EventZeroExFill, topics: 1, words: 7},
	topicZeroExTransformed:       {kind: chains.EventZeroExFill, topics: 2, words: 4},
	topicOneInchSwapped:          {kind: chains.EventOneInchSwap, topics: 1, words: 6},
	topicOneInchOrderFilled:      {kind: chains.EventOneInchSwap, topics: 1, words: 2},
	topicAcrossV3Deposit:         {kind: chains.EventBridgeDeposit, topics: 4, words: 11, dynamic: true, bridge: acrossDeposit},
	topicAcrossDeposit:           {kind: chains.EventBridgeDeposit, topics: 4, words: 11, dynamic: true, bridge: acrossDeposit},
	topicHopToL2:                 {kind: chains.EventBridgeDeposit, topics: 4, words: 4, bridge: hopToL2},
	topicHopFromL2:               {kind: chains.EventBridgeDeposit, topics: 4, words: 6, bridge: hopFromL2},
	topicThorDeposit:             {kind: chains.EventBridgeDeposit, topics: 3, words: 3, dynamic: true, bridge: thorDeposit},
}

// DecodeEvents reads the venue events among the logs of one transaction
// on chain, in log order, each log (by log index) giving at most one
// event: swaps at the DEXes and aggregators of eventSpecs, wraps and
// unwraps (WETH9 Deposit and Withdrawal) by the contracts in wrappers only
// (many contracts emit events of the same signatures), and bridge
// deposits with the destination chain and recipient their events name.
// Each event takes Tx, Block and Position (the log index) from its log.
//
// Every log is untrusted. A log whose topics or data words do not have
// the event's shape is skipped, not an error: for a swap only the event's
// presence is evidence. A log removed by a reorganisation, or whose index
// does not fit a position, is skipped too. A THORChain deposit whose memo
// cannot be read, or names no swap, is kept with DestChain and Recipient
// empty; a memo is read to its first 256 bytes. notes say what was skipped
// or cut, one line each, for the caller to show or drop. events is never
// nil.
func DecodeEvents(chain chains.Chain, wrappers []chains.Address, logs []Log) (events []chains.TxEvent, notes []string) {
	events = []chains.TxEvent{}
	seen := make(map[uint64]bool, len(logs))
	for _, l := range logs {
		pos, ok := l.position()
		if l.Removed || len(l.Topics) == 0 || !ok || seen[l.Index] {
			continue
		}
		seen[l.Index] = true
		ev := chains.TxEvent{
			Chain: chain, Tx: l.Tx, Block: l.Block, Position: pos,
			Contract: chains.NewAddress(chains.FamilyEVM, l.Address),
		}
		if kind, ok := wrapKind(wrappers, l); ok {
			ev.Kind = kind
			events = append(events, ev)
			continue
		}
		spec, ok := eventSpecs[l.Topics[0]]
		if !ok {
			continue
		}
		if !spec.fits(l) {
			notes = append(notes, fmt.Sprintf("log %d of %s: a %s event of the wrong shape (%d topics, %d data bytes), skipped",
				l.Index, l.Tx, spec.kind, len(l.Topics), len(l.Data)))
			continue
		}
		ev.Kind = spec.kind
		if spec.bridge != nil {
			if note := spec.bridge(l, &ev); note != "" {
				notes = append(notes, fmt.Sprintf("log %d of %s: %s", l.Index, l.Tx, note))
			}
		}
		events = append(events, ev)
	}
	return events, notes
}

// fits reports whether l has the topics and data of the event.
func (e eventSpec) fits(l Log) bool {
	if len(l.Topics) != e.topics {
		return false
	}
	if e.dynamic {
		return len(l.Data) >= 32*e.words && len(l.Data)%32 == 0
	}
	return len(l.Data) == 32*e.words
}

// bytes32Recipient shows a bytes32 recipient: an EVM address (EIP-55) when
// its first 12 bytes are zero, else the 32 bytes in hex (a Solana key, say).
func bytes32Recipient(w []byte) string {
	for _, b := range w[:12] {
		if b != 0 {
			return "0x" + common.Bytes2Hex(w)
		}
	}
	return topicAddress(common.BytesToHash(w)).String()
}

// acrossDeposit reads an Across deposit: the destination chain id from
// topic1, the recipient from the eighth data word.
func acrossDeposit(l Log, ev *chains.TxEvent) string {
	ev.DestChain = chainIDText(l.Topics[1][:])
	ev.Recipient = bytes32Recipient(word(l.Data, 7))
	return ""
}

// hopToL2 reads Hop's L1 deposit: chain id and recipient are topics.
func hopToL2(l Log, ev *chains.TxEvent) string {
	ev.DestChain = chainIDText(l.Topics[1][:])
	ev.Recipient = topicAddress(l.Topics[2]).String()
	return ""
}

// hopFromL2 reads Hop's L2 deposit: topic1 is the transfer id, then chain
// id and recipient.
func hopFromL2(l Log, ev *chains.TxEvent) string {
	ev.DestChain = chainIDText(l.Topics[2][:])
	ev.Recipient = topicAddress(l.Topics[3]).String()
	return ""
}
