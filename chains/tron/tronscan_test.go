package tron_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/tron"
)

func readFile(t *testing.T, name string, o tron.ExportOptions) ([]chains.Transfer, []chains.Asset) {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts, as, err := tron.ReadTronscan(f, name, o)
	if err != nil {
		t.Fatal(err)
	}
	return ts, as
}

var usdtAsset = chains.Asset{ID: usdt, Symbol: "USDT", Decimals: 6}

func TestReadTronscan(t *testing.T) {
	// Both files hold the scenario's transfers of the pool, plus a reverted
	// and an unconfirmed row that must be skipped.
	want := []chains.Transfer{t1, t2, tF, t3a, t3b, t4, t5}
	wantAssets := []chains.Asset{usdtAsset, {ID: fakeUSDT, Symbol: "USDT", Decimals: 6}}
	if fakeUSDT.Compare(usdt) < 0 {
		wantAssets[0], wantAssets[1] = wantAssets[1], wantAssets[0]
	}
	t.Run("CSVWithAPIColumns", func(t *testing.T) {
		ts, as := readFile(t, "tronscan_trc20.csv", tron.ExportOptions{})
		sameTransfers(t, ts, want)
		if !slices.Equal(as, wantAssets) {
			t.Fatalf("assets: got %+v, want %+v", as, wantAssets)
		}
	})
	t.Run("JSONTokenTransfers", func(t *testing.T) {
		// Newest first, with an Approval row and nested tokenInfo.
		ts, as := readFile(t, "tronscan_token_transfers.json", tron.ExportOptions{})
		// This shape has no event index: positions are ranks in the tx.
		w := slices.Clone(want)
		w[1].Position = 0
		sameTransfers(t, ts, w)
		if !slices.Equal(as, wantAssets) {
			t.Fatalf("assets: got %+v, want %+v", as, wantAssets)
		}
	})
	t.Run("CSVFromTheWebsite", func(t *testing.T) {
		// A title line, display amounts with thousands separators, UTC
		// date-times, no token column, a repeated row.
		ts, as := readFile(t, "tronscan_ui.csv", tron.ExportOptions{Token: &usdtAsset})
		w := []chains.Transfer{t1, t2, t3a, t3b, t4, t5}
		w[1].Position = 0
		sameTransfers(t, ts, w)
		if !slices.Equal(as, []chains.Asset{usdtAsset}) {
			t.Fatalf("assets: got %+v", as)
		}
	})
}

func TestReadTronscanErrors(t *testing.T) {
	const hdr = "transaction_id,block_ts,from_address,to_address,quant,contract_address,tokenDecimal\n"
	row := func(tx, ts, from, to, q, c, d string) string {
		return strings.Join([]string{tx, ts, from, to, q, c, d}, ",") + "\n"
	}
	tx := strings.Repeat("ab", 32)
	ok := row(tx, "1767225903000", victim.String(), pool.String(), "5", usdt.Contract.String(), "6")
	for _, c := range []struct {
		name, in, want string
	}{
		{"ErrNoHeader", "a,b,c\n1,2,3\n", "x.csv: no header"},
		{"ErrBadTx", hdr + ok + row("zz", "1767225903000", victim.String(), pool.String(), "5", usdt.Contract.String(), "6"), "x.csv:3: not a transaction hash"},
		{"ErrBadAddress", hdr + row(tx, "1767225903000", "Tnope", pool.String(), "5", usdt.Contract.String(), "6"), "x.csv:2: from: not a TRON address"},
		{"ErrEVMAddress", hdr + row(tx, "1767225903000", victim.String(), "0xdAC17F958D2ee523a2206206994597C13D831ec7x", "5", usdt.Contract.String(), "6"), "x.csv:2: to:"},
		{"ErrDecimalQuant", hdr + row(tx, "1767225903000", victim.String(), pool.String(), "5.5", usdt.Contract.String(), "6"), "x.csv:2: not a base-unit amount"},
		{"ErrBadTime", hdr + row(tx, "yesterday", victim.String(), pool.String(), "5", usdt.Contract.String(), "6"), "x.csv:2: time \"yesterday\""},
		{"ErrDecimalsDisagree", hdr + ok + row(strings.Repeat("cd", 32), "1767225903000", victim.String(), pool.String(), "5", usdt.Contract.String(), "18"), "x.csv:3: token tron:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t has 18 decimals here but 6 at line 2"},
		{"ErrNoToken", "txid,timestamp,from,to,value\n" + strings.Join([]string{tx, "1767225903000", victim.String(), pool.String(), "5"}, ",") + "\n", "x.csv:2: no token contract column"},
		{"ErrDisplayWithoutDecimals", "txid,timestamp,from,to,amount,contract\n" + strings.Join([]string{tx, "1767225903000", victim.String(), pool.String(), "5.1", usdt.Contract.String()}, ",") + "\n", "x.csv:2: amount \"5.1\" is in display units"},
		{"ErrJSONLine", "[\n{\"transaction_id\":\"" + tx + "\",\"block_ts\":1767225903000,\"from_address\":\"" + victim.String() + "\",\"to_address\":\"" + pool.String() + "\",\"quant\":\"1\",\"contract_address\":\"" + usdt.Contract.String() + "\"},\n{\"transaction_id\":\"" + tx + "\",\"block_ts\":1767225903000,\"from_address\":\"T1\"}\n]", "x.csv:3: from: not a TRON address"},
		{"ErrJSONSyntax", "{\"data\": [ {\"a\": } ]}", "x.csv:1:"},
		{"ErrJSONNoList", "{\"foo\": 1}", "x.csv: no token_transfers"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := tron.ReadTronscan(strings.NewReader(c.in), "x.csv", tron.ExportOptions{})
			var ie *chains.InputError
			if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an input error containing %q", err, c.want)
			}
		})
	}
}

