package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"freezetrace/chains"
)

// PutBlocks puts blocks through the import, as rows of the file whose
// lines are not known (see PutFileBlocks); reorged counts the stored
// blocks replaced.
func (im *Import) PutBlocks(ctx context.Context, bs []Block) (added, reorged int, err error) {
	before := im.replaced
	added, err = im.PutFileBlocks(ctx, bs, nil)
	return added, im.replaced - before, err
}

// PutFileBlocks puts the blocks of a file, read at lines (aligned with bs;
// nil when not known), through the import and returns how many it added
// (new blocks, and stored blocks whose hash was unknown). A block stored
// with another hash or time, or given otherwise by an earlier row, is an
// error naming both hashes and lines: a file does not reorganise the chain
// and nothing is forgotten. With ImportInfo.Replace the file's block
// replaces the stored one, and the stored block's transfers and coverage
// are forgotten as in a reorganisation.
func (im *Import) PutFileBlocks(ctx context.Context, bs []Block, lines []int) (added int, err error) {
	if im.done {
		return 0, errors.New("import: already finished")
	}
	if lines != nil && len(lines) != len(bs) {
		return 0, fmt.Errorf("import %s: %d lines for %d blocks", im.info.File, len(lines), len(bs))
	}
	for _, bl := range bs {
		if !bl.Chain.Valid() {
			return 0, fmt.Errorf("block %d: unknown chain %q", bl.Number, string(bl.Chain))
		}
	}
	im.used[kindBlocks] = true
	if len(bs) == 0 {
		return 0, nil
	}
	p, err := im.judgeBlocks(ctx, bs, lines)
	if err != nil {
		return 0, err
	}
	if len(p.write) == 0 {
		im.stored[kindBlocks] += p.stored
		im.repeated[kindBlocks] += p.repeated
		if im.b == nil {
			im.judged += len(bs)
		}
		return 0, nil
	}
	if im.b == nil {
		if err := im.lock(ctx); err != nil {
			return 0, err
		}
		if p, err = im.judgeBlocks(ctx, bs, lines); err != nil {
			return 0, err
		}
	}
	im.stored[kindBlocks] += p.stored
	im.repeated[kindBlocks] += p.repeated
	writes := make([]Block, len(p.write))
	for k, i := range p.write {
		writes[k] = bs[i]
	}
	if _, _, err := im.b.PutBlocks(ctx, writes); err != nil {
		return 0, fmt.Errorf("import %s: %w", im.info.File, err)
	}
	for _, i := range p.write {
		im.blockLines.add(bs[i].Chain, bs[i].Number, int32(lineOf(lines, i)))
	}
	im.replaced += p.replaced
	if p.replaced > 0 {
		im.rewrote = true
	}
	return p.added, nil
}

// blockPlan is what judgeBlocks found: the rows (indexes in bs) to write,
// and the figures.
type blockPlan struct {
	write                             []int
	added, replaced, stored, repeated int
}

type storedBlock struct {
	hash []byte // nil when unknown
	time int64
}

// judgeBlocks compares bs with the stored blocks and with each other.
func (im *Import) judgeBlocks(ctx context.Context, bs []Block, lines []int) (blockPlan, error) {
	var p blockPlan
	stored, err := im.lookupBlocks(ctx, bs)
	if err != nil {
		return p, fmt.Errorf("import %s: %w", im.info.File, err)
	}
	type key struct {
		c chains.Chain
		n uint64
	}
	earlier := map[key]int{}
	for i, bl := range bs {
		var hash []byte
		if bl.Hash != ([32]byte{}) {
			hash = bl.Hash[:]
		}
		here := storedBlock{hash, bl.Time.Unix()}
		if j, ok := earlier[key{bl.Chain, bl.Number}]; ok {
			o := bs[j]
			var oh []byte
			if o.Hash != ([32]byte{}) {
				oh = o.Hash[:]
			}
			if ds := blockDifferences(here, storedBlock{oh, o.Time.Unix()}); ds != nil {
				return p, im.blockConflict(bl.Number, lineOf(lines, i), ds, where(int32(lineOf(lines, j)), true), false)
			}
			p.repeated++
			continue
		}
		s, found := stored[key{bl.Chain, bl.Number}]
		if !found {
			p.write = append(p.write, i)
			p.added++
			earlier[key{bl.Chain, bl.Number}] = i
			continue
		}
		mine, line := im.blockLines.find(bl.Chain, bl.Number)
		switch ds := blockDifferences(here, s); {
		case ds != nil && (mine || !im.info.Replace):
			return p, im.blockConflict(bl.Number, lineOf(lines, i), ds, where(line, mine), !mine)
		case ds != nil:
			p.write = append(p.write, i)
			p.replaced++
			earlier[key{bl.Chain, bl.Number}] = i
		case s.hash == nil && hash != nil:
			p.write = append(p.write, i)
			p.added++
			earlier[key{bl.Chain, bl.Number}] = i
		case mine:
			p.repeated++
		default:
			p.stored++
		}
	}
	return p, nil
}

