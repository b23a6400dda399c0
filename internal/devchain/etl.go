package devchain

import (
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// ETLFiles are the files WriteETL writes, in the order to import them.
var ETLFiles = []string{"blocks.csv", "tokens.csv", "contracts.csv", "transactions.csv", "token_transfers.csv"}

// WriteETL writes what the chain holds of a played scenario as
// ethereum-etl CSV exports in dir: the blocks with transfers, the tokens,
// the contracts, the transactions and the token transfers. ethereum-etl's
// transactions.csv carries only each transaction's own value, so ether
// moved by internal calls is not in these files (it would be in traces.csv).
func WriteETL(dir string, sc Scenario, p *Played) error {
	files := map[string][][]string{}
	blocks := [][]string{{"number", "hash", "parent_hash", "timestamp", "transaction_count"}}
	for _, b := range p.Blocks {
		blocks = append(blocks, []string{u(b.Number), b.Hash.Hex(), b.Parent.Hex(), strconv.FormatInt(b.Time.Unix(), 10), strconv.Itoa(b.TxN)})
	}
	files["blocks.csv"] = blocks

	tokens := [][]string{{"address", "symbol", "name", "decimals", "total_supply", "block_number"}}
	contracts := [][]string{{"address", "bytecode", "function_sighashes", "is_erc20", "is_erc721", "block_number"}}
	for _, t := range sc.Tokens {
		tokens = append(tokens, []string{lower(t.Address), t.Symbol, t.Name, strconv.Itoa(int(t.Decimals)), "", ""})
		contracts = append(contracts, []string{lower(t.Address), "", "", "true", "false", ""})
	}
	for _, n := range append([]string{Forwarder1, Forwarder2}, sc.Contracts...) {
		contracts = append(contracts, []string{lower(sc.Address(n)), "", "", "false", "false", ""})
	}
	files["tokens.csv"], files["contracts.csv"] = tokens, contracts

	times := map[uint64]int64{}
	for _, b := range p.Blocks {
		times[b.Number] = b.Time.Unix()
	}
	txs := [][]string{{"hash", "nonce", "block_hash", "block_number", "transaction_index", "from_address",
		"to_address", "value", "gas", "gas_price", "input", "block_timestamp", "receipt_status"}}
	hashes := map[uint64]common.Hash{}
	for _, b := range p.Blocks {
		hashes[b.Number] = b.Hash
	}
	for _, x := range p.Txs {
		txs = append(txs, []string{x.Hash.Hex(), u(x.Nonce), hashes[x.Block].Hex(), u(x.Block), u(uint64(x.Index)),
			lower(x.From), lower(x.To), x.Value.String(), u(x.Gas), x.GasPrice.String(), "0x" + hex.EncodeToString(x.Input),
			strconv.FormatInt(times[x.Block], 10), u(x.Status)})
	}
	files["transactions.csv"] = txs

	transfers := [][]string{{"token_address", "from_address", "to_address", "value", "transaction_hash", "log_index", "block_number"}}
	for _, t := range p.Transfers {
		if t.Asset.IsNative() {
			continue
		}
		transfers = append(transfers, []string{strings.ToLower(t.Asset.Contract.Hex()), strings.ToLower(t.From.Hex()),
			strings.ToLower(t.To.Hex()), t.Amount.String(), t.Tx.String(), u(uint64(t.Position)), u(t.Block)})
	}
	files["token_transfers.csv"] = transfers

	for _, name := range ETLFiles {
		if err := writeCSV(filepath.Join(dir, name), files[name]); err != nil {
			return err
		}
	}
	return nil
}

func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

func lower(a common.Address) string { return strings.ToLower(a.Hex()) }
