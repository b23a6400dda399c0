package tron

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"freezetrace/chains"
)

// The shapes of the TronGrid and java-tron answers this package reads. Only
// the fields used are declared.

// page is a /v1 listing.
type page[T any] struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
	Data    []T    `json:"data"`
	Meta    struct {
		Fingerprint string `json:"fingerprint"`
	} `json:"meta"`
}

// trc20Item is one entry of /v1/accounts/{a}/transactions/trc20.
type trc20Item struct {
	TransactionID  string `json:"transaction_id"`
	BlockTimestamp int64  `json:"block_timestamp"`
	From           string `json:"from"`
	To             string `json:"to"`
	Type           string `json:"type"`
	Value          string `json:"value"`
	TokenInfo      struct {
		Symbol   string `json:"symbol"`
		Address  string `json:"address"`
		Decimals int    `json:"decimals"`
		Name     string `json:"name"`
	} `json:"token_info"`
}

// txItem is a transaction as /v1/accounts/{a}/transactions and
// /wallet/gettransactionbyid return it.
//
// With search_internal the account listing also holds the internal
// transactions that touch the account, one entry each: those have no txID
// but internal_tx_id and their transaction's id in tx_id.
type txItem struct {
	TxID           string `json:"txID"`
	InternalTxID   string `json:"internal_tx_id"`
	ParentTxID     string `json:"tx_id"`
	BlockNumber    uint64 `json:"blockNumber"`
	BlockTimestamp int64  `json:"block_timestamp"`
	Ret            []struct {
		ContractRet string `json:"contractRet"`
	} `json:"ret"`
	RawData struct {
		Contract []struct {
			Type      string `json:"type"`
			Parameter struct {
				Value struct {
					OwnerAddress    string `json:"owner_address"`
					ToAddress       string `json:"to_address"`
					ContractAddress string `json:"contract_address"`
					Amount          int64  `json:"amount"`
					CallValue       int64  `json:"call_value"`
				} `json:"value"`
			} `json:"parameter"`
		} `json:"contract"`
	} `json:"raw_data"`
}

// txInfoResp is /wallet/gettransactioninfobyid.
type txInfoResp struct {
	ID             string `json:"id"`
	BlockNumber    uint64 `json:"blockNumber"`
	BlockTimeStamp int64  `json:"blockTimeStamp"`
	Result         string `json:"result"` // "FAILED" on failure, absent on success
	Receipt        struct {
		Result string `json:"result"` // "SUCCESS" for contract calls that succeeded
	} `json:"receipt"`
	Log []struct {
		Address string   `json:"address"`
		Topics  []string `json:"topics"`
		Data    string   `json:"data"`
	} `json:"log"`
	// InternalTransactions are the calls the transaction's contracts made,
	// in execution order; TronGrid's nodes keep them (vm.saveInternalTx).
	InternalTransactions []internalTx `json:"internal_transactions"`
}

// internalTx is one internal transaction of a receipt: a call, create or
// suicide from caller to transferTo, carrying the TRX (callValue without a
// tokenId) and TRC-10 tokens in callValueInfo. Rejected ones were undone.
type internalTx struct {
	Caller        string `json:"caller_address"`
	To            string `json:"transferTo_address"`
	CallValueInfo []struct {
		CallValue int64  `json:"callValue"`
		TokenID   string `json:"tokenId"`
	} `json:"callValueInfo"`
	Rejected bool `json:"rejected"`
}

// blockResp is /wallet/getblock and /walletsolidity/getnowblock.
type blockResp struct {
	BlockID     string `json:"blockID"`
	BlockHeader struct {
		RawData struct {
			Number    uint64 `json:"number"`
			Timestamp int64  `json:"timestamp"`
		} `json:"raw_data"`
	} `json:"block_header"`
}

// blockTxsResp is /wallet/getblock with detail: the block's transactions
// in block order.
type blockTxsResp struct {
	blockResp
	Transactions []struct {
		TxID string `json:"txID"`
	} `json:"transactions"`
}

// contractResp is /wallet/getcontract.
type contractResp struct {
	ContractAddress string `json:"contract_address"`
	Bytecode        string `json:"bytecode"`
}