// blockDifferences lists what here says otherwise than there; an unknown
// hash agrees with any.
func blockDifferences(here, there storedBlock) []diff {
	var ds []diff
	if here.hash != nil && there.hash != nil && string(here.hash) != string(there.hash) {
		ds = append(ds, diff{"hash", fmt.Sprintf("0x%x", here.hash), fmt.Sprintf("0x%x", there.hash)})
	}
	if here.time != there.time {
		ds = append(ds, diff{"time", time.Unix(here.time, 0).UTC().Format(time.RFC3339), time.Unix(there.time, 0).UTC().Format(time.RFC3339)})
	}
	return ds
}

func (im *Import) blockConflict(n uint64, line int, ds []diff, there string, stored bool) error {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%s %s here, %s %s", d.what, d.here, d.there, there)
	}
	msg := fmt.Sprintf("%s: block %d: %s", im.at(line), n, strings.Join(parts, "; "))
	if stored {
		msg += " (a file does not reorganise the chain; import with --replace to store the file's block and forget the stored block's transfers)"
	}
	return chains.Invalid(errors.New(msg))
}

// lookupBlocks reads the stored blocks numbered as in bs.
func (im *Import) lookupBlocks(ctx context.Context, bs []Block) (map[struct {
	c chains.Chain
	n uint64
}]storedBlock, error) {
	type key = struct {
		c chains.Chain
		n uint64
	}
	out := map[key]storedBlock{}
	byChain := map[chains.Chain][]any{}
	var order []chains.Chain
	for _, bl := range bs {
		if _, ok := byChain[bl.Chain]; !ok {
			order = append(order, bl.Chain)
		}
		byChain[bl.Chain] = append(byChain[bl.Chain], int64(bl.Number))
	}
	const per = 200
	query := `SELECT number, hash, time FROM blocks WHERE chain = ? AND number IN (?` + strings.Repeat(",?", per-1) + `)`
	args := make([]any, per+1)
	for _, c := range order {
		nums := byChain[c]
		args[0] = string(c)
		for start := 0; start < len(nums); start += per {
			part := nums[start:min(start+per, len(nums))]
			for i := 0; i < per; i++ {
				args[i+1] = part[min(i, len(part)-1)]
			}
			rows, err := im.querier().QueryContext(ctx, query, args...)
			if err != nil {
				return nil, fmt.Errorf("stored blocks: %w", err)
			}
			for rows.Next() {
				var n, t int64
				var h []byte
				if err := rows.Scan(&n, &h, &t); err != nil {
					rows.Close()
					return nil, fmt.Errorf("stored blocks: %w", err)
				}
				out[key{c, uint64(n)}] = storedBlock{h, t}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("stored blocks: %w", err)
			}
		}
	}
	return out, nil
}

// lineRuns records the lines of the blocks an import wrote, compactly for
// the usual file of consecutive blocks, one a line: runs of consecutive
// numbers at consecutive lines.
type lineRuns struct {
	runs     []lineRun
	unsorted bool
}

type lineRun struct {
	c     chains.Chain
	start uint64
	line  int32 // of start; 0 when not known
	n     int32
}

