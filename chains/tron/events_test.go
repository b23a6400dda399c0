package tron

import (
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/sha3"

	"freezetrace/chains"
)

// TestEventTopics recomputes each topic0 from its signature.
func TestEventTopics(t *testing.T) {
	for sig, topic := range map[string]string{
		"Swap(address,uint256,uint256,uint256,uint256,address)": swapV2Topic,
		"TokenPurchase(address,uint256,uint256)":                tokenPurchaseTopic,
		"TrxPurchase(address,uint256,uint256)":                  trxPurchaseTopic,
		"Deposit(address,uint256)":                              depositTopic,
		"Withdrawal(address,uint256)":                           withdrawalTopic,
	} {
		k := sha3.NewLegacyKeccak256()
		k.Write([]byte(sig))
		if got := hex.EncodeToString(k.Sum(nil)); got != topic {
			t.Errorf("%s: topic %s, want %s", sig, topic, got)
		}
	}
}

// evLog is a receipt log entry as JSON.
func evLog(contract string, data string, topics ...string) string {
	b, _ := json.Marshal(map[string]any{"address": contract, "topics": topics, "data": data})
	return string(b)
}

func evReceipt(failed bool, logs ...string) string {
	res := ""
	if failed {
		res = `"result":"FAILED",`
	}
	return `{"id":"ab","blockNumber":7,"blockTimeStamp":1717419792000,` + res + `"receipt":{"result":"SUCCESS"},"log":[` + strings.Join(logs, ",") + `]}`
}

// TestEvents decodes each known event, and skips the same names in other
// shapes and wrap events from contracts that are not wrappers.
func TestEvents(t *testing.T) {
	w := func(n int) string { return strings.Repeat("00", 32*n) }
	top := strings.Repeat("00", 12) + strings.Repeat("5a", 20)
	pair := "a614f803b6fd780986a42c78ec9c7f77e6ded13c"
	wtrxHex := "41" + hex.EncodeToString(func() []byte { b := wtrx.Bytes(); return b[:] }())
	other := strings.Repeat("77", 20)
	receipt := evReceipt(false,
		evLog(pair, w(4), swapV2Topic, top, top),                                  // 0 Swap
		evLog(pair, w(3), swapV2Topic, top, top),                                  // 1 Swap with 3 words: skipped
		evLog(other, "", tokenPurchaseTopic, top, w(1), w(1)),                     // 2 TokenPurchase
		evLog(other, "", "0x"+strings.ToUpper(trxPurchaseTopic), top, w(1), w(1)), // 3 TrxPurchase, 0x and upper case
		evLog(other, w(1), tokenPurchaseTopic, top, w(1), w(1)),                   // 4 data: not JustSwap's
		evLog(wtrxHex, w(1), depositTopic, top),                                   // 5 Deposit of WTRX
		evLog(other, w(1), depositTopic, top),                                     // 6 Deposit of another contract: skipped
		evLog(wtrxHex, w(1), withdrawalTopic, top),                                // 7 Withdrawal of WTRX
		evLog(wtrxHex, w(1), withdrawalTopic, top, top),                           // 8 two indexed arguments: skipped
		evLog(pair, "zz", swapV2Topic, top, top),                                  // 9 bad hex: skipped
	)
	var r txInfoResp
	if err := json.Unmarshal([]byte(receipt), &r); err != nil {
		t.Fatal(err)
	}
	evs, err := r.events(chains.TxHash{1}, wrapperSet(nil))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		pos  uint32
		kind chains.EventKind
	}
	var gs []got
	for _, e := range evs {
		gs = append(gs, got{e.Position, e.Kind})
		if e.Block != 7 || e.Chain != chains.Tron || e.Contract.Family() != chains.FamilyTRON {
			t.Errorf("event %+v", e)
		}
	}
	want := []got{{0, chains.EventUniswapV2Swap}, {2, chains.EventSunSwapV1}, {3, chains.EventSunSwapV1}, {5, chains.EventWrap}, {7, chains.EventUnwrap}}
	if !slices.Equal(gs, want) {
		t.Fatalf("got %v, want %v", gs, want)
	}
	if evs[0].Contract != chains.MustParseAddress("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") {
		t.Errorf("swap contract %s", evs[0].Contract)
	}

	t.Run("Failed", func(t *testing.T) {
		var r txInfoResp
		json.Unmarshal([]byte(evReceipt(true, evLog(pair, w(4), swapV2Topic, top, top))), &r)
		evs, err := r.events(chains.TxHash{1}, wrapperSet(nil))
		if err != nil || evs == nil || len(evs) != 0 {
			t.Fatalf("got %v, %v; want an empty slice", evs, err)
		}
	})
	t.Run("BadContract", func(t *testing.T) {
		var r txInfoResp
		json.Unmarshal([]byte(evReceipt(false, evLog("41zz", w(4), swapV2Topic, top, top))), &r)
		if _, err := r.events(chains.TxHash{1}, wrapperSet(nil)); err == nil {
			t.Fatal("no error for a Swap from a bad address")
		}
	})
}

// TestInternalTransfers decodes the TRX of internal transactions: rejected,
// zero-value, TRC-10 and self transfers give nothing.
func TestInternalTransfers(t *testing.T) {
	a, b := "41"+strings.Repeat("5a", 20), "41"+strings.Repeat("6b", 20)
	in := func(from, to, value string, rejected bool) string {
		return `{"caller_address":"` + from + `","transferTo_address":"` + to + `","callValueInfo":[` + value + `],"note":"63616c6c","rejected":` + map[bool]string{true: "true", false: "false"}[rejected] + `}`
	}
	body := `{"id":"ab","blockNumber":9,"blockTimeStamp":1717419792000,"receipt":{"result":"SUCCESS"},"internal_transactions":[` +
		strings.Join([]string{
			in(a, b, `{}`, false),                                  // 0 a call without value
			in(a, b, `{"callValue":5}`, false),                     // 1 5 sun
			in(a, b, `{"callValue":7}`, true),                      // 2 rejected
			in(a, b, `{"callValue":9,"tokenId":"1002000"}`, false), // 3 TRC-10
			in(a, a, `{"callValue":3}`, false),                     // 4 to itself
			in(b, a, `{"callValue":2},{"callValue":4}`, false),     // 5 6 sun
		}, ",") + `]}`
	var r txInfoResp
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	ts, err := r.internalTransfers(chains.TxHash{1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Position != 2 || ts[0].Amount.String() != "5" || ts[1].Position != 6 || ts[1].Amount.String() != "6" ||
		!ts[0].Asset.IsNative() || ts[0].Block != 9 || ts[1].From.String() != chains.MustParseAddress(b).String() {
		t.Fatalf("got %+v", ts)
	}
	r.Result = "FAILED"
	if ts, err := r.internalTransfers(chains.TxHash{1}); err != nil || len(ts) != 0 {
		t.Fatalf("failed tx: %+v, %v", ts, err)
	}
}
