// Package tron reads TRON transfers: USDT-TRC20 (and any TRC-20 token) and
// TRX, from a TronGrid-compatible HTTP API (Source), and from the TRC-20
// transfer exports Tronscan writes (ReadTronscan).
//
// # Data it uses
//
// Source lists an address's TRC-20 transfers from
// /v1/accounts/{address}/transactions/trc20 and its TRX transfers from
// /v1/accounts/{address}/transactions, both paged by meta.fingerprint and
// narrowed to the query's block range by block timestamps: [time(From),
// time(To+1)), so a busy account is never paged beyond the range asked, and
// the next range of a split query reuses the bound. Block times and the
// confirmed head come from /wallet/getblock and /walletsolidity/getnowblock
// and are kept. Only confirmed, successful transactions are returned.
//
// # Receipts, position and order
//
// The TRC-20 listing gives neither a block number nor an event index, and
// no listing gives a transaction's index in its block, which canonical
// order needs: chains.Compare orders transfers of every address by (block,
// tx index, position), so a transfer gets its real index even when it is
// its address's only transfer in the block (the same transfer, read for
// the other party, sits among others). Source reads each block once with
// /wallet/gettransactioninfobyblocknum: every receipt of the block in block
// order, which gives each listed transaction its index, its block time and
// its event log; the transfers are decoded from the logs, which makes them
// exact. One request serves every listed transaction in the block, for
// every address (the receipts of recent blocks are kept).
//
// A listed transaction's block is found from its timestamp: blocks are 3 s
// slots apart, so between two blocks of known time with no empty slot
// between them each time has one block. Where empty slots leave a doubt,
// Source reads a few headers when many listed times share the doubt, tries
// the likelier of two possible blocks, or else reads the receipt by id
// (/wallet/gettransactioninfobyid), which names the block. A placement
// holds only when the block's receipts contain the transaction. Lookups run
// Options.Workers at a time under the rate limit.
//
// Nodes without gettransactioninfobyblocknum are read as before: a receipt
// per transaction and each block's transaction list (/wallet/getblock with
// detail, or /wallet/getblockbynum on nodes older than java-tron 4.7.2).
// With Options.NoTxIndex, receipts are read by id, TxIndex stays 0 and a
// block's transfers are ordered by position, then transaction id, which
// may differ from the chain's order when an address moves funds twice in
// one block.
//
// BlockHash reads a block's header; asked about a block of the last
// Transfers answer, it reads the headers of all of them at once.
//
//   - A TRC-20 transfer's Position is the index of its Transfer event in the
//     transaction's event log (the receipt's log array), counting every
//     event of every contract, as TronGrid's event_index does.
//   - A TRX transfer's Position is 0 for the transaction's own
//     TransferContract amount (or the call_value a TriggerSmartContract
//     sends to a contract), and 1 + its index for TRX an internal
//     transaction moved (a SunSwap V2 swap pays the trader TRX from the
//     router this way). The account listing is asked with search_internal
//     =true, which adds an entry per internal transaction touching the
//     address; each names its transaction, whose receipt's
//     internal_transactions (callValueInfo without a tokenId, not
//     rejected) say what moved. TRC-10 tokens are not read.
//
// # Venue events
//
// TxEvents (chains.EventReader) decodes a transaction's receipt log, the
// one TxTransfers reads, by topic0 and shape: Uniswap V2-style Swap
// (SunSwap V2 pairs), SunSwap V1 (JustSwap) TokenPurchase and TrxPurchase,
// and Deposit and Withdrawal of the wrappers in Options.Wrappers (WTRX by
// default). Position is the log index, as for TRC-20 transfers.
//
// # Freeze status and balances
//
// Source is a chains.FreezeChecker for the stablecoins chains.SchemeOf
// knows (Tether's USDT on TRON). The issuer's getter (isBlackListed) is
// called through /walletsolidity/triggerconstantcontract, which reads the
// solidified state as it is when asked: TronGrid keeps no older state, so
// the answer is for the confirmed head whatever block is asked. For a
// frozen address the freezing AddedBlackList event, and a later
// DestroyedBlackFunds, are looked for in /v1/contracts/{token}/events
// (confirmed events, oldest first, from the time of the block the caller
// names), each walk stopping at the first event for the address or after
// 20 pages of 200 events, which Freeze.Note then says. Balance reads a
// TRC-20 token's balanceOf the same way, for the confirmed head only, and
// undoes the transfers listed after the head's time; older blocks and TRX
// give ErrUnsupported.
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
// This package depends on chains, chains/transport (its retrying HTTP
// client) and the standard library only; it must not depend on the store,
// the trace engine or any report code.
package tron
