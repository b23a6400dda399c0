package sourcetest

import (
	"slices"
	"testing"
	"time"

	"freezetrace/chains"
)

// CheckTransfers checks what a Source's Transfers returned for q against
// the contract of chains.Source, for fuzz targets that feed a source
// hostile answers: canonical order, each transfer once, of q's chain and
// asset, touching q.Address, within q's range clamped to head, at a UTC
// time, with an amount a uint256 holds and addresses of the chain's
// family.
func CheckTransfers(t testing.TB, ts []chains.Transfer, q chains.Query, head uint64) {
	t.Helper()
	if !slices.IsSortedFunc(ts, chains.Compare) {
		t.Fatalf("transfers not in canonical order: %+v", ts)
	}
	fam := q.Chain.Family()
	seen := map[chains.TransferKey]bool{}
	for _, tr := range ts {
		switch {
		case seen[tr.Key()]:
			t.Fatalf("transfer twice: %+v", tr)
		case tr.Chain != q.Chain || tr.Asset != q.Asset:
			t.Fatalf("transfer of another chain or asset: %+v", tr)
		case tr.From != q.Address && tr.To != q.Address:
			t.Fatalf("transfer %+v does not touch %s", tr, q.Address)
		case tr.Block < q.From || tr.Block > min(q.To, head):
			t.Fatalf("transfer in block %d, outside %d-%d", tr.Block, q.From, min(q.To, head))
		case tr.Time.Location() != time.UTC:
			t.Fatalf("transfer time %v not in UTC", tr.Time)
		case tr.Amount.Big().Sign() < 0 || tr.Amount.Big().BitLen() > 256:
			t.Fatalf("amount %s outside uint256", tr.Amount)
		case tr.From.Family() != fam || tr.To.Family() != fam:
			t.Fatalf("address of another family than %s in %+v", q.Chain, tr)
		}
		seen[tr.Key()] = true
	}
}
