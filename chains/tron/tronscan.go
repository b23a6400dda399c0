package tron

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"freezetrace/chains"
)

// ExportOptions tune ReadTronscan.
type ExportOptions struct {
	// Token is the token of an export that has no token column (one made
	// from a single token's page). Its Decimals also read amounts written
	// in display units.
	Token *chains.Asset
}

// ReadTronscan reads a Tronscan-style TRC-20 transfer export, CSV or JSON
// (told apart by the first character), and returns its transfers in
// canonical order and the assets they move, sorted by id. name is used in
// errors ("name:line: …"), which are chains.InputError.
//
// Columns (CSV headers or JSON keys, matched ignoring case, spaces,
// underscores and punctuation) and the names accepted for each:
//
//	transaction  transaction_id, txid, hash, "Txn Hash", transaction_hash
//	time         block_ts, block_timestamp, timestamp, "Time(UTC)", date_time:
//	             milliseconds since 1970 (seconds if 10 digits or fewer), or a
//	             date-time in UTC ("2006-01-02 15:04:05", RFC 3339)
//	block        block, block_number, block_height (optional; 0 when absent)
//	from, to     from_address, to_address, from, to (base58check or hex)
//	amount       quant, value, raw_value, raw_amount: base units; or amount,
//	             token_value, quantity: display units, read with the decimals
//	token        contract_address, token_address, tokenId, trc20Id, contract
//	             ("_" is TRX); optional when ExportOptions.Token is set
//	decimals     tokenDecimal, decimals (optional)
//	symbol       tokenAbbr, symbol, token_symbol (optional)
//	position     event_index, log_index, position (optional)
//	tx index     transaction_index, tx_index (optional): the transaction's
//	             index in its block; without it transfers of one block order
//	             by position, then transaction id, which may differ from the
//	             chain's order
//	status       contractRet, finalResult (SUCCESS), revert, confirmed, a
//	             Status reading "fail(ed)", "revert(ed)", "error", "pending"
//	             or "unconfirmed" (optional): such rows are skipped
//	event        event_type, type (optional): rows other than Transfer
//	             (Approval) are skipped
//
// JSON is an array of transfer objects, or an object holding one under
// "token_transfers", "data" or "transfers"; a nested tokenInfo/token_info
// object supplies token, symbol and decimals. A saved page of TronGrid's
// own TRC-20 listing reads the same way.
//
// Without a position column, a transfer's Position is its rank among the
// distinct transfers of its transaction ordered by (token, from, to,
// amount), not the chain's event index, and rows repeating a transfer (same
// transaction, token, from, to and amount, as in exports of both its sides)
// are read once. Block is 0 when the export has no block column; such
// transfers order by time.
func ReadTronscan(r io.Reader, name string, o ExportOptions) ([]chains.Transfer, []chains.Asset, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	b := &exportBuilder{name: name, opts: o, assets: make(map[chains.AssetID]chains.Asset), seen: make(map[string]int)}
	if o.Token != nil {
		b.assets[o.Token.ID] = *o.Token
	}
	trim := bytes.TrimLeftFunc(data, unicode.IsSpace)
	if len(trim) > 0 && (trim[0] == '[' || trim[0] == '{') {
		err = readExportJSON(data, b)
	} else {
		err = readExportCSV(data, b)
	}
	if err != nil {
		return nil, nil, chains.Invalid(err)
	}
	return b.finish()
}

// field names: the normalized column names of each field.
var exportFields = map[string][]string{
	"tx":       {"transactionid", "txid", "hash", "txnhash", "txhash", "transactionhash", "transaction"},
	"time":     {"blockts", "blocktimestamp", "timestamp", "timeutc", "time", "datetime", "datetimeutc", "date", "blocktime"},
	"block":    {"block", "blocknumber", "blockheight", "blocknum", "blockno"},
	"from":     {"fromaddress", "from", "sender", "transferfromaddress"},
	"to":       {"toaddress", "to", "receiver", "recipient", "transfertoaddress"},
	"raw":      {"quant", "value", "rawvalue", "rawamount", "amountraw"},
	"display":  {"amount", "tokenvalue", "quantity", "amountdisplay"},
	"token":    {"contractaddress", "tokenaddress", "tokenid", "trc20id", "contract", "tokencontract", "tokencontractaddress"},
	"decimals": {"tokendecimal", "tokendecimals", "decimals", "decimal"},
	"symbol":   {"tokenabbr", "symbol", "tokensymbol"},
	"position": {"eventindex", "logindex", "position"},
	"txindex":  {"transactionindex", "txindex", "txnindex"},
	"ret":      {"contractret", "finalresult"},
	"status":   {"status"},
	"event":    {"eventtype", "type"},
	"revert":   {"revert", "reverted"},
	"confirm":  {"confirmed"},
}

// normKey keeps lowercase letters and digits only.
func normKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fieldOf maps a normalized key to its field, "" when unknown.
func fieldOf(k string) string {
	for f, names := range exportFields {
		if slices.Contains(names, k) {
			return f
		}
	}
	return ""
}

// row is one transfer as written, by field.
type row map[string]string

