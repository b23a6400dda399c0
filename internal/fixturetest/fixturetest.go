// Package fixturetest compares traces of the fixture scenarios with the
// results worked out by hand in their expected.yaml. It is for tests only:
// it joins fixtures to trace, which fixtures itself must not depend on, so
// that every package's tests can use the scenarios and still compare a
// trace with them.
package fixturetest

import (
	"fmt"
	"slices"
	"strings"

	"freezetrace/chains"
	"freezetrace/fixtures"
	"freezetrace/trace"
)

// EndpointLines renders a trace's endpoints as sorted lines in the form of
// fixtures.ExpectedEndpoint.Line, amounts with decimals places. An address
// is named by the actor of s with the same 20 bytes, whatever the chain (so
// the TRON variant of a scenario reads the same), else written out.
func EndpointLines(s *fixtures.Scenario, r *trace.Result, decimals uint8) []string {
	out := make([]string, 0, len(r.Endpoints))
	for _, e := range r.Endpoints {
		bs := make([]string, len(e.BySource))
		for i, sh := range e.BySource {
			bs[i] = sh.Source + "=" + sh.Amount.Format(decimals)
		}
		name := s.ActorAt(e.Address.In(chains.FamilyEVM))
		if name == "" {
			name = e.Address.String()
		}
		out = append(out, fmt.Sprintf("%s %s hops=%d amount=%s %s", e.Kind, name, e.Hops, e.Amount.Format(decimals), strings.Join(bs, ",")))
	}
	slices.Sort(out)
	return out
}
