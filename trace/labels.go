package trace

import (
	"context"
	"fmt"

	"freezetrace/chains"
)

// LabelAttributor is the default Attributor: it attributes an address from
// the labels a chains.Labeler knows, and nothing else (no deposit-address
// detection, no clusters). Labels scoped to another asset are ignored.
type LabelAttributor struct {
	Labeler chains.Labeler
}

var _ Attributor = LabelAttributor{}

// NewLabelAttributor returns the default Attributor over l.
func NewLabelAttributor(l chains.Labeler) LabelAttributor { return LabelAttributor{Labeler: l} }

// Attribute returns the labels of addr on asset's chain. The main label is
// the most confident one that is not a sanctions entry (a sanctions entry
// when there is nothing else); Sanctioned is set when any label is one.
func (a LabelAttributor) Attribute(ctx context.Context, addr chains.Address, asset chains.AssetID, _ uint64) (Attribution, error) {
	if a.Labeler == nil {
		return Attribution{}, nil
	}
	all, err := a.Labeler.Labels(ctx, asset.Chain, addr)
	if err != nil {
		return Attribution{}, fmt.Errorf("labels of %s: %w", addr, err)
	}
	var ls []chains.Label
	for _, l := range all {
		if l.Asset != nil && *l.Asset != asset {
			continue
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return Attribution{}, nil
	}
	at := Attribution{Labels: ls}
	main := -1
	for i, l := range ls {
		if l.Category == chains.CategorySanctioned {
			at.Sanctioned = true
		} else if main < 0 {
			main = i
		}
	}
	if main < 0 {
		main = 0
	}
	m := ls[main]
	at.Entity, at.Category = m.Entity, m.Category
	at.Reason = fmt.Sprintf("labeled %s %q by %s", m.Category, m.Entity, m.Source)
	if at.Sanctioned && m.Category != chains.CategorySanctioned {
		for _, l := range ls {
			if l.Category == chains.CategorySanctioned {
				at.Reason += fmt.Sprintf("; on a sanctions list (%s)", l.Source)
				break
			}
		}
	}
	return at, nil
}
