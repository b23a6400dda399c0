package store

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"freezetrace/chains"
)

var _ chains.FlowReader = (*DB)(nil)
var _ chains.BatchLabeler = (*DB)(nil)

// minFlowRows is the least row cap of Flows (see flowRowCap).
const minFlowRows = 1000

// flowRowCap is how many transfers in the window an address may have
// before Flows, given a MaxPeers, counts its counterparties with a
// DISTINCT stream that stops at MaxPeers+1 instead of reading its rows.
func flowRowCap(maxPeers int) int {
	if maxPeers > math.MaxInt/4 {
		return math.MaxInt
	}
	return max(4*maxPeers, minFlowRows)
}

// inList is "(?,?,…)" with n placeholders, n > 0.
func inList(n int) string { return "(?" + strings.Repeat(",?", n-1) + ")" }

// maxAssetSeeks is how many assets a flow query looks up in the address
// indexes (one seek per address and asset); with more, the asset is a
// filter on each index entry of the address instead ("+asset" keeps
// SQLite from seeking on it), which costs the address's transfers once
// rather than a seek per asset: screening every token of a chain names
// thousands.
const maxAssetSeeks = 8

// assetTerm is the WHERE term selecting n assets.
func assetTerm(n int) string {
	if n > maxAssetSeeks {
		return "+asset IN " + inList(n)
	}
	return "asset IN " + inList(n)
}

// Step 1: each address's transfers in the window, per side, with their
// first and last blocks, read from the covering address indexes. A
// self-transfer is counted on the sending side only. Formatted with the
// address and asset IN lists.
const (
	flowCountFromQuery = `SELECT from_id, count(*), min(block), max(block) FROM transfers
	WHERE from_id IN %s AND %s AND block BETWEEN ? AND ? GROUP BY from_id`
	flowCountToQuery = `SELECT to_id, count(*), min(block), max(block) FROM transfers
	WHERE to_id IN %s AND %s AND block BETWEEN ? AND ? AND from_id != to_id GROUP BY to_id`
)

// flowPeersQuery counts one address's distinct counterparties over both
// sides and every asset, zero-value transfers left out, stopping at the
// limit as countPeersQuery does. Formatted with the asset IN list and the
// limit; the parameters are the address id, the assets and the window,
// for each side.
const flowPeersQuery = `SELECT count(*) FROM (SELECT DISTINCT peer FROM (
	SELECT to_id AS peer FROM transfers WHERE from_id = ? AND %[1]s AND block BETWEEN ? AND ? AND zero = 0
	UNION ALL SELECT from_id FROM transfers WHERE to_id = ? AND %[1]s AND block BETWEEN ? AND ? AND zero = 0)
	LIMIT %[2]d)`

// Step 2: the non-zero transfers of the addresses, one side per query, for
// aggregation in Go (amounts are decimal TEXT too wide for SQL's sum).
// Formatted with the side ("from_id" or "to_id") and the IN lists.
const flowRowsQuery = `SELECT from_id, to_id, asset, amount, tx, tx_index, position, block FROM transfers
	WHERE %s IN %s AND %s AND block BETWEEN ? AND ? AND zero = 0`

