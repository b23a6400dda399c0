package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// RecipientKind says why a recipient can act on traced funds.
type RecipientKind string

// The recipient kinds.
const (
	RecipientExchange RecipientKind = "exchange" // traced funds reached its deposit or own addresses
	RecipientIssuer   RecipientKind = "issuer"   // traced funds are held in a token it can freeze
	// RecipientInstantExchanger: traced funds reached a custodial instant
	// swap service (trace.KindInstantExchanger), which can hold what it has
	// not paid out. The directory's kind "instant_exchanger".
	RecipientInstantExchanger RecipientKind = "instant_exchanger"
	// RecipientBridge: traced funds entered a bridge whose operator the
	// directory names (so one that can be written to). The directory's kind
	// "bridge".
	RecipientBridge RecipientKind = "bridge"
)

// custodial reports whether a recipient of kind k holds its customers'
// funds and is written to as an exchange is (a hold on what was credited,
// preservation of records, no tip-off): every kind but an issuer.
func (k RecipientKind) custodial() bool { return k != RecipientIssuer }

// Recipient is one addressee of a letter: an exchange or a stablecoin
// issuer, with the endpoints it can act on and how the funds got there.
type Recipient struct {
	Slug string        `json:"slug"` // file-safe and unique, e.g. "exchange-binance"
	Kind RecipientKind `json:"kind"`
	Name string        `json:"name"`
	// Entry is the recipient's entry in the directory: its legal name and
	// how to reach it; nil when the directory has none.
	Entry     *DirectoryEntry  `json:"directory,omitempty"`
	Totals    []Total          `json:"totals"`
	Endpoints []trace.Endpoint `json:"endpoints"`
	Paths     []Path           `json:"paths"`
	Truncated bool             `json:"paths_truncated,omitempty"`
	Flows     []trace.Flow     `json:"flows"`
	Origins   []trace.Origin   `json:"sources"`
	// Conversions are the swaps and wraps on the recipient's paths: their
	// indexes (1-based) in the trace's Conversions, ascending; absent when
	// its funds were never converted.
	Conversions []int        `json:"conversions,omitempty"`
	Ledger      []trace.Step `json:"-"`
	// Holdings say where the funds at the recipient's freeze targets
	// (trace.IsFreezeTarget) stand, from trace.Result.Holdings, in
	// Endpoints order; a freeze target with none was never read.
	Holdings []trace.Holding `json:"holdings,omitempty"`
	// Letter says whether the recipient gets a letter: not when none of
	// its endpoints is Requested. NoLetter then says why (NoLetterFrozen,
	// NoLetterEmpty, NoLetterFrozenOrEmpty).
	Letter   bool   `json:"letter"`
	NoLetter string `json:"no_letter,omitempty"`
	// Warnings are the trace's warnings this recipient's reader must see:
	// those about its addresses (only those addresses listed), those about
	// no address in particular, and every missing-block-times warning;
	// then, added by Render, those about its freeze targets' holdings
	// (WarnHoldingsNotRead, WarnHoldingIncomplete).
	Warnings  []trace.Warning    `json:"warnings,omitempty"`
	addresses map[addrKey]string // address → its number in the letter, "1", "2", …
}

// Total is what was traced to a recipient in one asset. For an exchange
// some of whose endpoints are its own wallets (ownWallet), ToDeposits and
// ToOwnWallets split Amount between the customer deposit addresses the
// trace identified and the exchange's wallets reached directly; otherwise
// both are nil. Standing splits what reached its freeze targets by where
// it stands now; nil when it has no freeze target in the asset.
type Total struct {
	Asset        chains.AssetID `json:"asset"`
	Amount       chains.Amount  `json:"amount"`
	ToDeposits   *chains.Amount `json:"to_deposit_addresses,omitempty"`
	ToOwnWallets *chains.Amount `json:"to_own_wallets,omitempty"`
	Standing     *Standing      `json:"standing,omitempty"`
	// Value is what Amount stands for in the victims' asset ValueAsset, at
	// the rates of the conversions that made it (the sum of the endpoints'
	// trace.Endpoint.Value); nil when Asset is the victims' asset.
	Value      *chains.Amount `json:"value,omitempty"`
	ValueAsset chains.AssetID `json:"value_asset,omitzero"`
}

// Path is one route from a victim payment to an endpoint: the payment, then
// every traced transfer, in order. Asset is the endpoint's; a path through
// a swap moves in other assets before it (Hop.Asset), and Conversions are
// the swaps it went through, in order (1-based indexes in the trace's
// Conversions).
type Path struct {
	ID          string         `json:"id"`
	Source      string         `json:"source"`
	Endpoint    int            `json:"endpoint"` // index into the recipient's Endpoints
	Hops        []Hop          `json:"hops"`
	Asset       chains.AssetID `json:"asset"`
	Conversions []int          `json:"conversions,omitempty"`
}

