package tron

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	b, _, err := readTronscan(r, name, o)
	if err != nil {
		return nil, nil, err
	}
	return b.finish()
}

// Bounds on an export, past which it is refused with "name:line: what"
// before a value is parsed; messages quote at most 80 bytes of a value.
const (
	// MaxExport is the largest export read, in bytes: it is read whole.
	MaxExport = 256 << 20
	// MaxLine is the longest CSV line (a record, which may span lines
	// inside quotes), in bytes.
	MaxLine = 1 << 20
)

// fieldBounds is the longest value of each field, in bytes.
var fieldBounds = map[string]int{
	"tx": 80, "time": 64, "block": 20, "from": 80, "to": 80, "raw": 78, "display": 100,
	"token": 80, "decimals": 20, "symbol": 256, "position": 20, "txindex": 20,
	"ret": 64, "status": 64, "event": 64, "revert": 64, "confirm": 64,
}

// exportCounts are what readTronscan saw of the rows.
type exportCounts struct {
	rows    int // data rows (CSV) or items (JSON)
	skipped int // rows of failed, unconfirmed or non-transfer events
	txIndex int // kept rows that give a transaction index
}

// readTronscan reads an export into a builder.
func readTronscan(r io.Reader, name string, o ExportOptions) (*exportBuilder, exportCounts, error) {
	var cnt exportCounts
	data, err := io.ReadAll(io.LimitReader(r, MaxExport+1))
	if err != nil {
		return nil, cnt, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxExport {
		return nil, cnt, chains.Invalid(fmt.Errorf("%s: larger than %d MiB, the most freezetrace reads of an export: split it", name, MaxExport>>20))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	b := &exportBuilder{name: name, opts: o, assets: make(map[chains.AssetID]chains.Asset), seen: make(map[string]int)}
	if o.Token != nil {
		b.assets[o.Token.ID] = *o.Token
	}
	trim := bytes.TrimLeftFunc(data, unicode.IsSpace)
	if len(trim) > 0 && (trim[0] == '[' || trim[0] == '{') {
		err = readExportJSON(data, b, &cnt)
	} else {
		err = readExportCSV(data, b, &cnt)
	}
	if err != nil {
		return nil, cnt, chains.Invalid(err)
	}
	return b, cnt, nil
}

// addRow checks the bounds of a row's values and hands it to the builder,
// counting it.
func addRow(b *exportBuilder, cnt *exportCounts, line int, r row) error {
	cnt.rows++
	for _, f := range slices.Sorted(maps.Keys(r)) {
		if v := r[f]; len(v) > fieldBounds[f] {
			return fmt.Errorf("%s:%d: %s: %s has %d bytes, more than %d", b.name, line, f, clipValue(v), len(v), fieldBounds[f])
		}
	}
	if !rowSucceeded(r) {
		cnt.skipped++
		return nil
	}
	if r["txindex"] != "" {
		cnt.txIndex++
	}
	if err := b.add(line, r); err != nil {
		if c := b.conflict(line, r); c != nil {
			return c
		}
		return err
	}
	return nil
}

// clipValue quotes v for a message, cut to 80 bytes with "…".
func clipValue(v string) string {
	if len(v) <= 80 {
		return strconv.Quote(v)
	}
	cut := 80
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return strconv.Quote(v[:cut]) + "…"
}

// checkCSVShape refuses a CSV export with a record longer than MaxLine or
// one that ends as a cut file does: inside a quoted field, or without a
// line end after the last line (Tronscan ends every line with one). In a
// well-formed file every quote opens, closes or doubles inside a quoted
// field, so counting them tells records apart.
func checkCSVShape(data []byte, name string) error {
	line, start, recLen, quoted := 1, 1, 0, false
	for _, c := range data {
		if recLen == 0 {
			start = line
		}
		switch c {
		case '"':
			quoted = !quoted
		case '\n':
			line++
			if !quoted {
				recLen = 0
				continue
			}
		}
		if recLen++; recLen > MaxLine {
			return fmt.Errorf("%s:%d: line longer than %d bytes (1 MiB), the most freezetrace reads: not an export, or a damaged one", name, start, MaxLine)
		}
	}
	switch {
	case len(data) == 0:
	case quoted:
		return fmt.Errorf("%s:%d: a quoted field is still open at the end of the file: the file looks truncated", name, start)
	case data[len(data)-1] != '\n':
		return fmt.Errorf("%s:%d: the last line has no line end: the file looks truncated", name, line)
	}
	return nil
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

func readExportCSV(data []byte, b *exportBuilder, cnt *exportCounts) error {
	if err := checkCSVShape(data, b.name); err != nil {
		return err
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
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
			at := map[string]int{}
			var dup error
			for i, h := range rec {
				if f := fieldOf(normKey(h)); f != "" {
					if j, ok := at[f]; ok && dup == nil {
						dup = fmt.Errorf("%s:%d: columns %s and %s both give the %s: which one holds the data is not clear",
							b.name, line, clipValue(rec[j]), clipValue(h), fieldNames[f])
					}
					c[i] = f
					at[f] = i
				}
			}
			_, tx := at["tx"]
			_, from := at["from"]
			_, to := at["to"]
			if tx && from && to {
				if dup != nil {
					return dup
				}
				cols = c
			} else if line >= 10 {
				return fmt.Errorf("%s: no header naming the transaction, from and to columns in the first 10 lines", b.name)
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(cols) {
			return fmt.Errorf("%s:%d: %d fields, but the header names %d: is the row broken or the file cut short?", b.name, line, len(rec), len(cols))
		}
		r := row{}
		for i, v := range rec {
			if cols[i] != "" {
				r[cols[i]] = strings.TrimSpace(v)
			}
		}
		if err := addRow(b, cnt, line, r); err != nil {
			return err
		}
	}
	if cols == nil {
		return fmt.Errorf("%s: no header naming the transaction, from and to columns", b.name)
	}
	return nil
}

// fieldNames say what each field is, in messages.
var fieldNames = map[string]string{
	"tx": "transaction id", "time": "time", "block": "block", "from": "sender", "to": "receiver",
	"raw": "amount in base units", "display": "amount", "token": "token contract", "decimals": "decimals",
	"symbol": "symbol", "position": "position", "txindex": "transaction index", "ret": "result",
	"status": "status", "event": "event type", "revert": "revert flag", "confirm": "confirmation",
}

func readExportJSON(data []byte, b *exportBuilder, cnt *exportCounts) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// lineAt counts lines incrementally: offsets mostly grow.
	var lastOff int64
	lastLine := 1
	lineAt := func(off int64) int {
		for off < int64(len(data)) && (unicode.IsSpace(rune(data[off])) || data[off] == ',') {
			off++
		}
		off = min(off, int64(len(data)))
		if off < lastOff {
			lastOff, lastLine = 0, 1
		}
		lastLine += bytes.Count(data[lastOff:off], []byte("\n"))
		lastOff = off
		return lastLine
	}
	fail := func(err error) error { return fmt.Errorf("%s:%d: %v", b.name, lineAt(dec.InputOffset()), err) }
	tok, err := dec.Token()
	if err != nil {
		return fail(err)
	}
	switch tok {
	case json.Delim('{'):
		found := ""
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return fail(err)
			}
			key, _ := k.(string)
			if key == "token_transfers" || key == "data" || key == "transfers" {
				if found != "" {
					return fmt.Errorf("%s:%d: two lists of transfers, %q and %q: which one holds the data is not clear", b.name, lineAt(dec.InputOffset()), found, key)
				}
				t, err := dec.Token()
				if err != nil {
					return fail(err)
				}
				if t != json.Delim('[') {
					return fmt.Errorf("%s:%d: %q is not a list", b.name, lineAt(dec.InputOffset()), key)
				}
				if err := readJSONItems(dec, b, cnt, lineAt); err != nil {
					return err
				}
				found = key
				continue
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(err)
			}
		}
		if _, err := dec.Token(); err != nil {
			return fail(fmt.Errorf("the object is not closed: the file looks truncated (%v)", err))
		}
		if found == "" {
			return fmt.Errorf("%s: no token_transfers, data or transfers list", b.name)
		}
	case json.Delim('['):
		if err := readJSONItems(dec, b, cnt, lineAt); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s:1: want a JSON array or object", b.name)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail(errors.New("more after the end of the JSON value"))
	}
	return nil
}

// readJSONItems reads the elements of a list whose '[' was consumed, and
// its closing ']'.
func readJSONItems(dec *json.Decoder, b *exportBuilder, cnt *exportCounts, lineAt func(int64) int) error {
	for dec.More() {
		line := lineAt(dec.InputOffset())
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return fmt.Errorf("%s:%d: %v", b.name, line, err)
		}
		r := row{}
		if err := flatten(obj, r, map[string]string{}, ""); err != nil {
			return fmt.Errorf("%s:%d: %v", b.name, line, err)
		}
		if err := addRow(b, cnt, line, r); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s:%d: the list is not closed: the file looks truncated (%v)", b.name, lineAt(dec.InputOffset()), err)
	}
	return nil
}

