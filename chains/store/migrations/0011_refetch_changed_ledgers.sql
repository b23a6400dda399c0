-- Two upstream readings changed meaning: an EVM node's ledger of WETH now
-- includes the wrapper's Deposit and Withdrawal events (WETH9 emits no
-- Transfer for them), and TronGrid's TRX ledgers and transactions now
-- include TRX moved by internal transactions (swap payouts). What an
-- upstream fetched before misses those legs, so its coverage is forgotten
-- and fetched again on the next live run; the transfers stay (a refetch
-- adds the missing legs, duplicates nothing). File imports are kept as
-- imported.
DELETE FROM coverage
  WHERE source <> 'file import'
    AND asset IN (
      SELECT id FROM assets
      WHERE (chain = 'ethereum' AND contract = X'c02aaa39b223fe8d0a0e5c4f27ead9083c756cc2')
         OR (chain = 'tron' AND contract = X''));
DELETE FROM tx_coverage WHERE source <> 'file import' AND chain IN ('ethereum', 'tron');
