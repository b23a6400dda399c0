package evm

import (
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
	"freezetrace/internal/abilog"
)

// The decoding of events itself is package evmlog's, and tested there;
// these tests hold the Source to the receipt it reads.

// TestTransferTopic: TransferTopic is keccak256 of its signature.
func TestTransferTopic(t *testing.T) {
	if want := crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)")); TransferTopic != want {
		t.Errorf("TransferTopic %s, keccak256 %s", TransferTopic.Hex(), want.Hex())
	}
}

// abiEvent is an event declared as the protocol's source declares it.
type abiEvent abilog.Event

// log packs values (one per argument, in declaration order) into a log of
// the event at emitter, as the EVM would write it.
func (e abiEvent) log(t testing.TB, emitter common.Address, index uint, values ...any) Log {
	t.Helper()
	topics, data := abilog.Event(e).Pack(t, values...)
	return Log{Address: emitter, Topics: topics, Data: data, BlockNumber: 100, TxHash: common.HexToHash("0xaa"), Index: hexutil.Uint64(index)}
}

// The events TestTxEvents reads, as Uniswap V2 and WETH9 declare them.
var (
	evUniV2      = abiEvent{"Swap", []string{"address", "uint256", "uint256", "uint256", "uint256", "address"}, []bool{true, false, false, false, false, true}}
	evWithdrawal = abiEvent{"Withdrawal", []string{"address", "uint256"}, []bool{true, false}}
)

var (
	addrA = common.HexToAddress("0x1111111111111111111111111111111111111111")
	addrB = common.HexToAddress("0x2222222222222222222222222222222222222222")
	venue = common.HexToAddress("0x3333333333333333333333333333333333333333")
	one   = big.NewInt(1)
)

// receiptNode answers eth_chainId and eth_getTransactionReceipt with
// receipt (JSON null when nil).
func receiptNode(t *testing.T, receipt map[string]any) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var q struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		json.Unmarshal(body, &q)
		m := map[string]any{"jsonrpc": "2.0", "id": q.ID}
		switch q.Method {
		case "eth_chainId":
			m["result"] = "0x1"
		case "eth_getTransactionReceipt":
			m["result"] = receipt
		default:
			m["error"] = map[string]any{"code": -32601, "message": "no " + q.Method}
		}
		json.NewEncoder(w).Encode(m)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTxEvents(t *testing.T) {
	tx := chains.TxHash(common.HexToHash("0xaa"))
	swap := evUniV2.log(t, venue, 4, addrA, one, one, one, one, addrB)
	weth := common.Address(evmlog.MainnetWETH.Bytes())
	unwrap := evWithdrawal.log(t, weth, 5, addrA, one)
	receipt := func(status string) map[string]any {
		return map[string]any{"transactionHash": common.Hash(tx), "transactionIndex": "0x0", "blockNumber": "0x64", "blockHash": common.Hash{1},
			"status": status, "logs": []Log{swap, unwrap}}
	}
	t.Run("OK", func(t *testing.T) {
		// No Wrappers given: mainnet WETH is the default on ethereum.
		src, err := Dial(t.Context(), receiptNode(t, receipt("0x1")).URL, chains.Ethereum, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		got, err := src.TxEvents(t.Context(), chains.Ethereum, tx)
		if err != nil || len(got) != 2 || got[0].Kind != chains.EventUniswapV2Swap || got[1].Kind != chains.EventUnwrap || got[1].Contract != evmlog.MainnetWETH {
			t.Errorf("got %+v %v", got, err)
		}
		if n := src.Stats().Calls; n != 2 {
			t.Errorf("%d calls, want 2 (chain id, receipt)", n)
		}
	})
	t.Run("NoWrappers", func(t *testing.T) {
		src, err := Dial(t.Context(), receiptNode(t, receipt("0x1")).URL, chains.Ethereum, Options{Wrappers: []chains.Address{}})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		got, err := src.TxEvents(t.Context(), chains.Ethereum, tx)
		if err != nil || len(got) != 1 || got[0].Kind != chains.EventUniswapV2Swap {
			t.Errorf("got %+v %v, want the swap alone", got, err)
		}
	})
	t.Run("Reverted", func(t *testing.T) {
		src, err := Dial(t.Context(), receiptNode(t, receipt("0x0")).URL, chains.Ethereum, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		got, err := src.TxEvents(t.Context(), chains.Ethereum, tx)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %#v %v, want an empty slice", got, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		src, err := Dial(t.Context(), receiptNode(t, nil).URL, chains.Ethereum, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if _, err := src.TxEvents(t.Context(), chains.Ethereum, tx); !errors.Is(err, chains.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
		if _, err := src.TxEvents(t.Context(), chains.BSC, tx); !errors.Is(err, chains.ErrUnsupported) {
			t.Errorf("other chain: got %v, want ErrUnsupported", err)
		}
	})
}
