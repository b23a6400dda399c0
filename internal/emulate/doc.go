// Package emulate provides emulated mainnet data providers for tests and
// benchmarks: a deterministic pig-butchering case on Ethereum USDT at real
// block heights (Generate), ethereum-etl CSV and label files written from
// it, a JSON-RPC provider answering what an EVM source asks, with Infura,
// Alchemy and QuickNode eth_getLogs limits and a rate limit (NewRPC), and
// an Etherscan v2 API with the free tier's paging and rate limits
// (NewExplorer), and TronGrid (NewTronGrid: the /v1 listings with
// fingerprint paging, the /wallet and /walletsolidity calls, constant
// contract calls with Tether's and Circle's freeze getters, contract
// events) over a TRON dataset such as the pigbutcher fixture's at mainnet
// heights (LoadTronFixture). A Script writes a dataset by hand instead,
// transaction by transaction: raw receipt logs (a pair's Swap, WETH's
// Withdrawal; SwapForETH makes a Uniswap V2 swap's), ether payments and
// internal calls with value, which the callTracer reports as nested
// frames (and, with Behaviour.TraceAPI, the parity trace API's
// trace_filter, trace_block and trace_transaction), and ether balances
// (eth_getBalance). Servers listen on
// 127.0.0.1 only.
//
// It depends on the standard library, go-ethereum's common, hexutil and
// crypto packages and freezetrace/chains only: never on chains/evm,
// chains/store, trace or cmd, so that it can check them from outside.
package emulate