// Flows implements chains.FlowReader from the stored transfers. The
// result's keys are the addresses as given, each with its own Flows;
// peers are in q.Chain's family. A self-transfer is one transfer, and both
// an inflow and an outflow whose Peer is the address itself (which then
// counts among its Peers). Flow.Tx is the first transfer by block,
// transaction index, position and hash. First and Last are set for a busy
// address too. An asset the store has never seen has no transfers.
//
// The addresses are read addressesPerQuery at a time: their ids, then their
// transfer counts per side (index only). With q.MaxPeers > 0 an address
// with more transfers than flowRowCap has its counterparties counted up to
// MaxPeers+1 and is Busy past MaxPeers, its rows unread; the others' rows
// are read and summed, and Busy decided from their exact counterparties.
//
// An asset on another chain than q.Chain, an unknown chain or no assets
// is a chains.InputError.
func (db *DB) Flows(ctx context.Context, q chains.FlowQuery, addrs []chains.Address) (map[chains.Address]*chains.Flows, error) {
	if !q.Chain.Valid() || len(q.Assets) == 0 {
		return nil, chains.Invalid(fmt.Errorf("flows: want one or more assets of a known chain, got %d of %q", len(q.Assets), string(q.Chain)))
	}
	for _, a := range q.Assets {
		if a.Chain != q.Chain {
			return nil, chains.Invalid(fmt.Errorf("flows: asset %s is not on chain %s", a, q.Chain))
		}
	}
	byID := map[int64]*chains.Flows{}
	idsOf := map[chains.Address][]int64{}
	if q.From <= q.To && q.From <= math.MaxInt64 {
		aids, assets, _, err := db.assetRows(ctx, q.Assets)
		if err == nil && len(aids) > 0 {
			idsOf, err = byAddress(ctx, db, addrs, `SELECT addr, id FROM addresses WHERE addr IN %s`, nil,
				func(r scanner) (ab []byte, id int64, err error) {
					err = r.Scan(&ab, &id)
					return ab, id, err
				})
		}
		if err != nil {
			return nil, fmt.Errorf("flows of %d addresses: %w", len(addrs), err)
		}
		var ids []any
		for _, a := range addrs {
			if id := idsOf[a]; id != nil && byID[id[0]] == nil {
				byID[id[0]] = &chains.Flows{}
				ids = append(ids, id[0])
			}
		}
		for start := 0; start < len(ids); start += addressesPerQuery {
			if err := db.flowsBatch(ctx, q, assets, aids, ids[start:min(start+addressesPerQuery, len(ids))], byID); err != nil {
				return nil, fmt.Errorf("flows of %d addresses: %w", len(addrs), err)
			}
		}
	}
	out := make(map[chains.Address]*chains.Flows, len(addrs))
	taken := map[int64]bool{}
	for _, a := range addrs {
		if out[a] != nil {
			continue
		}
		out[a] = &chains.Flows{}
		if id := idsOf[a]; id != nil {
			f := byID[id[0]]
			if taken[id[0]] { // the same bytes in another family: a copy of its own
				c := *f
				c.In, c.Out = slices.Clone(f.In), slices.Clone(f.Out)
				f = &c
			}
			out[a], taken[id[0]] = f, true
		}
	}
	return out, nil
}

// flowKey is one flow of a batch: address, counterparty and asset row ids,
// and the side.
type flowKey struct {
	addr, peer, asset int64
	out               bool
}

// flowSum accumulates a flow: the sum, the count, and the canonical order
// key (block, tx_index, position, tx) of its first transfer.
type flowSum struct {
	amount          sum
	n               int
	block, txi, pos int64
	tx              chains.TxHash
}

func (f *flowSum) before(block, txi, pos int64, tx []byte) bool {
	if c := cmp.Or(cmp.Compare(block, f.block), cmp.Compare(txi, f.txi), cmp.Compare(pos, f.pos)); c != 0 {
		return c < 0
	}
	return bytes.Compare(tx, f.tx[:]) < 0
}

