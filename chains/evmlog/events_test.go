package evmlog

import (
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
	"freezetrace/internal/abilog"
)

// TestTopics: every topic0 constant is keccak256 of its signature.
func TestTopics(t *testing.T) {
	for sig, got := range map[string]common.Hash{
		"Deposit(address,uint256)":                                                                                            DepositTopic,
		"Withdrawal(address,uint256)":                                                                                         WithdrawalTopic,
		"Swap(address,uint256,uint256,uint256,uint256,address)":                                                               topicUniswapV2Swap,
		"Swap(address,address,int256,int256,uint160,uint128,int24)":                                                           topicUniswapV3Swap,
		"TokenExchange(address,int128,uint256,int128,uint256)":                                                                topicCurveExchange,
		"TokenExchangeUnderlying(address,int128,uint256,int128,uint256)":                                                      topicCurveExchangeUnderlying,
		"TokenExchange(address,uint256,uint256,uint256,uint256)":                                                              topicCurveCryptoExchange,
		"Swap(bytes32,address,address,uint256,uint256)":                                                                       topicBalancerSwap,
		"LimitOrderFilled(bytes32,address,address,address,address,address,uint128,uint128,uint128,uint256,bytes32)":           topicZeroExLimitFill,
		"RfqOrderFilled(bytes32,address,address,address,address,uint128,uint128,bytes32)":                                     topicZeroExRfqFill,
		"OtcOrderFilled(bytes32,address,address,address,address,uint128,uint128)":                                             topicZeroExOtcFill,
		"TransformedERC20(address,address,address,uint256,uint256)":                                                           topicZeroExTransformed,
		"Swapped(address,address,address,address,uint256,uint256)":                                                            topicOneInchSwapped,
		"OrderFilled(bytes32,uint256)":                                                                                        topicOneInchOrderFilled,
		"V3FundsDeposited(address,address,uint256,uint256,uint256,uint32,uint32,uint32,uint32,address,address,address,bytes)": topicAcrossV3Deposit,
		"FundsDeposited(bytes32,bytes32,uint256,uint256,uint256,uint256,uint32,uint32,uint32,bytes32,bytes32,bytes32,bytes)":  topicAcrossDeposit,
		"TransferSentToL2(uint256,address,uint256,uint256,uint256,address,uint256)":                                           topicHopToL2,
		"TransferSent(bytes32,uint256,address,uint256,bytes32,uint256,uint256,uint256,uint256)":                               topicHopFromL2,
		"Deposit(address,address,uint256,string)":                                                                             topicThorDeposit,
	} {
		if want := crypto.Keccak256Hash([]byte(sig)); got != want {
			t.Errorf("%s: constant %s, keccak256 %s", sig, got.Hex(), want.Hex())
		}
	}
}

// abiEvent is an event declared as the protocol's source declares it.
type abiEvent abilog.Event

// log packs values (one per argument, in declaration order) into a log of
// the event at emitter, as the EVM would write it.
func (e abiEvent) log(t testing.TB, emitter common.Address, index uint, values ...any) Log {
	t.Helper()
	topics, data := abilog.Event(e).Pack(t, values...)
	return Log{Address: emitter, Topics: topics, Data: data, Block: 100, Tx: chains.TxHash(common.HexToHash("0xaa")), Index: uint64(index)}
}

