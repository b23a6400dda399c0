package screen_test

import (
	"testing"

	"freezetrace/chains"
	"freezetrace/trace"
	"freezetrace/trace/screen"
)

// TestCaseAddressesSwap: the venue of a swap is no case address (the
// taint converted at the address that swapped); the swapper and who it
// paid afterwards are, with what they received in each asset.
func TestCaseAddressesSwap(t *testing.T) {
	evm := func(n byte) chains.Address {
		var b [20]byte
		b[19], b[0] = n, 0xab
		return chains.NewAddress(chains.FamilyEVM, b)
	}
	C, P, A := evm(1), evm(2), evm(3)
	usdt, eth := chains.USDTEthereum, chains.NativeAsset(chains.Ethereum)
	amt := chains.NewAmount
	res := &trace.Result{
		Assets: []chains.Asset{{ID: usdt, Symbol: "USDT", Decimals: 6}, {ID: eth, Symbol: "ETH", Decimals: 18}},
		Flows: []trace.Flow{
			{Chain: chains.Ethereum, From: evm(9), To: C, Asset: usdt, Amount: amt(100), Tainted: amt(100)},
			{Chain: chains.Ethereum, From: C, To: P, Asset: usdt, Amount: amt(100), Tainted: amt(100), Conversion: 1},
			{Chain: chains.Ethereum, From: P, To: C, Asset: eth, Amount: amt(50), Tainted: amt(50), Conversion: 1},
			{Chain: chains.Ethereum, From: C, To: A, Asset: eth, Amount: amt(50), Tainted: amt(50)},
		},
		Conversions: []trace.Conversion{{Chain: chains.Ethereum, Address: C}},
	}
	got := screen.CaseAddresses(res, "R-1")
	if len(got) != 2 || got[0].Address != C || got[1].Address != A {
		t.Fatalf("case addresses %+v, want C and A only", got)
	}
	if want := "received 0.0001 USDT and 0.00000000000000005 ETH of the case's taint"; got[0].Note != want {
		t.Errorf("C's note %q, want %q", got[0].Note, want)
	}
}