// flowsBatch reads the flows of the address ids of ids (at most
// addressesPerQuery) into their Flows in byID.
func (db *DB) flowsBatch(ctx context.Context, q chains.FlowQuery, assets map[int64]chains.AssetID, aids, ids []any, byID map[int64]*chains.Flows) error {
	window := append(slices.Clip(aids), int64(q.From), int64(min(q.To, math.MaxInt64)))
	if err := db.flowCounts(ctx, ids, window, byID); err != nil {
		return err
	}
	var read []any
	for _, idv := range ids {
		id := idv.(int64)
		f := byID[id]
		if f.Transfers == 0 {
			continue
		}
		if q.MaxPeers <= 0 || f.Transfers <= flowRowCap(q.MaxPeers) {
			read = append(read, id)
			continue
		}
		n, err := db.flowPeers(ctx, q.MaxPeers+1, id, window)
		if err != nil {
			return err
		}
		if n > q.MaxPeers {
			f.Busy, f.Peers = true, q.MaxPeers+1
			continue
		}
		read = append(read, id)
	}
	if len(read) == 0 {
		return nil
	}
	sums := map[flowKey]*flowSum{}
	for _, side := range []string{"from_id", "to_id"} {
		if err := db.readFlowRows(ctx, fmt.Sprintf(flowRowsQuery, side, inList(len(read)), assetTerm(len(aids))), append(slices.Clip(read), window...), side == "from_id", sums); err != nil {
			return err
		}
	}
	peers := map[int64]map[int64]bool{}
	for k := range sums {
		if peers[k.addr] == nil {
			peers[k.addr] = map[int64]bool{}
		}
		peers[k.addr][k.peer] = true
	}
	var pairs [][2]int64
	seen := map[int64]bool{}
	for addr, ps := range peers {
		f := byID[addr]
		f.Peers = len(ps)
		if q.MaxPeers > 0 && f.Peers > q.MaxPeers {
			f.Busy, f.Peers = true, q.MaxPeers+1
			continue
		}
		for p := range ps {
			if !seen[p] {
				seen[p] = true
				pairs = append(pairs, [2]int64{p, p})
			}
		}
	}
	// The counterparties' ids are resolved through the address cache, each
	// as a transfer to and from itself.
	ts := make([]chains.Transfer, len(pairs))
	if err := db.resolveAddresses(ctx, ts, pairs, q.Chain.Family()); err != nil {
		return err
	}
	peerAddr := make(map[int64]chains.Address, len(pairs))
	for i, p := range pairs {
		peerAddr[p[0]] = ts[i].From
	}
	for k, s := range sums {
		f := byID[k.addr]
		if f.Busy {
			continue
		}
		fl := chains.Flow{Peer: peerAddr[k.peer], Asset: assets[k.asset], Amount: s.amount.amount(), Count: s.n, Tx: s.tx, Block: uint64(s.block)}
		if k.out {
			f.Out = append(f.Out, fl)
		} else {
			f.In = append(f.In, fl)
		}
	}
	for _, id := range read {
		slices.SortFunc(byID[id.(int64)].In, compareFlows)
		slices.SortFunc(byID[id.(int64)].Out, compareFlows)
	}
	return nil
}

// flowCounts sets Transfers, First and Last of the Flows of ids in byID
// (Step 1); window is the asset ids and the block range.
func (db *DB) flowCounts(ctx context.Context, ids, window []any, byID map[int64]*chains.Flows) error {
	for _, query := range []string{flowCountFromQuery, flowCountToQuery} {
		rows, err := db.sql.QueryContext(ctx, fmt.Sprintf(query, inList(len(ids)), assetTerm(len(window)-2)), append(slices.Clip(ids), window...)...)
		if err != nil {
			return fmt.Errorf("count transfers: %w", err)
		}
		for rows.Next() {
			var id, n, first, last int64
			if err := rows.Scan(&id, &n, &first, &last); err != nil {
				rows.Close()
				return fmt.Errorf("count transfers: %w", err)
			}
			f := byID[id]
			if f.Transfers == 0 || uint64(first) < f.First {
				f.First = uint64(first)
			}
			f.Transfers += int(n)
			f.Last = max(f.Last, uint64(last))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("count transfers: %w", err)
		}
	}
	return nil
}

// compareFlows orders flows by peer, then asset contract bytes.
func compareFlows(a, b chains.Flow) int {
	if c := a.Peer.Compare(b.Peer); c != 0 {
		return c
	}
	return bytes.Compare(contractBytes(a.Asset), contractBytes(b.Asset))
}

// flowPeers counts the distinct counterparties of address id, up to limit;
// window is the asset ids and the block range.
func (db *DB) flowPeers(ctx context.Context, limit int, id int64, window []any) (int, error) {
	args := append(append(append([]any{id}, window...), id), window...)
	var n int
	if err := db.sql.QueryRowContext(ctx, fmt.Sprintf(flowPeersQuery, assetTerm(len(window)-2), limit), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count counterparties of address %d: %w", id, err)
	}
	return n, nil
}