// Hop is one transfer on a path. Traced is the part of the transfer's taint
// that came from the path's source. Asset is the transfer's asset when it
// is not the path's (a hop before a swap), absent otherwise; Conversion is
// set on a swap's legs (the 1-based index in the trace's Conversions).
type Hop struct {
	Chain      chains.Chain   `json:"chain"`
	Tx         chains.TxHash  `json:"tx"`
	Position   uint32         `json:"position"`
	Block      uint64         `json:"block"`
	Time       string         `json:"time"`
	From       chains.Address `json:"from"`
	To         chains.Address `json:"to"`
	Amount     chains.Amount  `json:"amount"`
	Traced     chains.Amount  `json:"traced"`
	Payment    bool           `json:"payment,omitempty"` // the victim's own payment
	Asset      chains.AssetID `json:"asset,omitzero"`
	Conversion int            `json:"conversion,omitempty"`
}

// assetOf is the asset hop h of path p moved.
func (p Path) assetOf(h Hop) chains.AssetID {
	if h.Asset != (chains.AssetID{}) {
		return h.Asset
	}
	return p.Asset
}

type addrKey struct {
	chain chains.Chain
	addr  chains.Address
}

// maxPaths bounds the paths shown per endpoint and source; maxExpand bounds
// the search for them, so a dense graph cannot stall a report.
const (
	maxPaths  = 8
	maxExpand = 20000
)

// Recipients groups the trace's endpoints by who can act on them, named
// from the built-in directory (see RecipientsIn).
func Recipients(r *trace.Result) []*Recipient { return RecipientsIn(r, BuiltinDirectory()) }

// RecipientsIn groups the trace's endpoints by who can act on them: one
// recipient per exchange entity with exchange endpoints, one per issuer
// (chains.Issuer) with held endpoints in its token. An entity the
// directory knows (by name or alias) takes the directory's name and entry,
// so that "binance" and "Binance Hot Wallet" are one recipient, Binance.
// The order is: exchanges by name, then issuers by name.
func RecipientsIn(r *trace.Result, dir *Directory) []*Recipient {
	byKey := map[string]*Recipient{}
	for _, e := range r.Endpoints {
		var kind RecipientKind
		var name string
		switch {
		case e.Kind == trace.KindExchange:
			kind, name = RecipientExchange, untrusted.Line(e.Entity)
			if name == "" {
				name = untrusted.Line(string(e.Category))
			}
			if name == "" {
				name = "unnamed exchange"
			}
		case e.Kind == trace.KindInstantExchanger:
			kind, name = RecipientInstantExchanger, untrusted.Line(e.Entity)
			if name == "" {
				name = "unnamed instant exchanger"
			}
		case e.Kind == trace.KindBridge:
			// Only a bridge whose operator the directory names gets a
			// letter: many bridges have no one who could act.
			kind, name = RecipientBridge, untrusted.Line(e.Entity)
			if _, ok := dir.Lookup(name); !ok {
				continue
			}
		case e.Kind == trace.KindHeld && chains.Issuer(e.Asset) != "":
			kind, name = RecipientIssuer, chains.Issuer(e.Asset)
		default:
			continue
		}
		entry, known := dir.Lookup(name)
		if known {
			name = untrusted.Line(entry.Name)
		}
		key := string(kind) + "\x00" + strings.ToLower(name)
		rc := byKey[key]
		if rc == nil {
			rc = &Recipient{Kind: kind, Name: name}
			if known {
				rc.Entry = entry
			}
			byKey[key] = rc
		}
		rc.Endpoints = append(rc.Endpoints, e)
	}
	out := make([]*Recipient, 0, len(byKey))
	for _, rc := range byKey {
		out = append(out, rc)
	}
	slices.SortFunc(out, func(a, b *Recipient) int {
		if c := cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)); c != 0 {
			return c
		}
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	slugs := map[string]bool{}
	for _, rc := range out {
		base := slugify(rc.Name)
		if rc.Entry != nil {
			base = rc.Entry.Key
		}
		rc.Slug = uniqueSlug(strings.ReplaceAll(string(rc.Kind), "_", "-")+"-"+base, rc.Name, slugs)
		rc.fill(r)
	}
	return out
}

// kindOrder sorts recipients: exchanges, instant exchangers, bridges, then
// issuers.
func kindOrder(k RecipientKind) int {
	switch k {
	case RecipientExchange:
		return 0
	case RecipientInstantExchanger:
		return 1
	case RecipientBridge:
		return 2
	}
	return 3
}

// slugify keeps ASCII letters and digits, lowercased, joined by dashes.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	t := b.String()
	if len(t) > 40 {
		t = strings.TrimRight(t[:40], "-")
	}
	return t
}