// flatten maps an object's keys to fields; a nested token info object
// (under the key prefix) supplies the token's address, symbol and
// decimals. Two keys giving one field must agree; from names the key each
// field came from.
func flatten(obj map[string]any, r row, from map[string]string, prefix string) error {
	inToken := prefix != ""
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		n := normKey(k)
		switch v := obj[k].(type) {
		case map[string]any:
			if n == "tokeninfo" && !inToken {
				if err := flatten(v, r, from, k+"."); err != nil {
					return err
				}
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
			if f == "" {
				continue
			}
			s := strings.TrimSpace(fmt.Sprint(v))
			if s == "" {
				continue
			}
			if old, ok := r[f]; ok && old != s && f == "ret" {
				// contractRet and finalResult may word one outcome
				// differently: any that is not a success fails the row.
				if rowSucceeded(row{"ret": old}) {
					r[f], from[f] = s, prefix+k
				}
				continue
			}
			if old, ok := r[f]; ok && old != s {
				return fmt.Errorf("keys %s and %s both give the %s, as %s and %s", clipValue(from[f]), clipValue(prefix+k), fieldNames[f], clipValue(old), clipValue(s))
			}
			r[f], from[f] = s, prefix+k
		}
	}
	return nil
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
		if err != nil || n > lastTime.UnixMilli() {
			return time.Time{}, fmt.Errorf("time %s is after the year 9999", clipValue(s))
		}
		if len(strings.TrimLeft(s, "0")) <= 10 {
			return time.Unix(n, 0).UTC(), nil
		}
		return time.UnixMilli(n).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02 15:04:05.000", "2006-01-02T15:04:05", "2006/01/02 15:04:05", "2006-01-02 15:04:05 MST"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.After(lastTime) {
				return time.Time{}, fmt.Errorf("time %s is after the year 9999", clipValue(s))
			}
			// Block times are whole milliseconds.
			return t.UTC().Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %s: want milliseconds since 1970 or 2006-01-02 15:04:05 (UTC)", clipValue(s))
}

// lastTime is the last time an export may give: later ones cannot be
// written as RFC 3339, which reports and JSON use.
var lastTime = time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)
