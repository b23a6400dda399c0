package screen

import "freezetrace/chains"

// Side is which way money moved relative to the screened address.
type Side string

// The sides: In, funds that reached the address (its sources); Out, funds
// it sent on (its destinations).
const (
	In  Side = "in"
	Out Side = "out"
)

// Direction says which sides to screen.
type Direction string

// The directions.
const (
	DirIn   Direction = "in"
	DirOut  Direction = "out"
	DirBoth Direction = "both"
)

// ParseDirection reads in, out or both.
func ParseDirection(s string) (Direction, error) {
	switch d := Direction(s); d {
	case DirIn, DirOut, DirBoth:
		return d, nil
	}
	return "", chains.Invalid(errorf("--direction %q: want in, out or both", s))
}

// sides lists the sides of d.
func (d Direction) sides() []Side {
	switch d {
	case DirIn:
		return []Side{In}
	case DirOut:
		return []Side{Out}
	}
	return []Side{In, Out}
}

// Result is what screening found about one address.
type Result struct {
	Chain   chains.Chain   `json:"chain"`
	Address chains.Address `json:"address"`
	// Line is the input line the address came from (0 when given on the
	// command line).
	Line  int     `json:"line,omitempty"`
	Level Level   `json:"level"`
	Score float64 `json:"score"`
	// Direct are the address's own risk hits: its labels in a risk
	// category, a stored frozen status, a case's taint.
	Direct []Hit `json:"direct"`
	// Labels are its other labels (exchange, deposit, …): who it is,
	// scoring nothing.
	Labels []Hit `json:"labels,omitempty"`
	// Exposure is the indirect exposure, one entry per risk category and
	// side reached within the hops, highest score first.
	Exposure []Exposure `json:"exposure"`
	Data     Data       `json:"data"`
	// Notes say what limited the answer (a busy address not walked).
	Notes []string `json:"notes,omitempty"`
}

// Hit is one risk fact about one address: a label, a frozen status or a
// case's taint, with where it comes from.
type Hit struct {
	Category   chains.Category `json:"category"`
	Entity     string          `json:"entity"`
	Source     string          `json:"source"`
	Date       string          `json:"date,omitempty"`
	Confidence int             `json:"confidence"`
	Heuristic  string          `json:"heuristic,omitempty"`
}

// Exposure is the screened address's exposure to one risk category on
// one side.
type Exposure struct {
	Category chains.Category `json:"category"`
	Side     Side            `json:"side"`
	// Hops is the length of the nearest path (1: a direct counterparty).
	Hops  int     `json:"hops"`
	Score float64 `json:"score"`
	// Amounts are, per asset, how much of what the address received (In)
	// or sent (Out) in the window is attributed to the category within
	// the hops, by the haircut rule over the window's totals (see the
	// package doc): never more than it received or sent.
	Amounts []AssetAmount `json:"amounts"`
	// Path is the nearest path, from the screened address outward: for
	// In each step's To is nearer the address, for Out its From.
	Path []Step `json:"path"`
	// Hit is what the path ends at: the labeled address and the label.
	HitAddress chains.Address `json:"hit_address"`
	Hit        Hit            `json:"hit"`
}

// AssetAmount is an amount of one asset, in base units.
type AssetAmount struct {
	Asset  chains.AssetID `json:"asset"`
	Amount chains.Amount  `json:"amount"`
}

// Step is one hop of a path: the flow between two addresses in the window
// (all their transfers of one asset that way), cited by its first
// transaction.
type Step struct {
	From   chains.Address `json:"from"`
	To     chains.Address `json:"to"`
	Asset  chains.AssetID `json:"asset"`
	Amount chains.Amount  `json:"amount"` // the flow's total
	Count  int            `json:"transfers"`
	Tx     chains.TxHash  `json:"tx"`
	Block  uint64         `json:"block"`
}

// Data is what a result rests on: the window and the address's own
// transfers in it.
type Data struct {
	From      uint64 `json:"from_block"`
	To        uint64 `json:"to_block"`
	Transfers int    `json:"transfers"`
	First     uint64 `json:"first_block,omitempty"`
	Last      uint64 `json:"last_block,omitempty"`
	// Busy: more counterparties than the degree limit, so the address's
	// own exposure was not walked.
	Busy bool `json:"busy,omitempty"`
	// Covered are the block ranges where the cache holds every transfer of
	// the address (fetched from a source with coverage), for every asset
	// screened; imported files cover nothing per address. Set by the
	// caller.
	Covered []BlockRange `json:"covered,omitempty"`
}

// BlockRange is an inclusive block range.
type BlockRange struct {
	From uint64 `json:"from"`
	To   uint64 `json:"to"`
}