func (r *lineRuns) add(c chains.Chain, number uint64, line int32) {
	if k := len(r.runs); k > 0 {
		last := &r.runs[k-1]
		next := last.line + last.n
		if last.line == 0 {
			next = 0
		}
		if c == last.c && number == last.start+uint64(last.n) && line == next && last.n < 1<<30 {
			last.n++
			return
		}
		if c != last.c || number < last.start+uint64(last.n) {
			r.unsorted = true
		}
	}
	r.runs = append(r.runs, lineRun{c, number, line, 1})
}

// find reports whether block number of c was written, and at which line.
func (r *lineRuns) find(c chains.Chain, number uint64) (bool, int32) {
	in := func(x lineRun) (bool, int32) {
		if x.c != c || number < x.start || number >= x.start+uint64(x.n) {
			return false, 0
		}
		if x.line == 0 {
			return true, 0
		}
		return true, x.line + int32(number-x.start)
	}
	if !r.unsorted {
		i := sort.Search(len(r.runs), func(i int) bool { return r.runs[i].start > number }) - 1
		if i < 0 {
			return false, 0
		}
		return in(r.runs[i])
	}
	for i := len(r.runs) - 1; i >= 0; i-- {
		if ok, l := in(r.runs[i]); ok {
			return ok, l
		}
	}
	return false, 0
}

// PutAssets puts token metadata through the import, as rows of the file
// whose lines are not known; see PutFileAssets.
func (im *Import) PutAssets(ctx context.Context, as []chains.Asset) (int, error) {
	return im.PutFileAssets(ctx, as, nil)
}

// PutFileAssets puts the token metadata of a file, read at lines, through
// the import and returns how many tokens had none before. A token stored
// with other decimals or another symbol (or as non-fungible), or given
// otherwise by an earlier row, is an error naming both, unless
// ImportInfo.Replace, when the file's metadata replace the stored.
func (im *Import) PutFileAssets(ctx context.Context, as []chains.Asset, lines []int) (int, error) {
	if im.done {
		return 0, errors.New("import: already finished")
	}
	im.used[kindAssets] = true
	type plan struct {
		write                      []int // in as
		replaced, stored, repeated int
	}
	judge := func() (plan, error) {
		var p plan
		earlier := map[chains.AssetID]int{}
		for i, a := range as {
			if j, ok := earlier[a.ID]; ok {
				if ds := assetDifferences(a, as[j].Symbol, int64(as[j].Decimals), true, ""); ds != nil {
					return p, im.assetConflict(a.ID, lineOf(lines, i), ds, where(int32(lineOf(lines, j)), true), false)
				}
				p.repeated++
				continue
			}
			var sym sql.NullString
			var dec sql.NullInt64
			var kind string
			err := im.querier().QueryRowContext(ctx, `SELECT symbol, decimals, kind FROM assets WHERE chain = ? AND contract = ?`,
				string(a.ID.Chain), contractBytes(a.ID)).Scan(&sym, &dec, &kind)
			if errors.Is(err, sql.ErrNoRows) || err == nil && !dec.Valid && kind != "erc721" {
				p.write = append(p.write, i)
				earlier[a.ID] = i
				continue
			}
			if err != nil {
				return p, fmt.Errorf("import %s: asset %s: %w", im.info.File, a.ID, err)
			}
			line, mine := im.assetLines[a.ID]
			switch ds := assetDifferences(a, sym.String, dec.Int64, dec.Valid, kind); {
			case ds != nil && (mine || !im.info.Replace):
				return p, im.assetConflict(a.ID, lineOf(lines, i), ds, where(line, mine), !mine)
			case ds != nil:
				p.write = append(p.write, i)
				p.replaced++
				earlier[a.ID] = i
			case mine:
				p.repeated++
			default:
				p.stored++
			}
		}
		return p, nil
	}
	p, err := judge()
	if err != nil {
		return 0, err
	}
	if len(p.write) > 0 && im.b == nil {
		if err := im.lock(ctx); err != nil {
			return 0, err
		}
		if p, err = judge(); err != nil {
			return 0, err
		}
	}
	if im.b == nil {
		im.judged += len(as)
	}
	im.stored[kindAssets] += p.stored
	im.repeated[kindAssets] += p.repeated
	if len(p.write) == 0 {
		return 0, nil
	}
	writes := make([]chains.Asset, len(p.write))
	for k, i := range p.write {
		writes[k] = as[i]
	}
	n, err := im.b.PutAssets(ctx, writes)
	if err != nil {
		return n, fmt.Errorf("import %s: %w", im.info.File, err)
	}
	for _, i := range p.write {
		im.assetLines[as[i].ID] = int32(lineOf(lines, i))
	}
	im.replaced += p.replaced
	if p.replaced > 0 {
		im.rewrote = true
	}
	return n, nil
}

