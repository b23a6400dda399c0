// Package tron reads TRON transfers: USDT-TRC20 (and any TRC-20 token) and
// TRX, from a TronGrid-compatible HTTP API (Source), and from the TRC-20
// transfer exports Tronscan writes (ReadTronscan).
//
// # Data it uses
//
// Source lists an address's TRC-20 transfers from
// /v1/accounts/{address}/transactions/trc20 and its TRX transfers from
// /v1/accounts/{address}/transactions, both paged by meta.fingerprint and
// narrowed to the query's block range by block timestamps. The TRC-20
// listing carries no block number and no event index, so every listed
// transaction is resolved once with /wallet/gettransactioninfobyid, whose
// receipt gives the block number, the block time and the event logs; the
// transfers are decoded from those logs, which makes them exact. Block times
// come from /wallet/getblock and the confirmed head from
// /walletsolidity/getnowblock. Only confirmed, successful transactions are
// returned.
//
// # Position and order
//
// TronGrid's listings give no transaction index within a block, so Source
// reads each block's transaction list once (/wallet/getblock with detail)
// and sets TxIndex, for TRC-20 and TRX transfers alike, to the
// transaction's index in its block. chains.Compare then orders TRON
// transfers as the chain executed them: (block, tx index, position). With
// Options.NoTxIndex, TxIndex stays 0 and a block's transfers are ordered by
// position, then transaction id, which may differ from the chain's order
// when an address moves funds twice in one block.
//
//   - A TRC-20 transfer's Position is the index of its Transfer event in the
//     transaction's event log (the receipt's log array), counting every
//     event of every contract, as TronGrid's event_index does.
//   - A TRX transfer's Position is 0: the transaction's own TransferContract
//     amount (or the call_value a TriggerSmartContract sends to a contract).
//     TRX moved by internal transactions inside contract calls is not
//     listed.
//
// # Offline files
//
// ReadTronscan reads Tronscan's TRC-20 transfer exports (CSV or JSON);
// LoadTronscan stores one through any Sink (the store's import batch), and
// Source.Resolve gives an export's transfers the chain's positions first, so
// that an imported transfer and the same transfer fetched from TronGrid are
// one transfer.
//
// # Configuration
//
// Options (or OptionsFromEnv: FREEZETRACE_TRONGRID_URL,
// FREEZETRACE_TRONGRID_KEY, FREEZETRACE_TRONGRID_RATE) set the API root, the
// optional TRON-PRO-API-KEY, the rate limit (15 requests per second by
// default) and the retries. The key is sent in a header only and never
// appears in errors; errors name the endpoint's path, never the base URL.
//
// Addresses are base58check "T…" at every edge (chains.Address of family
// TRON) and 20 bytes inside.
//
// This package depends on chains and the standard library only; it must not
// depend on the store, the trace engine or any report code.
package tron