func readExportCSV(data []byte, b *exportBuilder) error {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	var cols []string // field of each column
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("%s:%d: %v", b.name, pe.Line, pe.Err)
			}
			return fmt.Errorf("%s: %w", b.name, err)
		}
		line, _ := cr.FieldPos(0)
		if cols == nil {
			// Tronscan may put a title above the header: the header is the
			// first record naming a transaction, a sender and a receiver.
			c := make([]string, len(rec))
			has := map[string]bool{}
			for i, h := range rec {
				f := fieldOf(normKey(h))
				if f != "" && !has[f] {
					c[i] = f
					has[f] = true
				}
			}
			if has["tx"] && has["from"] && has["to"] {
				cols = c
			} else if line >= 10 {
				return fmt.Errorf("%s: no header naming the transaction, from and to columns in the first 10 lines", b.name)
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		r := row{}
		for i, v := range rec {
			if i < len(cols) && cols[i] != "" {
				r[cols[i]] = strings.TrimSpace(v)
			}
		}
		if err := b.add(line, r); err != nil {
			return err
		}
	}
	if cols == nil {
		return fmt.Errorf("%s: no header naming the transaction, from and to columns", b.name)
	}
	return nil
}

func readExportJSON(data []byte, b *exportBuilder) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	lineAt := func(off int64) int {
		for off < int64(len(data)) && unicode.IsSpace(rune(data[off])) || (off < int64(len(data)) && data[off] == ',') {
			off++
		}
		return 1 + bytes.Count(data[:min(off, int64(len(data)))], []byte("\n"))
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s:%d: %v", b.name, lineAt(dec.InputOffset()), err)
	}
	if tok == json.Delim('{') {
		found := false
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%s:%d: %v", b.name, lineAt(dec.InputOffset()), err)
			}
			key, _ := k.(string)
			if !found && (key == "token_transfers" || key == "data" || key == "transfers") {
				t, err := dec.Token()
				if err != nil {
					return fmt.Errorf("%s:%d: %v", b.name, lineAt(dec.InputOffset()), err)
				}
				if t != json.Delim('[') {
					return fmt.Errorf("%s:%d: %q is not a list", b.name, lineAt(dec.InputOffset()), key)
				}
				if err := readJSONItems(dec, b, lineAt); err != nil {
					return err
				}
				found = true
				continue
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("%s:%d: %v", b.name, lineAt(dec.InputOffset()), err)
			}
		}
		if !found {
			return fmt.Errorf("%s: no token_transfers, data or transfers list", b.name)
		}
		return nil
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("%s:1: want a JSON array or object", b.name)
	}
	return readJSONItems(dec, b, lineAt)
}

// readJSONItems reads the elements of a list whose '[' was consumed.
func readJSONItems(dec *json.Decoder, b *exportBuilder, lineAt func(int64) int) error {
	for dec.More() {
		line := lineAt(dec.InputOffset())
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return fmt.Errorf("%s:%d: %v", b.name, line, err)
		}
		r := row{}
		flatten(obj, r, false)
		if err := b.add(line, r); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s:%d: %v", b.name, lineAt(dec.InputOffset()), err)
	}
	return nil
}

// flatten maps an object's keys to fields; a nested token info object
// supplies the token's address, symbol and decimals.
func flatten(obj map[string]any, r row, inToken bool) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		n := normKey(k)
		switch v := obj[k].(type) {
		case map[string]any:
			if n == "tokeninfo" {
				flatten(v, r, true)
			}
			continue
		case []any, nil:
			continue
		default:
			f := fieldOf(n)
			if inToken {
				switch n {
				case "address", "tokenid", "contractaddress":
					f = "token"
				case "name", "tokenname", "type", "tokentype":
					f = ""
				}
			}
			if f == "" || r[f] != "" {
				continue
			}
			r[f] = strings.TrimSpace(fmt.Sprint(v))
		}
	}
}

// tronStart is before any TRON transfer: mainnet launched in June 2018.
var tronStart = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)

// parseExportTime reads milliseconds (or seconds, 10 digits or fewer) since
// 1970, or a UTC date-time. Times before 2018 are rejected: no TRON transfer
// is that old, and it keeps seconds and milliseconds apart.
func parseExportTime(s string) (time.Time, error) {
	t, err := parseTimeValue(s)
	if err != nil {
		return time.Time{}, err
	}
	if t.Before(tronStart) {
		return time.Time{}, fmt.Errorf("time %q is before TRON began (2018)", s)
	}
	return t, nil
}

func parseTimeValue(s string) (time.Time, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 1e15 {
			return time.Time{}, fmt.Errorf("time %q out of range", s)
		}
		if len(strings.TrimLeft(s, "0")) <= 10 {
			return time.Unix(n, 0).UTC(), nil
		}
		return time.UnixMilli(n).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02 15:04:05.000", "2006-01-02T15:04:05", "2006/01/02 15:04:05", "2006-01-02 15:04:05 MST"} {
		if t, err := time.Parse(layout, s); err == nil {
			// Block times are whole milliseconds.
			return t.UTC().Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want milliseconds since 1970 or 2006-01-02 15:04:05 (UTC)", s)
}
