// Package screen answers, for many addresses at once, how exposed each is
// to risk: sanctioned wallets, scams, mixers, frozen addresses and the
// wallets of traced cases. It is what compliance teams run on their
// customers' deposit addresses, withdrawal destinations and counterparties.
//
// For each address it reports its direct hits (its own labels in a risk
// category), and, per risk category and side (In: where its funds came
// from; Out: where it sent them), the nearest hit within Hops, the path to
// it (addresses and the first transaction of each hop), and the amount
// attributed to the category. A Policy turns the hits into a score and a
// level.
//
// # What is walked
//
// Screening walks flows: all transfers of one asset between two addresses
// in one direction within the window [From, To], summed. It walks through
// ordinary addresses only, with tracing's stop rules: it does not walk
// through an address labeled as an exchange, deposit address, custodial
// service, bridge, issuer or DeFi protocol, a mixer or sanctioned address,
// a contract with no label, an address with more distinct counterparties
// in the window than MaxDegree, or any risk hit. So a customer whose only
// link to a sanctioned wallet is that both used one exchange hot wallet is
// not exposed through it.
//
// # Amounts: the haircut rule over the window's totals
//
// A flow from a hit carries all of its amount. A flow of v from an address
// p that the walk goes through carries v × X / T of the category, where T
// is everything p received (for In; sent, for Out) of that asset in the
// window and X the part of it attributed to the category within one hop
// fewer, computed the same way; rounded down in base units. Every share is
// at most 1, so the amount attributed to an address never exceeds what it
// received or sent, however many paths lead to a hit. The rule looks at
// the window's totals, not at the order of the transfers in it: funds p
// received after it paid the screened address count in its share too. It
// is a screening measure, not a trace; a trace (package trace) follows the
// order of events.
//
// The null address is no counterparty: a flow from it is a mint, to it a
// burn, and it is never walked or counted as a hit of another address.
//
// Assets are kept apart: a flow of one asset carries none of another
// asset's exposure.
//
// # Unknown is not clean
//
// An address with no transfer in the window and no label has level
// Unknown, never None: the data says nothing about it; so has an address
// with no label and no direct hit that is too busy to walk (its exposure
// was not computed). Every Result says
// what data it rests on (the window, the address's transfers in it).
//
// screen depends on chains only: no SQL, no network. Reader is the store.
package screen
