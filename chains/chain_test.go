package chains

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseChain(t *testing.T) {
	for in, want := range map[string]Chain{
		"ethereum": Ethereum, "ETH": Ethereum, " mainnet ": Ethereum, "bnb": BSC, "bsc": BSC, "matic": Polygon,
		"polygon": Polygon, "arb": Arbitrum, "base": Base, "optimism": Optimism, "trx": Tron, "Tron": Tron,
	} {
		if got, err := ParseChain(in); err != nil || got != want {
			t.Errorf("ParseChain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseChain("dogecoin")
	if err == nil || !strings.Contains(err.Error(), `unknown chain "dogecoin" (known: arbitrum, base, bsc, ethereum, optimism, polygon, tron)`) {
		t.Errorf("unknown chain: %v", err)
	}
	if Ethereum.ID() != 1 || BSC.ID() != 56 || Polygon.ID() != 137 || Arbitrum.ID() != 42161 || Base.ID() != 8453 || Tron.ID() != 728126428 {
		t.Error("chain ids")
	}
	if n := Tron.Native(); n.Symbol != "TRX" || n.Decimals != 6 || !n.ID.IsNative() {
		t.Errorf("Tron.Native() = %+v", n)
	}
	if Tron.Family() != FamilyTRON || Base.Family() != FamilyEVM || Chain("x").Valid() {
		t.Error("families")
	}
	if !slices.IsSorted(Chains()) || len(Chains()) != 7 {
		t.Errorf("Chains() = %v", Chains())
	}
}

func TestAssetID(t *testing.T) {
	for _, s := range []string{"ethereum:native", "ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7", "tron:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"} {
		id, err := ParseAssetID(s)
		if err != nil || id.String() != s {
			t.Errorf("ParseAssetID(%q) = %s, %v", s, id, err)
		}
	}
	if id, _ := ParseAssetID("ethereum:0xdac17f958d2ee523a2206206994597c13d831ec7"); id != USDTEthereum || Issuer(id) != "Tether" {
		t.Errorf("USDT: %s %q", id, Issuer(id))
	}
	for _, s := range []string{"ethereum", "doge:native", "tron:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00"} {
		if _, err := ParseAssetID(s); err == nil {
			t.Errorf("ParseAssetID(%q) accepted", s)
		}
	}
}

func TestCompare(t *testing.T) {
	t0 := time.Unix(1000, 0)
	base := Transfer{Chain: Ethereum, Block: 10, Time: t0, TxIndex: 1, Position: 2, Tx: TxHash{5}, Asset: USDTEthereum}
	later := func(f func(*Transfer)) Transfer { x := base; f(&x); return x }
	for name, b := range map[string]Transfer{
		"block":    later(func(x *Transfer) { x.Block = 11; x.Time = t0.Add(-time.Hour); x.Position = 0 }),
		"time":     later(func(x *Transfer) { x.Time = t0.Add(time.Second); x.TxIndex = 0 }),
		"tx index": later(func(x *Transfer) { x.TxIndex = 2; x.Position = 0 }),
		"position": later(func(x *Transfer) { x.Position = 3; x.Tx = TxHash{1} }),
		"tx":       later(func(x *Transfer) { x.Tx = TxHash{6} }),
		"asset":    later(func(x *Transfer) { x.Asset = USDTTron }),
	} {
		if Compare(base, b) != -1 || Compare(b, base) != 1 {
			t.Errorf("%s: want base before b", name)
		}
	}
	if Compare(base, base) != 0 {
		t.Error("Compare(x, x) != 0")
	}
	if base.Key() != (TransferKey{Ethereum, TxHash{5}, USDTEthereum, 2}) {
		t.Errorf("Key() = %+v", base.Key())
	}
}

func TestParseCategory(t *testing.T) {
	for _, c := range Categories {
		if got, err := ParseCategory(strings.ToUpper(string(c))); err != nil || got != c {
			t.Errorf("ParseCategory(%s) = %q, %v", c, got, err)
		}
	}
	if _, err := ParseCategory("bank"); err == nil {
		t.Error(`ParseCategory("bank") accepted`)
	}
}