// The events as the protocols' sources declare them (see events.go).
var (
	evUniV2        = abiEvent{"Swap", []string{"address", "uint256", "uint256", "uint256", "uint256", "address"}, abilog.Indexed(6, 0, 5)}
	evUniV3        = abiEvent{"Swap", []string{"address", "address", "int256", "int256", "uint160", "uint128", "int24"}, abilog.Indexed(7, 0, 1)}
	evCurve        = abiEvent{"TokenExchange", []string{"address", "int128", "uint256", "int128", "uint256"}, abilog.Indexed(5, 0)}
	evCurveUnder   = abiEvent{"TokenExchangeUnderlying", []string{"address", "int128", "uint256", "int128", "uint256"}, abilog.Indexed(5, 0)}
	evCurveCrypto  = abiEvent{"TokenExchange", []string{"address", "uint256", "uint256", "uint256", "uint256"}, abilog.Indexed(5, 0)}
	evBalancer     = abiEvent{"Swap", []string{"bytes32", "address", "address", "uint256", "uint256"}, abilog.Indexed(5, 0, 1, 2)}
	evZeroExLimit  = abiEvent{"LimitOrderFilled", []string{"bytes32", "address", "address", "address", "address", "address", "uint128", "uint128", "uint128", "uint256", "bytes32"}, abilog.Indexed(11)}
	evZeroExRfq    = abiEvent{"RfqOrderFilled", []string{"bytes32", "address", "address", "address", "address", "uint128", "uint128", "bytes32"}, abilog.Indexed(8)}
	evZeroExOtc    = abiEvent{"OtcOrderFilled", []string{"bytes32", "address", "address", "address", "address", "uint128", "uint128"}, abilog.Indexed(7)}
	evZeroExTrans  = abiEvent{"TransformedERC20", []string{"address", "address", "address", "uint256", "uint256"}, abilog.Indexed(5, 0)}
	evOneInchSwap  = abiEvent{"Swapped", []string{"address", "address", "address", "address", "uint256", "uint256"}, abilog.Indexed(6)}
	evOneInchOrder = abiEvent{"OrderFilled", []string{"bytes32", "uint256"}, abilog.Indexed(2)}
	evDeposit      = abiEvent{"Deposit", []string{"address", "uint256"}, abilog.Indexed(2, 0)}
	evWithdrawal   = abiEvent{"Withdrawal", []string{"address", "uint256"}, abilog.Indexed(2, 0)}
	evAcrossV3     = abiEvent{"V3FundsDeposited", []string{"address", "address", "uint256", "uint256", "uint256", "uint32", "uint32", "uint32", "uint32", "address", "address", "address", "bytes"}, abilog.Indexed(13, 4, 5, 9)}
	evAcross       = abiEvent{"FundsDeposited", []string{"bytes32", "bytes32", "uint256", "uint256", "uint256", "uint256", "uint32", "uint32", "uint32", "bytes32", "bytes32", "bytes32", "bytes"}, abilog.Indexed(13, 4, 5, 9)}
	evHopL1        = abiEvent{"TransferSentToL2", []string{"uint256", "address", "uint256", "uint256", "uint256", "address", "uint256"}, abilog.Indexed(7, 0, 1, 5)}
	evHopL2        = abiEvent{"TransferSent", []string{"bytes32", "uint256", "address", "uint256", "bytes32", "uint256", "uint256", "uint256", "uint256"}, abilog.Indexed(9, 0, 1, 2)}
	evThor         = abiEvent{"Deposit", []string{"address", "address", "uint256", "string"}, abilog.Indexed(4, 0, 1)}
)

var (
	addrA    = common.HexToAddress("0x1111111111111111111111111111111111111111")
	addrB    = common.HexToAddress("0x2222222222222222222222222222222222222222")
	venue    = common.HexToAddress("0x3333333333333333333333333333333333333333")
	wrapper  = common.HexToAddress("0x4444444444444444444444444444444444444444")
	wrappers = []chains.Address{chains.NewAddress(chains.FamilyEVM, wrapper)}
	one      = big.NewInt(1)
	neg      = big.NewInt(-5)
	h32      = [32]byte{1, 2, 3}
)

// recipientWord is addr as a bytes32 recipient.
func recipientWord(a common.Address) [32]byte { return common.BytesToHash(a.Bytes()) }

