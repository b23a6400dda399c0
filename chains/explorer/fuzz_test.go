package explorer

import (
	"encoding/json"
	"strconv"
	"testing"

	"freezetrace/chains"
)

// FuzzRows feeds arbitrary list results to the row decoder: it must never
// panic, and every row it accepts must read back the same from the row
// written out of its transfer.
func FuzzRows(f *testing.F) {
	good, _ := json.Marshal([]map[string]string{tokenRow(20_000_001, txHash(1), 3, victim, addr(2), usdtHex, "1500000").fields})
	f.Add(good, uint8(0))
	f.Add([]byte(`[{"blockNumber":20000001,"timeStamp":"1","hash":"`+txHash(2)+`","from":"`+addr(1)+`","to":"","contractAddress":"`+addr(3)+`","value":"0","transactionIndex":"0","isError":"0"}]`), uint8(1))
	f.Add([]byte(`[{"blockNumber":"1","timeStamp":"1","hash":"`+txHash(3)+`","from":"`+addr(1)+`","to":"`+addr(2)+`","value":"7","traceId":"0_1","type":"call"}]`), uint8(2))
	f.Add([]byte(`[{"blockNumber":null}]`), uint8(0))
	f.Add([]byte(`{"status":"1"}`), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		rows, err := parseRows(data)
		if err != nil {
			return
		}
		kd := kind(k % 3)
		for _, r := range rows {
			d, err := decodeRow(chains.Ethereum, kd, r)
			if err != nil {
				continue
			}
			back := row{
				BlockNumber: field(strconv.FormatUint(d.t.Block, 10)), TimeStamp: field(strconv.FormatInt(d.t.Time.Unix(), 10)),
				Hash: field(d.t.Tx.String()), From: field(d.t.From.Hex()), To: field(d.t.To.Hex()), Value: field(d.t.Amount.String()),
				TransactionIndex: field(strconv.FormatUint(uint64(d.t.TxIndex), 10)), TraceID: r.TraceID, Type: r.Type,
				IsError: r.IsError, TxReceiptStatus: r.TxReceiptStatus,
			}
			if kd == kindToken {
				back.ContractAddress = field(d.t.Asset.Contract.Hex())
			}
			e, err := decodeRow(chains.Ethereum, kd, back)
			if err != nil {
				t.Fatalf("re-reading %+v: %v", back, err)
			}
			if e.t.Key() != d.t.Key() || e.t.Block != d.t.Block || !e.t.Time.Equal(d.t.Time) || e.t.TxIndex != d.t.TxIndex ||
				e.t.From != d.t.From || e.t.To != d.t.To || e.t.Amount.Cmp(d.t.Amount) != 0 || e.skip != d.skip {
				t.Fatalf("round trip:\n got %+v\nwant %+v", e, d)
			}
			_ = tracePosition(d.traceID)
		}
	})
}
