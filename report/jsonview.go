package report

import (
	"encoding/json"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// jsonTime is a time in the report JSON: RFC 3339, or null when it is
// unknown (the zero time), never year 1.
type jsonTime time.Time

// MarshalJSON writes null for the zero time.
func (t jsonTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return time.Time(t).MarshalJSON()
}

// jsonFlow and jsonSource are trace.Flow and trace.Source as the report
// JSON writes them: the same fields in the same order, an unknown time as
// null. TestJSONViews keeps them in step with the trace's types.
type jsonFlow struct {
	Chain    chains.Chain   `json:"chain"`
	Tx       chains.TxHash  `json:"tx"`
	Position uint32         `json:"position"`
	Block    uint64         `json:"block"`
	Time     jsonTime       `json:"time"`
	From     chains.Address `json:"from"`
	To       chains.Address `json:"to"`
	Asset    chains.AssetID `json:"asset"`
	Amount   chains.Amount  `json:"amount"`
	Tainted  chains.Amount  `json:"tainted"`
	Hop      int            `json:"hop"`
	BySource []trace.Share  `json:"by_source"`
}

type jsonSource struct {
	ID       string         `json:"id"`
	Victim   string         `json:"victim,omitempty"`
	Chain    chains.Chain   `json:"chain"`
	Tx       chains.TxHash  `json:"tx"`
	Position uint32         `json:"position"`
	Block    uint64         `json:"block"`
	Time     jsonTime       `json:"time"`
	From     chains.Address `json:"from"`
	To       chains.Address `json:"to"`
	Asset    chains.AssetID `json:"asset"`
	Amount   chains.Amount  `json:"amount"`
}

func flowView(f trace.Flow) jsonFlow {
	return jsonFlow{Chain: f.Chain, Tx: f.Tx, Position: f.Position, Block: f.Block, Time: jsonTime(f.Time), From: f.From, To: f.To,
		Asset: f.Asset, Amount: f.Amount, Tainted: f.Tainted, Hop: f.Hop, BySource: f.BySource}
}

func sourceView(s trace.Source) jsonSource {
	return jsonSource{ID: s.ID, Victim: s.Victim, Chain: s.Chain, Tx: s.Tx, Position: s.Position, Block: s.Block, Time: jsonTime(s.Time),
		From: s.From, To: s.To, Asset: s.Asset, Amount: s.Amount}
}

// MarshalJSON writes the recipient with its fields' tags; flows and
// sources whose block time is unknown get "time": null.
func (rc *Recipient) MarshalJSON() ([]byte, error) {
	flows := make([]jsonFlow, len(rc.Flows))
	for i, f := range rc.Flows {
		flows[i] = flowView(f)
	}
	sources := make([]jsonSource, len(rc.Sources))
	for i, s := range rc.Sources {
		sources[i] = sourceView(s)
	}
	if rc.Flows == nil {
		flows = nil
	}
	if rc.Sources == nil {
		sources = nil
	}
	return json.Marshal(struct {
		Slug      string           `json:"slug"`
		Kind      RecipientKind    `json:"kind"`
		Name      string           `json:"name"`
		Totals    []Total          `json:"totals"`
		Endpoints []trace.Endpoint `json:"endpoints"`
		Paths     []Path           `json:"paths"`
		Truncated bool             `json:"paths_truncated,omitempty"`
		Flows     []jsonFlow       `json:"flows"`
		Sources   []jsonSource     `json:"sources"`
		Warnings  []trace.Warning  `json:"warnings,omitempty"`
	}{rc.Slug, rc.Kind, rc.Name, rc.Totals, rc.Endpoints, rc.Paths, rc.Truncated, flows, sources, rc.Warnings})
}
