package chains

import (
	"fmt"
	"strings"
)

// AssetID identifies an asset by chain and contract address, never by its
// symbol: anyone can deploy a token called "USDT". The native coin of a chain
// has the zero Contract.
type AssetID struct {
	Chain    Chain   `json:"chain"`
	Contract Address `json:"contract"`
}

// NativeAsset returns the id of chain c's native coin.
func NativeAsset(c Chain) AssetID { return AssetID{Chain: c} }

// IsNative reports whether id is the chain's native coin.
func (id AssetID) IsNative() bool { return id.Contract.IsZero() }

// String is "chain:contract", or "chain:native".
func (id AssetID) String() string {
	if id.IsNative() {
		return string(id.Chain) + ":native"
	}
	return string(id.Chain) + ":" + id.Contract.String()
}

// Compare orders asset ids by chain, then contract.
func (id AssetID) Compare(o AssetID) int {
	if c := strings.Compare(string(id.Chain), string(o.Chain)); c != 0 {
		return c
	}
	return id.Contract.Compare(o.Contract)
}

// ParseAssetID reads "chain:contract" or "chain:native". The contract is
// parsed for the chain's family.
func ParseAssetID(s string) (AssetID, error) {
	cs, rest, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return AssetID{}, fmt.Errorf("not an asset: %q: want chain:contract or chain:native", s)
	}
	c, err := ParseChain(cs)
	if err != nil {
		return AssetID{}, err
	}
	if rest == "native" || rest == "" {
		return NativeAsset(c), nil
	}
	a, err := c.ParseAddress(rest)
	if err != nil {
		return AssetID{}, err
	}
	return AssetID{Chain: c, Contract: a}, nil
}

// Asset is an asset with the metadata people need to read its amounts.
// Symbol and Decimals come from the token contract (or the chain, for the
// native coin) and are untrusted for display only.
type Asset struct {
	ID       AssetID `json:"id"`
	Symbol   string  `json:"symbol"`
	Decimals uint8   `json:"decimals"`
}

// Well-known stablecoin contracts whose issuers can freeze balances.
var (
	USDTEthereum = AssetID{Ethereum, MustParseAddress("0xdAC17F958D2ee523a2206206994597C13D831ec7")}
	USDCEthereum = AssetID{Ethereum, MustParseAddress("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")}
	USDTTron     = AssetID{Tron, MustParseAddress("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")}
	USDCTron     = AssetID{Tron, MustParseAddress("TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8")}
)

// Issuer names the company that can freeze balances of id ("Tether",
// "Circle"), or "" when none is known.
func Issuer(id AssetID) string {
	switch id {
	case USDTEthereum, USDTTron:
		return "Tether"
	case USDCEthereum, USDCTron:
		return "Circle"
	}
	return ""
}