// writeExport writes transfers in the API column names, event index
// included, as a test's round trip.
func writeExport(ts []chains.Transfer) []byte {
	var b bytes.Buffer
	b.WriteString("transaction_id,block,block_ts,from_address,to_address,quant,contract_address,event_index\n")
	for _, t := range ts {
		tok := "_"
		if !t.Asset.IsNative() {
			tok = t.Asset.Contract.String()
		}
		fmt.Fprintf(&b, "%s,%d,%d,%s,%s,%s,%s,%d\n", chains.Tron.FormatTx(t.Tx), t.Block, t.Time.UnixMilli(),
			t.From, t.To, t.Amount, tok, t.Position)
	}
	return b.Bytes()
}

func FuzzReadTronscan(f *testing.F) {
	for _, name := range []string{"tronscan_trc20.csv", "tronscan_ui.csv", "tronscan_token_transfers.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("[]"))
	f.Add([]byte("txid,time,from,to,value,token\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, _, err := tron.ReadTronscan(bytes.NewReader(data), "fuzz", tron.ExportOptions{Token: &usdtAsset})
		if err != nil {
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "fuzz") {
				t.Fatalf("error %q is not an input error naming the file", err)
			}
			return
		}
		if !slices.IsSortedFunc(ts, chains.Compare) {
			t.Fatal("transfers not in canonical order")
		}
		for _, tr := range ts {
			if tr.Chain != chains.Tron || tr.From.Family() != chains.FamilyTRON || tr.To.Family() != chains.FamilyTRON || tr.Time.Location() != time0.Location() {
				t.Fatalf("bad transfer %+v", tr)
			}
		}
		// Round trip: what was read, written back with its positions, reads
		// back the same.
		again, _, err := tron.ReadTronscan(bytes.NewReader(writeExport(ts)), "again", tron.ExportOptions{})
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if len(again) != len(ts) {
			t.Fatalf("re-read %d transfers, want %d", len(again), len(ts))
		}
		for i := range ts {
			if again[i].Key() != ts[i].Key() || again[i].Amount.Cmp(ts[i].Amount) != 0 || !again[i].Time.Equal(ts[i].Time) ||
				again[i].From != ts[i].From || again[i].To != ts[i].To || again[i].Block != ts[i].Block {
				t.Fatalf("transfer %d: re-read %+v, want %+v", i, again[i], ts[i])
			}
		}
	})
}

var time0 = base.UTC()

// TestResolveExport gives an export without event indexes the chain's
// positions, so that it and TronGrid agree on every transfer's identity.
func TestResolveExport(t *testing.T) {
	ctx := context.Background()
	ts, _ := readFile(t, "tronscan_token_transfers.json", tron.ExportOptions{})
	if ts[1].Position != 0 {
		t.Fatalf("the export should rank t2 at 0, got %d", ts[1].Position)
	}
	s := newSource(t, newScenario(t), tron.Options{})
	got, err := s.Resolve(ctx, ts)
	if err != nil {
		t.Fatal(err)
	}
	sameTransfers(t, got, []chains.Transfer{t1, t2, tF, t3a, t3b, t4, t5})
	t.Run("ErrNotOnChain", func(t *testing.T) {
		bad := slices.Clone(ts)
		bad[0].Amount = chains.NewAmount(1)
		_, err := s.Resolve(ctx, bad)
		var ie *chains.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "has no transfer of 1") {
			t.Fatalf("got %v, want an input error", err)
		}
	})
}

// TestReadTronGridListing reads a saved page of TronGrid's own TRC-20
// listing, which has the same fields under other names.
func TestReadTronGridListing(t *testing.T) {
	page := `{"data":[{"transaction_id":"` + chains.Tron.FormatTx(t1.Tx) + `","token_info":{"symbol":"USDT","address":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t","decimals":6,"name":"Tether USD"},` +
		`"block_timestamp":1767225903000,"from":"` + victim.String() + `","to":"` + pool.String() + `","type":"Transfer","value":"3000000000"},` +
		`{"transaction_id":"` + chains.Tron.FormatTx(txh(30)) + `","token_info":{"symbol":"USDT","address":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t","decimals":6,"name":"Tether USD"},` +
		`"block_timestamp":1767225903000,"from":"` + pool.String() + `","to":"` + other.String() + `","type":"Approval","value":"5"}],` +
		`"success":true,"meta":{"at":1767225999000,"page_size":2}}`
	ts, as, err := tron.ReadTronscan(strings.NewReader(page), "page.json", tron.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w := t1
	w.Block = 0 // the listing has no block number
	sameTransfers(t, ts, []chains.Transfer{w})
	if !slices.Equal(as, []chains.Asset{usdtAsset}) {
		t.Fatalf("assets: got %+v", as)
	}
}