// assetDifferences lists what a says otherwise than the stored symbol,
// decimals and kind (an unknown symbol agrees with any).
func assetDifferences(a chains.Asset, symbol string, decimals int64, fungible bool, kind string) []diff {
	var ds []diff
	if kind == "erc721" {
		ds = append(ds, diff{"kind", "fungible", "non-fungible (ERC-721)"})
	}
	if int64(a.Decimals) != decimals && fungible {
		ds = append(ds, diff{"decimals", fmt.Sprint(a.Decimals), fmt.Sprint(decimals)})
	}
	if a.Symbol != "" && symbol != "" && a.Symbol != symbol {
		ds = append(ds, diff{"symbol", quoteValue(a.Symbol), quoteValue(symbol)})
	}
	return ds
}

func (im *Import) assetConflict(id chains.AssetID, line int, ds []diff, there string, stored bool) error {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%s %s here, %s %s", d.what, d.here, d.there, there)
	}
	msg := fmt.Sprintf("%s: token %s: %s", im.at(line), id, strings.Join(parts, "; "))
	if stored {
		msg += " (import with --replace to store the file's values instead)"
	}
	return chains.Invalid(errors.New(msg))
}

// quoteValue quotes third-party text for a message, cut to 80 bytes.
func quoteValue(s string) string {
	if len(s) > 80 {
		cut := 80
		for cut > 0 && s[cut]&0xc0 == 0x80 {
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

// PutNonFungible marks tokens as non-fungible through the import; see
// Batch.PutNonFungible. Tokens marked already change nothing.
func (im *Import) PutNonFungible(ctx context.Context, ids []chains.AssetID, symbol string) (int, error) {
	var todo []chains.AssetID
	for _, a := range ids {
		var kind string
		err := im.querier().QueryRowContext(ctx, `SELECT kind FROM assets WHERE chain = ? AND contract = ?`, string(a.Chain), contractBytes(a)).Scan(&kind)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("import %s: asset %s: %w", im.info.File, a, err)
		}
		if kind != "erc721" {
			todo = append(todo, a)
		}
	}
	if len(todo) == 0 {
		if im.b == nil {
			im.judged += len(ids)
		}
		return 0, nil
	}
	if err := im.lock(ctx); err != nil {
		return 0, err
	}
	return im.b.PutNonFungible(ctx, todo, symbol)
}

// PutContracts records known contracts through the import; see
// Batch.PutContracts. Addresses known already are counted as stored.
func (im *Import) PutContracts(ctx context.Context, c chains.Chain, addrs []chains.Address, isContract bool, source string) (int, error) {
	if !c.Valid() {
		return 0, fmt.Errorf("put contracts: unknown chain %q", string(c))
	}
	im.used[kindContracts] = true
	var todo []chains.Address
	known := 0
	for _, a := range addrs {
		ab := a.Bytes()
		var one int
		err := im.querier().QueryRowContext(ctx, `SELECT 1 FROM contracts WHERE chain = ? AND address = ?`, string(c), ab[:]).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			todo = append(todo, a)
		case err != nil:
			return 0, fmt.Errorf("import %s: contract %s: %w", im.info.File, a, err)
		default:
			known++
		}
	}
	if len(todo) > 0 {
		if err := im.lock(ctx); err != nil {
			return 0, err
		}
	} else if im.b == nil {
		im.judged += len(addrs)
	}
	im.stored[kindContracts] += known
	if len(todo) == 0 {
		return 0, nil
	}
	return im.b.PutContracts(ctx, c, todo, isContract, source)
}