// constantResp is /wallet/triggerconstantcontract (and its /walletsolidity
// twin). A call the node refuses has result.result false with a code; a
// call that reverts has result.result true and transaction.ret[0].ret
// "FAILED", constant_result then holding the revert data. Error is set by
// java-tron's servlets that fail before the call.
type constantResp struct {
	Error  string `json:"Error"`
	Result struct {
		Result  bool   `json:"result"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"result"`
	ConstantResult []string `json:"constant_result"`
	Transaction    struct {
		Ret []struct {
			Ret string `json:"ret"`
		} `json:"ret"`
	} `json:"transaction"`
}

// eventItem is one entry of /v1/contracts/{c}/events. Result holds the
// event's arguments under their names and their positions ("0", "1", …):
// addresses as 0x-prefixed hex of 20 bytes, integers as decimal strings.
type eventItem struct {
	BlockNumber    uint64                     `json:"block_number"`
	BlockTimestamp int64                      `json:"block_timestamp"`
	EventIndex     int                        `json:"event_index"`
	EventName      string                     `json:"event_name"`
	TransactionID  string                     `json:"transaction_id"`
	Result         map[string]json.RawMessage `json:"result"`
}

// transferTopic is keccak256("Transfer(address,address,uint256)").
const transferTopic = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

// failed reports whether the transaction was reverted or failed.
func (r *txInfoResp) failed() bool {
	return r.Result == "FAILED" || (r.Receipt.Result != "" && r.Receipt.Result != "SUCCESS")
}

// transfers decodes the TRC-20 Transfer events of a transaction receipt.
// Position is the event's index in the receipt's log. Events that are not
// ERC-20-shaped (3 topics, 32 bytes of data) are skipped: TRC-721 shares the
// signature with a 4th topic.
func (r *txInfoResp) transfers(tx chains.TxHash) ([]chains.Transfer, error) {
	if r.failed() {
		return nil, nil
	}
	when := time.UnixMilli(r.BlockTimeStamp).UTC()
	var out []chains.Transfer
	for i, l := range r.Log {
		if len(l.Topics) != 3 || strings.ToLower(strip0x(l.Topics[0])) != transferTopic {
			continue
		}
		data, err := hex.DecodeString(strip0x(l.Data))
		if err != nil || len(data) != 32 {
			continue
		}
		contract, err := logAddress(l.Address)
		if err != nil {
			return nil, fmt.Errorf("tx %s log %d: contract: %w", chains.Tron.FormatTx(tx), i, err)
		}
		from, err := topicAddress(l.Topics[1])
		if err != nil {
			return nil, fmt.Errorf("tx %s log %d: from: %w", chains.Tron.FormatTx(tx), i, err)
		}
		to, err := topicAddress(l.Topics[2])
		if err != nil {
			return nil, fmt.Errorf("tx %s log %d: to: %w", chains.Tron.FormatTx(tx), i, err)
		}
		amt, err := chains.AmountFromBig(new(big.Int).SetBytes(data))
		if err != nil {
			return nil, err
		}
		out = append(out, chains.Transfer{
			Chain:    chains.Tron,
			Tx:       tx,
			Position: uint32(i),
			Block:    r.BlockNumber,
			Time:     when,
			From:     from,
			To:       to,
			Asset:    chains.AssetID{Chain: chains.Tron, Contract: contract},
			Amount:   amt,
		})
	}
	return out, nil
}

// native returns the TRX a successful transaction moved itself: a
// TransferContract's amount, or the call_value of a TriggerSmartContract.
// ok is false when it moved none.
func (t *txItem) native(tx chains.TxHash, block uint64, ms int64) (chains.Transfer, bool, error) {
	if len(t.Ret) == 0 || t.Ret[0].ContractRet != "SUCCESS" || len(t.RawData.Contract) == 0 {
		return chains.Transfer{}, false, nil
	}
	c := t.RawData.Contract[0]
	v := c.Parameter.Value
	var toField string
	var amount int64
	switch c.Type {
	case "TransferContract":
		toField, amount = v.ToAddress, v.Amount
	case "TriggerSmartContract":
		if v.CallValue == 0 {
			return chains.Transfer{}, false, nil
		}
		toField, amount = v.ContractAddress, v.CallValue
	default:
		return chains.Transfer{}, false, nil
	}
	if amount < 0 {
		return chains.Transfer{}, false, fmt.Errorf("tx %s: negative amount %d", chains.Tron.FormatTx(tx), amount)
	}
	from, err := chains.Tron.ParseAddress(v.OwnerAddress)
	if err != nil {
		return chains.Transfer{}, false, fmt.Errorf("tx %s: owner: %w", chains.Tron.FormatTx(tx), err)
	}
	to, err := chains.Tron.ParseAddress(toField)
	if err != nil {
		return chains.Transfer{}, false, fmt.Errorf("tx %s: receiver: %w", chains.Tron.FormatTx(tx), err)
	}
	return chains.Transfer{
		Chain:  chains.Tron,
		Tx:     tx,
		Block:  block,
		Time:   time.UnixMilli(ms).UTC(),
		From:   from,
		To:     to,
		Asset:  chains.NativeAsset(chains.Tron),
		Amount: chains.NewAmount(uint64(amount)),
	}, true, nil
}

func strip0x(s string) string {
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:]
	}
	return s
}

// logAddress reads a log's contract address: 20 bytes of hex, or 21 with
// the 0x41 prefix.
func logAddress(s string) (chains.Address, error) {
	h := strip0x(s)
	if len(h) == 42 && strings.HasPrefix(h, "41") {
		h = h[2:]
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 20 {
		return chains.Address{}, fmt.Errorf("bad log address %q", s)
	}
	return chains.AddressFromSlice(chains.FamilyTRON, b)
}

// topicAddress reads an address from a 32-byte indexed topic.
func topicAddress(s string) (chains.Address, error) {
	b, err := hex.DecodeString(strip0x(s))
	if err != nil || len(b) != 32 {
		return chains.Address{}, fmt.Errorf("bad address topic %q", s)
	}
	return chains.AddressFromSlice(chains.FamilyTRON, b[12:])
}

// hex41 is the 0x41-prefixed hex form java-tron's /wallet API takes.
func hex41(a chains.Address) string {
	b := a.Bytes()
	return "41" + hex.EncodeToString(b[:])
}

// txID is the bare hex TRON writes transaction ids in.
func txID(h chains.TxHash) string { return hex.EncodeToString(h[:]) }
