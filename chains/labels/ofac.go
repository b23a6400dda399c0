package labels

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"freezetrace/chains"
)

// OFACSource is the Source of labels read from an OFAC list that does not
// name its own.
const OFACSource = "OFAC SDN list"

// ofacConfidence is the confidence of a sanctions-list entry: the listing
// authority's own data.
const ofacConfidence = 100

var ofacName = regexp.MustCompile(`(?i)^sanctioned_addresses_([a-z0-9]+)\.(txt|json)$`)

// ParseOFACList reads one per-asset list of the
// ofac-sanctioned-digital-currency-addresses project: one address per line
// (.txt; blank lines and # comments ignored) or a JSON array of strings. The
// asset comes from the file name, sanctioned_addresses_ASSET.txt: ETH, TRX,
// BSC, ARB map to their chains; USDT and USDC entries written T… are TRON,
// 0x… Ethereum, and their labels carry that stablecoin as Asset; the lists of
// chains freezetrace does not trace (XBT, LTC, …) are counted as skipped.
// Every label is of category sanctioned with confidence 100. A leading
// byte-order mark is ignored; an address longer than MaxAddress is a bad
// entry.
func ParseOFACList(r io.Reader, name string, opts Options) (Result, error) {
	res := Result{File: name}
	if err := opts.check(); err != nil {
		return res, err
	}
	m := ofacName.FindStringSubmatch(filepath.Base(name))
	if m == nil {
		return res, chains.Invalid(fmt.Errorf("%s: cannot tell the asset from the file name; want sanctioned_addresses_ASSET.txt or .json", name))
	}
	code := strings.ToUpper(m[1])
	data, err := io.ReadAll(skipBOM(r))
	if err != nil {
		return res, fmt.Errorf("read %s: %w", name, err)
	}
	var entries []entry
	if t := bytes.TrimLeft(data, " \t\r\n"); strings.EqualFold(m[2], "json") || len(t) > 0 && t[0] == '[' {
		entries, err = jsonEntries(data)
		if err != nil {
			return res, chains.Invalid(fmt.Errorf("%s: %w", name, err))
		}
	} else {
		entries = lineEntries(data)
	}
	source := OFACSource
	if opts.Source != "" {
		source = opts.Source
	}
	note := fileNote(name) + "; Digital Currency Address - " + code
	for _, e := range entries {
		res.Read++
		chain, asset, ok := ofacChain(code, e.text)
		if !ok {
			res.skip(code)
			continue
		}
		addr, err := parseAddress(chain, e.text)
		if err != nil {
			if err := res.bad(opts, e.line, err); err != nil {
				return res, err
			}
			continue
		}
		l := chains.Label{
			Chain:      chain,
			Address:    addr,
			Category:   chains.CategorySanctioned,
			Asset:      asset,
			Source:     source,
			Date:       opts.Date,
			Note:       note,
			Confidence: ofacConfidence,
		}
		if err := checkLabel(l); err != nil {
			if err := res.bad(opts, e.line, err); err != nil {
				return res, err
			}
			continue
		}
		res.Labels = append(res.Labels, l)
	}
	return res, nil
}

// parseAddress parses an address as written for chain c, bounding its
// length first so that no error quotes a huge value.
func parseAddress(c chains.Chain, raw string) (chains.Address, error) {
	if err := checkLen(string(c)+" address", strings.TrimSpace(raw), MaxAddress); err != nil {
		return chains.Address{}, err
	}
	a, err := c.ParseAddress(raw)
	if err != nil {
		return chains.Address{}, fmt.Errorf("%s address: %w", c, err)
	}
	return a, nil
}

// ofacChain maps an OFAC asset code (the XXX of "Digital Currency Address -
// XXX") and an address to a chain and, for stablecoins, the asset.
func ofacChain(code, addr string) (chains.Chain, *chains.AssetID, bool) {
	switch code {
	case "USDT", "USDC":
		c, ok := chainByForm(addr)
		if !ok {
			return "", nil, false
		}
		return c, stableAsset(code, c), true
	case "ETH":
		return chains.Ethereum, nil, true
	case "TRX":
		return chains.Tron, nil, true
	case "BSC", "BNB", "BEP20":
		return chains.BSC, nil, true
	case "ARB":
		return chains.Arbitrum, nil, true
	case "MATIC", "POL":
		return chains.Polygon, nil, true
	case "BASE":
		return chains.Base, nil, true
	case "OP":
		return chains.Optimism, nil, true
	}
	return "", nil, false
}

type entry struct {
	line int
	text string
}

func lineEntries(data []byte) []entry {
	var out []entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	n := 0
	for sc.Scan() {
		n++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		out = append(out, entry{line: n, text: t})
	}
	return out
}

func jsonEntries(data []byte) ([]entry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("line %d: %s", lineAt(data, dec.InputOffset()), errText(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("want a JSON array of addresses")
	}
	var out []entry
	for dec.More() {
		start := dec.InputOffset()
		var s string
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("line %d: want a string: %s", lineAt(data, dec.InputOffset()), errText(err))
		}
		// The offset before Decode is at the separator; the value starts
		// after it.
		out = append(out, entry{line: lineAt(data, skipSep(data, start)), text: strings.TrimSpace(s)})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("line %d: %s", lineAt(data, dec.InputOffset()), errText(err))
	}
	// Another value after the array (a second list pasted on) is not read.
	end := dec.InputOffset()
	for end < int64(len(data)) && strings.IndexByte(" \t\r\n", data[end]) >= 0 {
		end++
	}
	if end < int64(len(data)) {
		return nil, fmt.Errorf("line %d: data after the JSON array", lineAt(data, end))
	}
	return out, nil
}

func skipSep(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
		off++
	}
	return off
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}
