package chains

import "context"

// EventKind names an event that shows what a transaction did with a venue:
// a swap at a DEX, a wrap or unwrap of the native coin, a deposit into a
// bridge. The trace engine converts taint only across transactions whose
// events show a swap or a wrap (EventKind.Converts).
type EventKind string

// The event kinds sources decode.
const (
	EventUniswapV2Swap EventKind = "uniswap_v2_swap" // Swap(address,uint256,uint256,uint256,uint256,address): Uniswap V2 pairs and forks (SushiSwap, SunSwap V2)
	EventUniswapV3Swap EventKind = "uniswap_v3_swap" // Swap(address,address,int256,int256,uint160,uint128,int24): Uniswap V3 pools and forks
	EventCurveExchange EventKind = "curve_exchange"  // TokenExchange / TokenExchangeUnderlying: Curve pools
	EventBalancerSwap  EventKind = "balancer_swap"   // Swap(bytes32,address,address,uint256,uint256): the Balancer V2 vault
	EventZeroExFill    EventKind = "0x_fill"         // 0x Exchange fills (LimitOrderFilled, RfqOrderFilled, OtcOrderFilled, TransformedERC20)
	EventOneInchSwap   EventKind = "1inch_swap"      // 1inch aggregation router Swapped / OrderFilled
	EventSunSwapV1     EventKind = "sunswap_v1_swap" // TokenPurchase / TrxPurchase: SunSwap V1 (JustSwap) exchanges on TRON
	EventWrap          EventKind = "wrap"            // Deposit(address,uint256) of a native-coin wrapper (WETH9, WTRX)
	EventUnwrap        EventKind = "unwrap"          // Withdrawal(address,uint256) of a native-coin wrapper
	EventBridgeDeposit EventKind = "bridge_deposit"  // a bridge's deposit event (Across, Hop, THORChain router)
)

// EventKinds lists every kind in a fixed order.
var EventKinds = []EventKind{
	EventUniswapV2Swap, EventUniswapV3Swap, EventCurveExchange, EventBalancerSwap, EventZeroExFill,
	EventOneInchSwap, EventSunSwapV1, EventWrap, EventUnwrap, EventBridgeDeposit,
}

// Converts reports whether an event of kind k shows a conversion of one
// asset into another inside its transaction: a swap, a wrap or an unwrap.
func (k EventKind) Converts() bool {
	switch k {
	case EventUniswapV2Swap, EventUniswapV3Swap, EventCurveExchange, EventBalancerSwap,
		EventZeroExFill, EventOneInchSwap, EventSunSwapV1, EventWrap, EventUnwrap:
		return true
	}
	return false
}

// TxEvent is one event of a transaction that a source recognised (see the
// EventKind constants), with where it sits. The amounts of a swap are not
// read from it: the transaction's transfers say what each address sent and
// received; the event is the evidence that a venue converted them.
type TxEvent struct {
	Chain    Chain     `json:"chain"`
	Tx       TxHash    `json:"tx"`
	Block    uint64    `json:"block"`
	Position uint32    `json:"position"` // the log index (block-wide on EVM chains, within the transaction on TRON)
	Contract Address   `json:"contract"` // the contract that emitted it
	Kind     EventKind `json:"kind"`
	// DestChain and Recipient are where a bridge deposit goes, as its event
	// names them (a chain id, "BTC", a THORChain memo's chain), when it
	// names them; empty otherwise. They are the event's own words, not
	// parsed addresses: a destination chain freezetrace does not know is
	// still named.
	DestChain string `json:"dest_chain,omitempty"`
	Recipient string `json:"recipient,omitempty"`
}

// EventReader is implemented by sources that can read the events of a
// transaction. TxEvents returns the events of transaction tx of the kinds
// the source recognises, in log order, each once; an empty slice (not an
// error) when it emitted none. ErrNotFound when the source does not know tx;
// ErrUnsupported for a chain the source does not serve. A reverted
// transaction has no events.
//
// The trace engine asks for it only for transactions in which a tainted
// address sends to a contract (or a bridge), never for a chain's range.
type EventReader interface {
	TxEvents(ctx context.Context, chain Chain, tx TxHash) ([]TxEvent, error)
}