func TestDecodeEvents(t *testing.T) {
	solana := [32]byte{0xde, 0xad, 31: 0x01}
	evm := func(a common.Address) string { return chains.NewAddress(chains.FamilyEVM, a).String() }
	for _, c := range []struct {
		name      string
		log       Log
		kind      chains.EventKind
		destChain string
		recipient string
	}{
		{"UniswapV2", evUniV2.log(t, venue, 7, addrA, one, big.NewInt(0), big.NewInt(0), one, addrB), chains.EventUniswapV2Swap, "", ""},
		{"UniswapV3", evUniV3.log(t, venue, 7, addrA, addrB, neg, one, one, one, big.NewInt(-887272)), chains.EventUniswapV3Swap, "", ""},
		{"Curve", evCurve.log(t, venue, 7, addrA, big.NewInt(0), one, big.NewInt(2), one), chains.EventCurveExchange, "", ""},
		{"CurveUnderlying", evCurveUnder.log(t, venue, 7, addrA, big.NewInt(0), one, big.NewInt(2), one), chains.EventCurveExchange, "", ""},
		{"CurveCrypto", evCurveCrypto.log(t, venue, 7, addrA, big.NewInt(0), one, big.NewInt(2), one), chains.EventCurveExchange, "", ""},
		{"Balancer", evBalancer.log(t, venue, 7, h32, addrA, addrB, one, one), chains.EventBalancerSwap, "", ""},
		{"ZeroExLimit", evZeroExLimit.log(t, venue, 7, h32, addrA, addrB, addrA, addrA, addrB, one, one, one, one, h32), chains.EventZeroExFill, "", ""},
		{"ZeroExRfq", evZeroExRfq.log(t, venue, 7, h32, addrA, addrB, addrA, addrB, one, one, h32), chains.EventZeroExFill, "", ""},
		{"ZeroExOtc", evZeroExOtc.log(t, venue, 7, h32, addrA, addrB, addrA, addrB, one, one), chains.EventZeroExFill, "", ""},
		{"ZeroExTransformed", evZeroExTrans.log(t, venue, 7, addrA, addrA, addrB, one, one), chains.EventZeroExFill, "", ""},
		{"OneInchSwapped", evOneInchSwap.log(t, venue, 7, addrA, addrA, addrB, addrB, one, one), chains.EventOneInchSwap, "", ""},
		{"OneInchOrderFilled", evOneInchOrder.log(t, venue, 7, h32, one), chains.EventOneInchSwap, "", ""},
		{"Wrap", evDeposit.log(t, wrapper, 7, addrA, one), chains.EventWrap, "", ""},
		{"Unwrap", evWithdrawal.log(t, wrapper, 7, addrA, one), chains.EventUnwrap, "", ""},
		{"AcrossV3", evAcrossV3.log(t, venue, 7, addrA, addrB, one, one, big.NewInt(42161), uint32(9), uint32(1), uint32(2), uint32(3), addrA, addrB, addrA, []byte("hi")),
			chains.EventBridgeDeposit, "42161", evm(addrB)},
		{"Across", evAcross.log(t, venue, 7, h32, h32, one, one, big.NewInt(10), big.NewInt(9), uint32(1), uint32(2), uint32(3), recipientWord(addrA), recipientWord(addrB), h32, []byte{}),
			chains.EventBridgeDeposit, "10", evm(addrB)},
		{"AcrossToSolana", evAcross.log(t, venue, 7, h32, h32, one, one, big.NewInt(34268394551451), big.NewInt(9), uint32(1), uint32(2), uint32(3), recipientWord(addrA), solana, h32, []byte{}),
			chains.EventBridgeDeposit, "34268394551451", "0x" + common.Bytes2Hex(solana[:])},
		{"HopL1", evHopL1.log(t, venue, 7, big.NewInt(137), addrB, one, one, one, addrA, one), chains.EventBridgeDeposit, "137", evm(addrB)},
		{"HopL2", evHopL2.log(t, venue, 7, h32, big.NewInt(1), addrB, one, h32, one, one, one, one), chains.EventBridgeDeposit, "1", evm(addrB)},
		{"ThorSwap", evThor.log(t, venue, 7, addrA, common.Address{}, one, "SWAP:BTC.BTC:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:0"),
			chains.EventBridgeDeposit, "BTC", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"},
		{"ThorShort", evThor.log(t, venue, 7, addrA, addrB, one, "=:b:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"), chains.EventBridgeDeposit, "BTC", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"},
		{"ThorAdd", evThor.log(t, venue, 7, addrA, addrB, one, "+:ETH.ETH:thor1xyz"), chains.EventBridgeDeposit, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, notes := DecodeEvents(chains.Ethereum, wrappers, []Log{c.log})
			if len(got) != 1 || len(notes) != 0 {
				t.Fatalf("got %+v, notes %q; want one %s event", got, notes, c.kind)
			}
			e := got[0]
			want := chains.TxEvent{Chain: chains.Ethereum, Tx: c.log.Tx, Block: 100, Position: 7,
				Contract: chains.NewAddress(chains.FamilyEVM, c.log.Address), Kind: c.kind, DestChain: c.destChain, Recipient: c.recipient}
			if e != want {
				t.Errorf("got  %+v\nwant %+v", e, want)
			}
		})
	}
}

// TestDecodeEventsRejects: logs that only look like a venue's give no event.
func TestDecodeEventsRejects(t *testing.T) {
	swap := evUniV2.log(t, venue, 1, addrA, one, one, one, one, addrB)
	short := swap
	short.Data = swap.Data[:100]
	long := swap
	long.Data = append(append([]byte{}, swap.Data...), make([]byte, 32)...)
	fewTopics := swap
	fewTopics.Topics = swap.Topics[:2]
	moreTopics := evCurve.log(t, venue, 1, addrA, one, one, one, one)
	moreTopics.Topics = append(moreTopics.Topics, common.Hash{})
	removed := swap
	removed.Removed = true
	hugeIndex := swap
	hugeIndex.Index = 1 << 33
	across := evAcrossV3.log(t, venue, 1, addrA, addrB, one, one, one, uint32(9), uint32(1), uint32(2), uint32(3), addrA, addrB, addrA, []byte{})
	acrossShort := across
	acrossShort.Data = across.Data[:32*8]
	depositTopics := evDeposit.log(t, wrapper, 1, addrA, one)
	depositTopics.Topics = depositTopics.Topics[:1]
	for _, c := range []struct {
		name  string
		log   Log
		notes int
	}{
		{"ShortData", short, 1},
		{"LongData", long, 1},
		{"TooFewTopics", fewTopics, 1},
		{"TooManyTopics", moreTopics, 1},
		{"Removed", removed, 0},
		{"IndexPastUint32", hugeIndex, 0},
		{"AcrossShortData", acrossShort, 1},
		{"DepositOfNonWrapper", evDeposit.log(t, venue, 1, addrA, one), 0},
		{"WithdrawalOfNonWrapper", evWithdrawal.log(t, venue, 1, addrA, one), 0},
		{"DepositWithoutTopic", depositTopics, 0},
		{"Transfer", Log{Address: venue, Topics: []common.Hash{crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)")), {}, {}}, Data: make([]byte, 32)}, 0},
		{"NoTopics", Log{Address: venue, Data: swap.Data}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, notes := DecodeEvents(chains.Ethereum, wrappers, []Log{c.log})
			if len(got) != 0 || len(notes) != c.notes {
				t.Errorf("got %+v, notes %q; want no event and %d notes", got, notes, c.notes)
			}
		})
	}
	t.Run("NoWrappers", func(t *testing.T) {
		if got, _ := DecodeEvents(chains.Ethereum, nil, []Log{evDeposit.log(t, wrapper, 1, addrA, one)}); len(got) != 0 {
			t.Errorf("got %+v, want nothing without wrappers", got)
		}
	})
	t.Run("Order", func(t *testing.T) {
		logs := []Log{evUniV2.log(t, venue, 3, addrA, one, one, one, one, addrB), short, evWithdrawal.log(t, wrapper, 5, addrA, one)}
		got, _ := DecodeEvents(chains.Ethereum, wrappers, logs)
		if len(got) != 2 || got[0].Position != 3 || got[1].Position != 5 || got[1].Kind != chains.EventUnwrap {
			t.Errorf("got %+v, want the swap at 3 then the unwrap at 5", got)
		}
		if again, _ := DecodeEvents(chains.Ethereum, wrappers, append(logs, logs[0])); len(again) != 2 {
			t.Errorf("a log given twice: got %+v, want it once", again)
		}
	})
}

// TestThorMemo: the memo's destination, bounded; unreadable memos keep the
// event with no destination.
func TestThorMemo(t *testing.T) {
	for _, c := range []struct{ memo, chain, recipient string }{
		{"SWAP:ETH.USDT-0xdac17f958d2ee523a2206206994597c13d831ec7:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0:1612345678", "ETH", "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0"},
		{"s:BTC/BTC:thor1el4ufmhll3yw7zxzszvfakrk66j7fx0tvcslym", "BTC", "thor1el4ufmhll3yw7zxzszvfakrk66j7fx0tvcslym"},
		{"=:e:dx:161e6:t:10", "ETH", "dx"},
		{"=:r:thor1el4ufmhll3yw7zxzszvfakrk66j7fx0tvcslym", "THOR", "thor1el4ufmhll3yw7zxzszvfakrk66j7fx0tvcslym"},
		{"=:BTC~BTC:bc1q", "BTC", "bc1q"},
		{"swap:gaia.atom:cosmos1abc", "GAIA", "cosmos1abc"},
		{"=:ETH.ETH", "ETH", ""},
		{"=:zz:addr", "", "addr"},
		{"=:BTC.BTC:bc1q\u202eevil", "BTC", ""},
		{"=:BTC.BTC:" + strings.Repeat("a", 200), "BTC", ""},
		{"=:B\x00C.BTC:bc1q", "", "bc1q"},
		{"ADD:BTC.BTC:thor1", "", ""},
		{"", "", ""},
		{"noop", "", ""},
	} {
		if ch, r := ParseThorMemo(c.memo); ch != c.chain || r != c.recipient {
			t.Errorf("%q: got %q %q, want %q %q", c.memo, ch, r, c.chain, c.recipient)
		}
	}
	t.Run("LongMemoCut", func(t *testing.T) {
		memo := "=:BTC.BTC:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:" + strings.Repeat("9", 400)
		got, notes := DecodeEvents(chains.Ethereum, nil, []Log{evThor.log(t, venue, 1, addrA, addrB, one, memo)})
		if len(got) != 1 || got[0].DestChain != "BTC" || got[0].Recipient != "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh" {
			t.Errorf("got %+v", got)
		}
		if len(notes) != 1 || !strings.Contains(notes[0], "cut to 256") {
			t.Errorf("notes %q, want one saying the memo was cut", notes)
		}
	})
	t.Run("BadOffset", func(t *testing.T) {
		l := evThor.log(t, venue, 1, addrA, addrB, one, "=:b:bc1q")
		for name, mutate := range map[string]func(d []byte){
			"OffsetPastEnd": func(d []byte) { copy(d[32:64], common.LeftPadBytes([]byte{0xff, 0xff}, 32)) },
			"HugeOffset":    func(d []byte) { d[32] = 0xff },
			"LengthPastEnd": func(d []byte) { copy(d[64:96], common.LeftPadBytes([]byte{0x10, 0}, 32)) },
		} {
			bad := l
			bad.Data = append([]byte{}, l.Data...)
			mutate(bad.Data)
			got, notes := DecodeEvents(chains.Ethereum, nil, []Log{bad})
			if len(got) != 1 || got[0].DestChain != "" || got[0].Recipient != "" || len(notes) != 1 {
				t.Errorf("%s: got %+v, notes %q; want the deposit without a destination, and a note", name, got, notes)
			}
		}
	})
}

func TestDecodeWrap(t *testing.T) {
	w := chains.NewAddress(chains.FamilyEVM, wrapper)
	a := chains.NewAddress(chains.FamilyEVM, addrA)
	asset := chains.AssetID{Chain: chains.Ethereum, Contract: w}
	amount := big.NewInt(1234)
	for _, c := range []struct {
		name     string
		log      Log
		from, to chains.Address
	}{
		{"Deposit", evDeposit.log(t, wrapper, 9, addrA, amount), w, a},
		{"Withdrawal", evWithdrawal.log(t, wrapper, 9, addrA, amount), a, w},
	} {
		got, ok := DecodeWrap(chains.Ethereum, wrappers, c.log)
		if !ok || got.From != c.from || got.To != c.to || got.Asset != asset || got.Position != 9 || got.Block != 100 ||
			got.Amount.Cmp(chains.NewAmount(1234)) != 0 || got.Tx != c.log.Tx {
			t.Errorf("%s: got %+v %v", c.name, got, ok)
		}
	}
	if _, ok := DecodeWrap(chains.Ethereum, wrappers, evDeposit.log(t, venue, 9, addrA, amount)); ok {
		t.Error("a Deposit of a contract not in wrappers decoded as a transfer")
	}
	if _, ok := DecodeWrap(chains.Ethereum, wrappers, evUniV2.log(t, wrapper, 9, addrA, one, one, one, one, addrB)); ok {
		t.Error("a swap decoded as a wrap")
	}
	removed := evDeposit.log(t, wrapper, 9, addrA, amount)
	removed.Removed = true
	if _, ok := DecodeWrap(chains.Ethereum, wrappers, removed); ok {
		t.Error("a removed Deposit decoded as a transfer")
	}
	huge := evWithdrawal.log(t, wrapper, 9, addrA, amount)
	huge.Index = 1 << 32
	if _, ok := DecodeWrap(chains.Ethereum, wrappers, huge); ok {
		t.Error("a Withdrawal whose log index is past uint32 decoded as a transfer")
	}
	if got := DefaultWrappers(chains.Ethereum); len(got) != 1 || got[0] != MainnetWETH {
		t.Errorf("default wrappers on ethereum: %v", got)
	}
	if got := DefaultWrappers(chains.BSC); len(got) != 0 {
		t.Errorf("default wrappers on bsc: %v", got)
	}
}

// FuzzDecodeEvents: whatever a log holds, DecodeEvents does not panic,
// gives at most one event for it (given twice, as a lying node might), of
// a known kind, at its log index, wraps only from a wrapper, and bounded
// destination fields on bridge deposits only.
func FuzzDecodeEvents(f *testing.F) {
	t := f
	seeds := []Log{
		evUniV2.log(t, venue, 1, addrA, one, one, one, one, addrB),
		evAcrossV3.log(t, venue, 2, addrA, addrB, one, one, one, uint32(9), uint32(1), uint32(2), uint32(3), addrA, addrB, addrA, []byte("x")),
		evThor.log(t, venue, 3, addrA, addrB, one, "=:b:bc1q"),
		evDeposit.log(t, wrapper, 4, addrA, one),
	}
	for i, l := range seeds {
		f.Add(uint8(i), uint8(len(l.Topics)), []byte(l.Data), true)
	}
	topics := make([]common.Hash, 0, len(eventSpecs)+2)
	for h := range eventSpecs {
		topics = append(topics, h)
	}
	topics = append(topics, DepositTopic, WithdrawalTopic)
	slices.SortFunc(topics, func(a, b common.Hash) int { return a.Cmp(b) })
	f.Fuzz(func(t *testing.T, pick, ntopics uint8, data []byte, fromWrapper bool) {
		l := Log{Address: venue, Data: data, Index: uint64(pick)}
		if fromWrapper {
			l.Address = wrapper
		}
		if ntopics%6 > 0 {
			l.Topics = append(l.Topics, topics[int(pick)%len(topics)])
			for i := 1; i < int(ntopics%6); i++ {
				var h common.Hash
				copy(h[:], data[min(len(data), i*7):])
				l.Topics = append(l.Topics, h)
			}
		}
		got, notes := DecodeEvents(chains.Ethereum, wrappers, []Log{l, l})
		if len(got) > 1 || len(notes) > 1 {
			t.Fatalf("%d events and %d notes from two copies of one log", len(got), len(notes))
		}
		for _, e := range got {
			if e.Position != uint32(pick) || len(e.DestChain) > 80 || len(e.Recipient) > 130 {
				t.Errorf("event %+v", e)
			}
			if !slices.Contains(chains.EventKinds, e.Kind) {
				t.Errorf("unknown kind %q", e.Kind)
			}
			if (e.Kind == chains.EventWrap || e.Kind == chains.EventUnwrap) && !fromWrapper {
				t.Errorf("%s from a contract that is not a wrapper", e.Kind)
			}
			if e.Kind != chains.EventBridgeDeposit && (e.DestChain != "" || e.Recipient != "") {
				t.Errorf("%s with a destination: %+v", e.Kind, e)
			}
		}
	})
}
