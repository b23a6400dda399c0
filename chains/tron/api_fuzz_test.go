package tron

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"freezetrace/chains"
)

// FuzzReceipt decodes receipts (/wallet/gettransactioninfobyid answers, which
// come from outside) and checks what comes out: no panic, only TRON
// addresses, positions that index the log, amounts below 2^256.
func FuzzReceipt(f *testing.F) {
	f.Add([]byte(`{"id":"ab","blockNumber":5,"blockTimeStamp":1717419792000,"receipt":{"result":"SUCCESS"},"log":[{"address":"a614f803b6fd780986a42c78ec9c7f77e6ded13c","topics":["ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef","0000000000000000000000005a01010101010101010101010101010101010101","0000000000000000000000005a02020202020202020202020202020202020202"],"data":"00000000000000000000000000000000000000000000000000000000000f4240"}]}`))
	f.Add([]byte(`{"id":"ab","result":"FAILED","log":[]}`))
	f.Add([]byte(`{"log":[{"address":"0x41a614f803b6fd780986a42c78ec9c7f77e6ded13c","topics":["0xDDF252AD1BE2C89B69C2B068FC378DAA952BA7F163C4A11628F55A4DF523B3EF","",""],"data":"zz"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r txInfoResp
		if json.Unmarshal(data, &r) != nil {
			return
		}
		ts, err := r.transfers(chains.TxHash{1})
		if err != nil {
			return
		}
		if r.failed() && len(ts) > 0 {
			t.Fatal("a failed transaction moved funds")
		}
		for _, tr := range ts {
			if int(tr.Position) >= len(r.Log) || tr.From.Family() != chains.FamilyTRON || tr.To.Family() != chains.FamilyTRON ||
				tr.Asset.Contract.Family() != chains.FamilyTRON || tr.Block != r.BlockNumber || tr.Amount.Big().BitLen() > 256 {
				t.Fatalf("bad transfer %+v from %s", tr, data)
			}
			l := r.Log[tr.Position]
			if len(l.Topics) != 3 || !strings.EqualFold(strip0x(l.Topics[0]), transferTopic) {
				t.Fatalf("transfer from a log that is not a Transfer event: %+v", l)
			}
			if want, ok := new(big.Int).SetString(strip0x(l.Data), 16); !ok || want.Cmp(tr.Amount.Big()) != 0 {
				t.Fatalf("amount %s, log data %q", tr.Amount, l.Data)
			}
		}
	})
}

// FuzzABIString checks that decoding a contract's symbol() never panics and
// keeps only printable text.
func FuzzABIString(f *testing.F) {
	f.Add([]byte{})
	f.Add(append(append(make([]byte, 31), 32), append(append(make([]byte, 31), 4), []byte("USDT\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")...)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := abiString(b)
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("abiString(%x) = %q keeps a control character", b, s)
			}
		}
	})
}

func TestABIString(t *testing.T) {
	word := func(n int) []byte { b := make([]byte, 32); b[31] = byte(n); return b }
	pad := func(s string) []byte { b := make([]byte, 32); copy(b, s); return b }
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"String", append(append(word(32), word(4)...), pad("USDT")...), "USDT"},
		{"Bytes32", pad("MKR"), "MKR"},
		{"ControlCharsDropped", append(append(word(32), word(5)...), pad("U\x01S\nD")...), "USD"},
		{"BadOffset", append(append(word(200), word(4)...), pad("USDT")...), ""},
		{"Empty", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := abiString(c.in); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
