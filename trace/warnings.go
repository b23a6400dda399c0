package trace

import (
	"cmp"
	"fmt"
	"slices"

	"freezetrace/chains"
)

// warnings lists what the walk could not do or know, sorted by code and
// message: transfers without block times, addresses whose deposit
// detection could not run, and listed exchange wallets reached without a
// deposit address.
func (w *walker) warnings(eps []Endpoint) []Warning {
	var out []Warning
	missing, total := 0, 0
	for _, f := range w.flows {
		total++
		if f.Time.IsZero() {
			missing++
		}
	}
	for _, s := range w.steps {
		if s.Event != "open" {
			total++
			if s.Time.IsZero() {
				missing++
			}
		}
	}
	if missing > 0 {
		out = append(out, Warning{Code: WarnNoBlockTimes, Message: fmt.Sprintf(
			"%d of the %d traced transfers and ledger events have no block time: their times are unknown and time limits "+
				"(--until, the deposit window) could not be applied to them; import the blocks file or trace with a node", missing, total)})
	}
	if len(w.undetermined) > 0 {
		addrs := make([]chains.Address, 0, len(w.undetermined))
		for a := range w.undetermined {
			addrs = append(addrs, a)
		}
		slices.SortFunc(addrs, chains.Address.Compare)
		out = append(out, Warning{Code: WarnNoDepositDetection, Addresses: addrs, Message: fmt.Sprintf(
			"exchange deposit-address detection could not run for %d address(es) the taint reached (for example: %s), "+
				"so an exchange deposit address may be shown as a personal wallet and the exchange's own wallet as the endpoint",
			len(addrs), w.undetermined[addrs[0]])})
	}
	for _, e := range eps {
		if e.Kind == KindExchange && e.Category == chains.CategoryExchange {
			out = append(out, Warning{Code: WarnHotWallet, Addresses: []chains.Address{e.Address}, Message: fmt.Sprintf(
				"taint reached %s, a wallet listed as the exchange %q's own, directly: the customer's deposit address was not identified "+
					"(no address on the path was found sweeping into the exchange); the exchange must find the account credited by the listed transactions.",
				e.Address, e.Entity)})
		}
	}
	slices.SortStableFunc(out, func(a, b Warning) int {
		if c := cmp.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return cmp.Compare(a.Message, b.Message)
	})
	return out
}
