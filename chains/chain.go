package chains

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Family is an address and transaction format shared by several chains.
type Family uint8

// The address families.
const (
	FamilyNone Family = iota
	FamilyEVM         // 20-byte addresses shown as EIP-55 hex
	FamilyTRON        // 20-byte addresses shown as base58check with the 0x41 prefix
)

func (f Family) String() string {
	switch f {
	case FamilyEVM:
		return "evm"
	case FamilyTRON:
		return "tron"
	}
	return "none"
}

// Chain names a blockchain. Its zero value is not a chain; use ParseChain.
type Chain string

// The chains freezetrace knows.
const (
	Ethereum Chain = "ethereum"
	BSC      Chain = "bsc"
	Polygon  Chain = "polygon"
	Arbitrum Chain = "arbitrum"
	Base     Chain = "base"
	Optimism Chain = "optimism"
	Tron     Chain = "tron"
)

type chainInfo struct {
	id       uint64
	family   Family
	symbol   string // native coin
	decimals uint8
	explorer string // base URL of a public block explorer
	// interval is the shortest time between two blocks the chain produces
	// in practice, in milliseconds: a lower bound, so that a time window
	// turned into blocks with it is never too short.
	interval int64
}

// known is a fixed table; it is never modified.
var known = map[Chain]chainInfo{
	Ethereum: {1, FamilyEVM, "ETH", 18, "https://etherscan.io", 12000},
	BSC:      {56, FamilyEVM, "BNB", 18, "https://bscscan.com", 750},
	Polygon:  {137, FamilyEVM, "POL", 18, "https://polygonscan.com", 2000},
	Arbitrum: {42161, FamilyEVM, "ETH", 18, "https://arbiscan.io", 250},
	Base:     {8453, FamilyEVM, "ETH", 18, "https://basescan.org", 2000},
	Optimism: {10, FamilyEVM, "ETH", 18, "https://optimistic.etherscan.io", 2000},
	Tron:     {728126428, FamilyTRON, "TRX", 6, "https://tronscan.org", 3000},
}

// Chains returns every known chain, sorted by name.
func Chains() []Chain {
	out := make([]Chain, 0, len(known))
	for c := range known {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ParseChain returns the chain named s (case-insensitive; "eth", "bnb",
// "matic", "trx" are accepted as aliases).
func ParseChain(s string) (Chain, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	switch n {
	case "eth", "mainnet":
		n = "ethereum"
	case "bnb", "binance-smart-chain", "bsc-mainnet":
		n = "bsc"
	case "matic":
		n = "polygon"
	case "arb", "arbitrum-one":
		n = "arbitrum"
	case "trx":
		n = "tron"
	}
	c := Chain(n)
	if _, ok := known[c]; !ok {
		names := make([]string, 0, len(known))
		for _, k := range Chains() {
			names = append(names, string(k))
		}
		return "", fmt.Errorf("unknown chain %q (known: %s)", s, strings.Join(names, ", "))
	}
	return c, nil
}

// Valid reports whether c is a known chain.
func (c Chain) Valid() bool { _, ok := known[c]; return ok }

// ID returns the chain id (EIP-155 for EVM chains; TRON's mainnet id for TRON).
func (c Chain) ID() uint64 { return known[c].id }

// Family returns the address family of the chain.
func (c Chain) Family() Family { return known[c].family }

// Native returns the chain's native coin as an asset.
func (c Chain) Native() Asset {
	i := known[c]
	return Asset{ID: AssetID{Chain: c}, Symbol: i.symbol, Decimals: i.decimals}
}

// BlocksIn returns how many blocks c can produce in d at most, from the
// chain's shortest block interval (Ethereum 12 s, TRON 3 s, BSC 0.75 s,
// Arbitrum 0.25 s, others 2 s), rounded up: a block range that surely
// covers a time window starting at a given block. Unknown chains: 0.
func (c Chain) BlocksIn(d time.Duration) uint64 {
	iv := known[c].interval
	if iv <= 0 || d <= 0 {
		return 0
	}
	ms := d.Milliseconds()
	return uint64((ms + iv - 1) / iv)
}

// Explorer returns the base URL of a public block explorer for the chain.
func (c Chain) Explorer() string { return known[c].explorer }

// TxURL returns the explorer link of a transaction.
func (c Chain) TxURL(h TxHash) string {
	if c == Tron {
		return c.Explorer() + "/#/transaction/" + c.FormatTx(h)
	}
	return c.Explorer() + "/tx/" + c.FormatTx(h)
}

// AddressURL returns the explorer link of an address.
func (c Chain) AddressURL(a Address) string {
	if c == Tron {
		return c.Explorer() + "/#/address/" + a.String()
	}
	return c.Explorer() + "/address/" + a.String()
}

// FormatTx shows a transaction hash the way the chain's users write it:
// 0x-prefixed hex on EVM chains, bare hex on TRON.
func (c Chain) FormatTx(h TxHash) string {
	if c.Family() == FamilyTRON {
		return h.String()[2:]
	}
	return h.String()
}

// ParseAddress parses an address written for chain c. EVM chains take
// 0x-prefixed hex (an EIP-55 checksum is verified when the case is mixed);
// TRON takes base58check "T…", 0x41-prefixed hex, or 0x-prefixed 20-byte hex
// as it appears in TRC-20 event logs.
func (c Chain) ParseAddress(s string) (Address, error) {
	switch c.Family() {
	case FamilyEVM:
		return parseEVM(s)
	case FamilyTRON:
		return parseTRON(s)
	}
	return Address{}, fmt.Errorf("unknown chain %q", string(c))
}

func (c Chain) String() string { return string(c) }