// uniqueSlug makes base unique; a name with no ASCII letters gets a short
// hash of the name so that it stays stable across runs.
func uniqueSlug(base, name string, seen map[string]bool) string {
	if strings.HasSuffix(base, "-") {
		sum := sha256.Sum256([]byte(name))
		base += hex.EncodeToString(sum[:4])
	}
	s := base
	for i := 2; seen[s]; i++ {
		s = base + "-" + itoa(i)
	}
	seen[s] = true
	return s
}

func itoa(i int) string { return strconv.Itoa(i) }

// fill computes totals, holdings, paths, the flows and ledger steps the
// recipient's evidence shows.
func (rc *Recipient) fill(r *trace.Result) {
	slices.SortFunc(rc.Endpoints, compareEndpoints)
	// Deposit (freeze target) addresses are numbered first, the exchange's
	// own wallets after them.
	rc.addresses = map[addrKey]string{}
	for _, own := range []bool{false, true} {
		for _, e := range rc.Endpoints {
			k := addrKey{e.Chain, e.Address}
			if _, ok := rc.addresses[k]; !ok && ownWallet(e) == own {
				rc.addresses[k] = itoa(len(rc.addresses) + 1)
			}
		}
	}
	rc.Totals = totalsOf(rc.Endpoints)
	valueTotals(r, rc.Endpoints, rc.Totals)
	rc.Warnings = warningsFor(r.Warnings, rc.Endpoints)
	rc.fillHoldings(r.Holdings)

	g := newFlowGraph(r)
	flowSet := map[flowKey]trace.Flow{}
	sourceSet := map[string]bool{}
	addrSet := map[addrKey]map[chains.AssetID]bool{}
	convSet := map[int]bool{}
	n := 0
	for i, e := range rc.Endpoints {
		for _, sh := range e.BySource {
			src, ok := g.sources[sh.Source]
			if !ok {
				continue
			}
			sourceSet[src.ID] = true
			paths, truncated := g.paths(src, e)
			rc.Truncated = rc.Truncated || truncated
			for _, hops := range paths {
				n++
				path := Path{ID: "P" + itoa(n), Source: src.ID, Endpoint: i, Hops: hops, Asset: e.Asset, Conversions: conversionsOn(hops)}
				rc.Paths = append(rc.Paths, path)
				for _, c := range path.Conversions {
					convSet[c] = true
				}
				for _, h := range hops {
					for _, k := range []addrKey{{h.Chain, h.From}, {h.Chain, h.To}} {
						if addrSet[k] == nil {
							addrSet[k] = map[chains.AssetID]bool{}
						}
						addrSet[k][path.assetOf(h)] = true
					}
				}
			}
		}
		for _, f := range g.flowsOf(rc.Paths, i) {
			flowSet[keyOf(f)] = f
		}
	}
	for _, f := range flowSet {
		rc.Flows = append(rc.Flows, f)
	}
	slices.SortFunc(rc.Flows, compareFlows)
	rc.Conversions = slices.Sorted(maps.Keys(convSet))
	for _, s := range r.Origins {
		if sourceSet[s.ID] {
			rc.Origins = append(rc.Origins, s)
		}
	}
	for _, st := range r.Ledger {
		if addrSet[addrKey{st.Chain, st.Address}][st.Asset] {
			rc.Ledger = append(rc.Ledger, st)
		}
	}
}

// AddressNumber is the number an endpoint address has in the letter.
func (rc *Recipient) AddressNumber(chain chains.Chain, a chains.Address) string {
	return rc.addresses[addrKey{chain, a}]
}

func compareEndpoints(a, b trace.Endpoint) int {
	if c := strings.Compare(string(a.Chain), string(b.Chain)); c != 0 {
		return c
	}
	if c := a.Address.Compare(b.Address); c != 0 {
		return c
	}
	if c := a.Asset.Compare(b.Asset); c != 0 {
		return c
	}
	return strings.Compare(string(a.Kind), string(b.Kind))
}

type flowKey struct {
	chain chains.Chain
	tx    chains.TxHash
	asset chains.AssetID
	pos   uint32
}

func keyOf(f trace.Flow) flowKey { return flowKey{f.Chain, f.Tx, f.Asset, f.Position} }

func asTransfer(f trace.Flow) chains.Transfer {
	return chains.Transfer{Chain: f.Chain, Tx: f.Tx, Position: f.Position, Block: f.Block, Time: f.Time,
		From: f.From, To: f.To, Asset: f.Asset, Amount: f.Amount}
}

func compareFlows(a, b trace.Flow) int {
	if c := strings.Compare(string(a.Chain), string(b.Chain)); c != 0 {
		return c
	}
	return chains.Compare(asTransfer(a), asTransfer(b))
}
