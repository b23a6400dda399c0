package labels

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"freezetrace/chains"
)

// Format is a kind of label file.
type Format string

// The formats Parse reads.
const (
	FormatTagPack Format = "tagpack" // GraphSense TagPack YAML
	FormatOFAC    Format = "ofac"    // OFAC lists: per-asset .txt/.json, or the SDN advanced XML
	FormatCSV     Format = "csv"     // chain,address,entity,category[,source]
)

// Formats lists the formats in a fixed order.
var Formats = []Format{FormatTagPack, FormatOFAC, FormatCSV}

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Formats {
		if f == k {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown label format %q (known: tagpack, ofac, csv)", s)
}

// Options control a parse.
type Options struct {
	// Strict makes the first bad entry fail the whole file.
	Strict bool
	// Source and Date, when set, are used as the provenance of labels whose
	// file does not say where or when its claims come from (OFAC lists, CSV
	// rows without a source column). They never override the file's own.
	Source string
	Date   string
}

// Bad is an entry that could not be read.
type Bad struct {
	File string
	Line int
	Err  error
}

func (b Bad) Error() string { return fmt.Sprintf("%s:%d: %v", b.File, b.Line, b.Err) }
func (b Bad) Unwrap() error { return b.Err }

// Result is what one file gave.
type Result struct {
	File   string
	Labels []chains.Label
	// Read counts the entries in the file (tags, lines, rows, addresses).
	Read int
	// Skipped counts entries on chains freezetrace does not trace, by the
	// currency or network the file names ("BTC": 17274).
	Skipped map[string]int
	// Bad lists the entries that could not be read, in file order.
	Bad []Bad
}

// SkippedTotal is the number of skipped entries.
func (r Result) SkippedTotal() int {
	n := 0
	for _, v := range r.Skipped {
		n += v
	}
	return n
}

func (r *Result) skip(what string) {
	if r.Skipped == nil {
		r.Skipped = map[string]int{}
	}
	r.Skipped[what]++
}

// bad records a bad entry; in strict mode it returns the error that ends
// the parse.
func (r *Result) bad(opts Options, line int, err error) error {
	b := Bad{File: r.File, Line: line, Err: err}
	r.Bad = append(r.Bad, b)
	if opts.Strict {
		return chains.Invalid(b)
	}
	return nil
}

// Parse reads one label file of format f. name is how the file is named in
// provenance and error messages (usually its path). An error means the file
// as a whole could not be read (or, in strict mode, had a bad entry); it is a
// chains.InputError when the file itself is at fault.
func Parse(r io.Reader, name string, f Format, opts Options) (Result, error) {
	switch f {
	case FormatTagPack:
		return ParseTagPack(r, name, opts)
	case FormatCSV:
		return ParseCSV(r, name, opts)
	case FormatOFAC:
		data, err := io.ReadAll(r)
		if err != nil {
			return Result{File: name}, fmt.Errorf("read %s: %w", name, err)
		}
		if looksLikeXML(data) {
			return ParseSDNXML(bytes.NewReader(data), name, opts)
		}
		return ParseOFACList(bytes.NewReader(data), name, opts)
	}
	return Result{File: name}, chains.Invalid(fmt.Errorf("unknown label format %q", string(f)))
}

// ParseFile opens path and parses it.
func ParseFile(path string, f Format, opts Options) (Result, error) {
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Result{File: path}, chains.Invalid(fmt.Errorf("open %s: %w", path, err))
		}
		return Result{File: path}, fmt.Errorf("open %s: %w", path, err)
	}
	defer fh.Close()
	return Parse(fh, path, f, opts)
}

// Files expands paths (files or folders, searched recursively) into the
// label files of format f, sorted. A file named directly is always kept;
// inside folders only files with the format's extensions are
// (.yaml/.yml for tagpack; sanctioned_addresses_ASSET.txt/.json and .xml
// for ofac; .csv for csv).
func Files(paths []string, f Format) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, chains.Invalid(fmt.Errorf("label path %s: %w", p, err))
		}
		if !st.IsDir() {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !hasExt(path, f) || seen[path] {
				return nil
			}
			seen[path] = true
			found = append(found, path)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", p, err)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func hasExt(path string, f Format) bool {
	ext := strings.ToLower(filepath.Ext(path))
	switch f {
	case FormatTagPack:
		return ext == ".yaml" || ext == ".yml"
	case FormatOFAC:
		// Lists are known by their name; any XML may be the SDN file.
		return ext == ".xml" || ((ext == ".txt" || ext == ".json") && ofacName.MatchString(filepath.Base(path)))
	case FormatCSV:
		return ext == ".csv"
	}
	return false
}

func looksLikeXML(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n\xef\xbb\xbf")
	return bytes.HasPrefix(t, []byte("<"))
}

// fileNote is the provenance part of every Note: the file's base name.
func fileNote(name string) string {
	return "file " + filepath.Base(name)
}

// stableAsset returns the well-known stablecoin of symbol on chain c, or
// nil when freezetrace knows no such contract.
func stableAsset(symbol string, c chains.Chain) *chains.AssetID {
	var id chains.AssetID
	switch {
	case symbol == "USDT" && c == chains.Ethereum:
		id = chains.USDTEthereum
	case symbol == "USDT" && c == chains.Tron:
		id = chains.USDTTron
	case symbol == "USDC" && c == chains.Ethereum:
		id = chains.USDCEthereum
	case symbol == "USDC" && c == chains.Tron:
		id = chains.USDCTron
	default:
		return nil
	}
	return &id
}

// chainByForm guesses the chain of a token address from its form: "T…" is
// TRON, "0x…" Ethereum; anything else (Omni, Solana, …) is not traced.
func chainByForm(addr string) (chains.Chain, bool) {
	a := strings.TrimSpace(addr)
	switch {
	case strings.HasPrefix(a, "T") && len(a) == 34:
		return chains.Tron, true
	case strings.HasPrefix(a, "0x") || strings.HasPrefix(a, "0X"):
		return chains.Ethereum, true
	}
	return "", false
}
