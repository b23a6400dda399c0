package emulate

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// lower is an address as ethereum-etl writes it: 0x and 40 lowercase digits.
func lower(a common.Address) string { return hexutil.Encode(a[:]) }

func writeCSV(w io.Writer, header []string, rows func(emit func(...string) error) error) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := rows(func(rec ...string) error { return cw.Write(rec) }); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteTokenTransfers writes ethereum-etl's token_transfers.csv: every
// Transfer log, the ERC-721 one included (ethereum-etl exports it too,
// with the token id as value; tokens.csv marks its contract non-fungible).
func (d *Dataset) WriteTokenTransfers(w io.Writer) error {
	return writeCSV(w, []string{"token_address", "from_address", "to_address", "value", "transaction_hash", "log_index", "block_number"},
		func(emit func(...string) error) error {
			for _, l := range d.Logs {
				if len(l.Topics) < 3 || l.Topics[0] != TransferTopic {
					continue
				}
				v := new(big.Int).SetBytes(l.Data)
				if len(l.Topics) == 4 {
					v = l.Topics[3].Big()
				}
				if err := emit(lower(l.Address), lower(common.BytesToAddress(l.Topics[1][12:])), lower(common.BytesToAddress(l.Topics[2][12:])),
					v.String(), l.TxHash.Hex(), strconv.FormatUint(uint64(l.LogIndex), 10), strconv.FormatUint(l.Block, 10)); err != nil {
					return err
				}
			}
			return nil
		})
}

// WriteBlocks writes ethereum-etl's blocks.csv (a subset of its columns)
// for every block from First to Last.
func (d *Dataset) WriteBlocks(w io.Writer) error {
	return writeCSV(w, []string{"number", "hash", "parent_hash", "miner", "gas_limit", "gas_used", "timestamp", "transaction_count", "base_fee_per_gas"},
		func(emit func(...string) error) error {
			for n := d.First; n <= d.Last; n++ {
				h, _ := d.Header(n)
				txs := len(d.blockTxs[n])
				if err := emit(strconv.FormatUint(n, 10), h.Hash.Hex(), h.Parent.Hex(), lower(miner), "30000000",
					strconv.Itoa(gasUsed*txs), strconv.FormatUint(h.Time, 10), strconv.Itoa(txs), strconv.Itoa(baseFee)); err != nil {
					return err
				}
			}
			return nil
		})
}

// WriteTokens writes ethereum-etl's tokens.csv; a non-fungible token has
// empty decimals, as ethereum-etl leaves them.
func (d *Dataset) WriteTokens(w io.Writer) error {
	return writeCSV(w, []string{"address", "symbol", "name", "decimals", "total_supply", "block_number"},
		func(emit func(...string) error) error {
			for _, t := range d.Tokens {
				dec := ""
				if t.Decimals >= 0 {
					dec = strconv.Itoa(t.Decimals)
				}
				if err := emit(lower(t.Address), t.Symbol, t.Name, dec, t.TotalSupply.String(), strconv.FormatUint(d.First, 10)); err != nil {
					return err
				}
			}
			return nil
		})
}

// WriteContracts writes ethereum-etl's contracts.csv for the addresses
// holding code.
func (d *Dataset) WriteContracts(w io.Writer) error {
	return writeCSV(w, []string{"address", "bytecode", "function_sighashes", "is_erc20", "is_erc721", "block_number"},
		func(emit func(...string) error) error {
			for _, c := range d.Contracts {
				erc20, erc721 := "false", "false"
				switch c {
				case d.Token.Address:
					erc20 = "true"
				case d.NFT:
					erc721 = "true"
				}
				if err := emit(lower(c), hexutil.Encode(d.code0(c)), "", erc20, erc721, strconv.FormatUint(d.First, 10)); err != nil {
					return err
				}
			}
			return nil
		})
}

// WriteLabels writes the labels in the form `freezetrace labels import
// --format csv` reads: chain,address,entity,category,source.
func (d *Dataset) WriteLabels(w io.Writer) error {
	return writeCSV(w, []string{"chain", "address", "entity", "category", "source"},
		func(emit func(...string) error) error {
			for _, l := range d.Labels {
				if err := emit("ethereum", ChainAddress(l.Address).String(), l.Entity, string(l.Category), l.Source); err != nil {
					return err
				}
			}
			return nil
		})
}

// WriteVictims writes the victim payment transaction hashes, one a line.
func (d *Dataset) WriteVictims(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, h := range d.VictimPayments {
		if _, err := fmt.Fprintln(bw, h.Hex()); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Files are the paths WriteFiles wrote.
type Files struct {
	TokenTransfers, Blocks, Tokens, Contracts, Labels, Victims string
}

// WriteFiles writes every file into dir: token_transfers.csv, blocks.csv,
// tokens.csv, contracts.csv, labels.csv and victims.txt. Import tokens.csv
// before token_transfers.csv so that the ERC-721 transfer is recognised.
func (d *Dataset) WriteFiles(dir string) (Files, error) {
	f := Files{
		TokenTransfers: filepath.Join(dir, "token_transfers.csv"),
		Blocks:         filepath.Join(dir, "blocks.csv"),
		Tokens:         filepath.Join(dir, "tokens.csv"),
		Contracts:      filepath.Join(dir, "contracts.csv"),
		Labels:         filepath.Join(dir, "labels.csv"),
		Victims:        filepath.Join(dir, "victims.txt"),
	}
	for _, x := range []struct {
		path  string
		write func(io.Writer) error
	}{
		{f.TokenTransfers, d.WriteTokenTransfers}, {f.Blocks, d.WriteBlocks}, {f.Tokens, d.WriteTokens},
		{f.Contracts, d.WriteContracts}, {f.Labels, d.WriteLabels}, {f.Victims, d.WriteVictims},
	} {
		if err := writeFile(x.path, x.write); err != nil {
			return Files{}, err
		}
	}
	return f, nil
}

func writeFile(path string, write func(io.Writer) error) (err error) {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	if err := write(out); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Constants of the emulated chain's headers and transactions.
const (
	gasUsed  = 51_000
	gasLimit = 90_000
	baseFee  = 7_000_000_000
	tip      = 1_000_000_000
)

var miner = common.HexToAddress("0x95222290DD7278Aa3Ddd389Cc1E1d165CC4BAfe5")

// code0 is the bytecode an address answers eth_getCode with: a short
// stand-in per contract, nothing for an account.
func (d *Dataset) code0(a common.Address) []byte {
	if !d.code[a] {
		return nil
	}
	return append(common.FromHex("0x6080604052348015600f57600080fd5b50"), a[:4]...)
}
