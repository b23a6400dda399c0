// Package chains is freezetrace's vocabulary: chains, addresses, transaction
// hashes, assets, amounts, transfers and labels, and the Source contract that
// every data source (a node, an API, imported files, the cache) implements,
// with the optional capabilities a source may add (capabilities.go).
//
// Values are parsed once at the edge (ParseAddress, ParseTxHash, ParseAmount)
// and carried typed everywhere else. Amounts are integers in base units.
//
// This package depends on no storage, network or node library; every other
// package may depend on it.
package chains