// readFlowRows adds the rows of a flowRowsQuery to sums; out says which
// side the query reads (from_id: the address sent).
func (db *DB) readFlowRows(ctx context.Context, query string, args []any, out bool, sums map[flowKey]*flowSum) error {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read flows: %w", err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var from, to, asset, txi, pos, block int64
		var amt string
		var tx []byte
		if err := rows.Scan(&from, &to, &asset, &amt, &tx, &txi, &pos, &block); err != nil {
			return fmt.Errorf("read flows: %w", err)
		}
		if len(tx) != 32 {
			return fmt.Errorf("read flows: stored hash has %d bytes", len(tx))
		}
		n++
		k := flowKey{addr: to, peer: from, asset: asset, out: out}
		if out {
			k.addr, k.peer = from, to
		}
		s := sums[k]
		if s == nil {
			s = &flowSum{}
			sums[k] = s
		}
		if s.n == 0 || s.before(block, txi, pos, tx) {
			s.block, s.txi, s.pos, s.tx = block, txi, pos, chains.TxHash(tx)
		}
		s.n++
		if err := s.amount.add(amt); err != nil {
			return fmt.Errorf("read flows: stored amount: %w", err)
		}
	}
	db.read.Add(n)
	return rows.Err()
}

// byAddress runs query, whose %s is the IN list of the addresses, for the
// distinct bytes of addrs, addressesPerQuery at a time, with args bound
// before the addresses. scan reads a row: the bytes of the address it is
// about and a value for it. The result has the values of each address as
// given, in row order; addresses with none are not keys.
func byAddress[V any](ctx context.Context, db *DB, addrs []chains.Address, query string, args []any, scan func(scanner) ([]byte, V, error)) (map[chains.Address][]V, error) {
	found := map[[20]byte][]V{}
	var uniq [][20]byte
	for _, a := range addrs {
		if b := a.Bytes(); found[b] == nil {
			found[b] = []V{}
			uniq = append(uniq, b)
		}
	}
	for start := 0; start < len(uniq); start += addressesPerQuery {
		part := uniq[start:min(start+addressesPerQuery, len(uniq))]
		all := slices.Clip(args)
		for i := range part {
			all = append(all, part[i][:])
		}
		rows, err := db.sql.QueryContext(ctx, fmt.Sprintf(query, inList(len(part))), all...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			ab, v, err := scan(rows)
			if err == nil && len(ab) != 20 {
				err = fmt.Errorf("address stored with %d bytes", len(ab))
			}
			if err != nil {
				rows.Close()
				return nil, err
			}
			found[[20]byte(ab)] = append(found[[20]byte(ab)], v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := map[chains.Address][]V{}
	for _, a := range addrs {
		if vs := found[a.Bytes()]; len(vs) > 0 && out[a] == nil {
			out[a] = slices.Clone(vs)
		}
	}
	return out, nil
}

// LabelsOf implements chains.BatchLabeler: for each of addrs, the labels
// Labels returns for it, in the same order and with the same contents
// (Address in c's family). The keys are the addresses as given; those
// with no label are not keys.
func (db *DB) LabelsOf(ctx context.Context, c chains.Chain, addrs []chains.Address) (map[chains.Address][]chains.Label, error) {
	out, err := byAddress(ctx, db, addrs, `SELECT l.address, `+labelSelect+`WHERE l.chain = ? AND l.address IN %s ORDER BY l.address, `+labelOrder,
		[]any{string(c)}, func(r scanner) (ab []byte, l chains.Label, err error) {
			err = scanLabel(r, &l, &ab)
			return ab, l, err
		})
	if err != nil {
		return nil, fmt.Errorf("labels of %d addresses: %w", len(addrs), err)
	}
	for a, ls := range out {
		for i := range ls {
			ls[i].Chain, ls[i].Address = c, a.In(c.Family())
		}
	}
	return out, nil
}

// ContractsOf is KnownContract for many addresses: the value says whether
// the address holds code; addresses the store knows nothing about are not
// keys. The keys are the addresses as given.
func (db *DB) ContractsOf(ctx context.Context, c chains.Chain, addrs []chains.Address) (map[chains.Address]bool, error) {
	found, err := byAddress(ctx, db, addrs, `SELECT address, is_contract FROM contracts WHERE chain = ? AND address IN %s`,
		[]any{string(c)}, func(r scanner) (ab []byte, v bool, err error) {
			err = r.Scan(&ab, &v)
			return ab, v, err
		})
	if err != nil {
		return nil, fmt.Errorf("contracts of %d addresses: %w", len(addrs), err)
	}
	out := make(map[chains.Address]bool, len(found))
	for a, vs := range found {
		out[a] = vs[0]
	}
	return out, nil
}

// assetRows returns the row ids of the stored assets among assets, each
// once in the order given, the assets by row id, and whether the store
// has never seen some of assets.
func (db *DB) assetRows(ctx context.Context, assets []chains.AssetID) (ids []any, byID map[int64]chains.AssetID, unknown bool, err error) {
	byID = map[int64]chains.AssetID{}
	for _, a := range assets {
		id, err := db.assetRowID(ctx, a)
		if err != nil {
			return nil, nil, false, err
		}
		if _, dup := byID[id]; id != 0 && !dup {
			byID[id] = a
			ids = append(ids, id)
		}
		unknown = unknown || id == 0
	}
	return ids, byID, unknown, nil
}

// FrozenOf returns, for each of addrs, those of assets (in the order given,
// each once) whose newest stored freeze status, the one read at the
// highest block, says frozen. Addresses frozen for none are not keys; the
// keys are the addresses as given.
func (db *DB) FrozenOf(ctx context.Context, assets []chains.AssetID, addrs []chains.Address) (map[chains.Address][]chains.AssetID, error) {
	aids, byID, _, err := db.assetRows(ctx, assets)
	if err != nil || len(aids) == 0 {
		return map[chains.Address][]chains.AssetID{}, err
	}
	// With one max() aggregate, SQLite takes the bare column frozen from
	// the row holding the maximum: the newest status.
	query := `SELECT address, asset FROM (SELECT address, asset, frozen, max(block) FROM freezes
		WHERE asset IN ` + inList(len(aids)) + ` AND address IN %s GROUP BY asset, address) WHERE frozen != 0`
	found, err := byAddress(ctx, db, addrs, query, aids, func(r scanner) (ab []byte, asset int64, err error) {
		err = r.Scan(&ab, &asset)
		return ab, asset, err
	})
	if err != nil {
		return nil, fmt.Errorf("freeze statuses of %d addresses: %w", len(addrs), err)
	}
	out := make(map[chains.Address][]chains.AssetID, len(found))
	for a, ids := range found {
		for _, id := range aids {
			if slices.Contains(ids, id.(int64)) {
				out[a] = append(out[a], byID[id.(int64)])
			}
		}
	}
	return out, nil
}

// CoverageOf returns, for each of addrs, the block ranges known complete
// for every one of assets (the intersection of Coverage over the assets),
// merged and sorted. Addresses with no such range are not keys, nor is any
// address when assets is empty or holds an asset the store has never seen;
// the keys are the addresses as given.
func (db *DB) CoverageOf(ctx context.Context, assets []chains.AssetID, addrs []chains.Address) (map[chains.Address][]Range, error) {
	aids, _, unknown, err := db.assetRows(ctx, assets)
	if err != nil || unknown || len(aids) == 0 {
		return map[chains.Address][]Range{}, err
	}
	type assetRange struct {
		asset int64
		Range
	}
	found, err := byAddress(ctx, db, addrs, `SELECT address, asset, from_block, to_block FROM coverage
		WHERE asset IN `+inList(len(aids))+` AND address IN %s ORDER BY address, asset, from_block, to_block`,
		aids, func(r scanner) (ab []byte, v assetRange, err error) {
			err = r.Scan(&ab, &v.asset, &v.From, &v.To)
			return ab, v, err
		})
	if err != nil {
		return nil, fmt.Errorf("coverage of %d addresses: %w", len(addrs), err)
	}
	out := make(map[chains.Address][]Range, len(found))
	for a, vs := range found {
		var rs []Range
		for i, id := range aids {
			var own []Range
			for _, v := range vs {
				if v.asset == id.(int64) {
					own = append(own, v.Range)
				}
			}
			if own = mergeRanges(own); i == 0 {
				rs = own
			} else {
				rs = intersectRanges(rs, own)
			}
		}
		if len(rs) > 0 {
			out[a] = rs
		}
	}
	return out, nil
}

// intersectRanges returns the blocks in both of the merged sorted range
// lists a and b, merged and sorted.
func intersectRanges(a, b []Range) []Range {
	var out []Range
	for i, j := 0, 0; i < len(a) && j < len(b); {
		if lo, hi := max(a[i].From, b[j].From), min(a[i].To, b[j].To); lo <= hi {
			out = append(out, Range{lo, hi})
		}
		if a[i].To < b[j].To {
			i++
		} else {
			j++
		}
	}
	return mergeRanges(out)
}
