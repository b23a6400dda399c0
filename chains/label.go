package chains

import (
	"context"
	"fmt"
	"strings"
)

// Category is what kind of actor an address belongs to.
type Category string

// The categories the trace engine knows. Others may be stored but are
// treated as CategoryOther.
//
// A frozen label (CategoryFrozen) is a list's claim that the issuer of a
// stablecoin froze (blacklisted) the address: Asset names the token when
// the list names one freezetrace knows (nil otherwise, the Note keeping
// any name it gives), Evidence holds the freezing transaction when the
// list names one, and Date is when the list made the claim. It is no
// reading of the chain: the issuer may have unfrozen the address since,
// so a FreezeChecker's answer, where there is one, goes before it.
const (
	CategoryExchange   Category = "exchange"   // an exchange's own wallet (hot, cold, reserve)
	CategoryDeposit    Category = "deposit"    // an exchange deposit address of one customer
	CategoryService    Category = "service"    // a custodial service (payments, OTC desk, gambling)
	CategoryMixer      Category = "mixer"      // Tornado Cash and the like
	CategoryBridge     Category = "bridge"     // cross-chain bridge
	CategorySanctioned Category = "sanctioned" // on a sanctions list
	CategoryScam       Category = "scam"       // known scam, hack or ransomware address
	CategoryIssuer     Category = "issuer"     // a token issuer able to freeze
	CategoryDeFi       Category = "defi"       // a DEX, lending pool or other protocol contract
	CategoryFrozen     Category = "frozen"     // an address an issuer has frozen (see above)
	// CategoryInstantExchanger: a custodial instant swap service (FixedFloat,
	// ChangeNOW, SideShift, eXch): it takes one asset and pays out another,
	// and can freeze what it has not paid out.
	CategoryInstantExchanger Category = "instant_exchanger"
	CategoryOther            Category = "other"
)

// Categories lists the known categories in a fixed order.
var Categories = []Category{
	CategoryExchange, CategoryDeposit, CategoryService, CategoryMixer, CategoryBridge,
	CategorySanctioned, CategoryScam, CategoryIssuer, CategoryDeFi, CategoryFrozen, CategoryInstantExchanger, CategoryOther,
}

// ParseCategory reads a category name (case-insensitive).
func ParseCategory(s string) (Category, error) {
	c := Category(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Categories {
		if c == k {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown category %q", s)
}

// Label says who or what an address is, and where that claim comes from.
// Entity and every provenance field are untrusted third-party text: store
// them as data and escape them in every output.
type Label struct {
	Chain    Chain    `json:"chain"`
	Address  Address  `json:"address"`
	Entity   string   `json:"entity"`          // "Binance", "Tornado Cash"
	Category Category `json:"category"`        // see the Category constants
	Asset    *AssetID `json:"asset,omitempty"` // set when the claim is about one asset only (OFAC USDT lists)
	Source   string   `json:"source"`          // the file, list or URL the label came from
	Date     string   `json:"date,omitempty"`  // when the source made the claim (YYYY-MM-DD)
	Note     string   `json:"note,omitempty"`  // free text from the source
	// Confidence is 0–100: how sure the source (or heuristic) is.
	Confidence int `json:"confidence"`
	// Heuristic is empty for labels read from a list, else the rule that
	// derived it ("deposit-sweep", "cluster").
	Heuristic string `json:"heuristic,omitempty"`
	// Evidence lists the transactions that support a derived label; on a
	// frozen label, the freezing transaction.
	Evidence []TxHash `json:"evidence,omitempty"`
}

// Labeler answers who an address is.
type Labeler interface {
	// Labels returns every label known for addr on chain, most confident
	// first, ties by source; an empty slice (not an error) when there is none.
	Labels(ctx context.Context, chain Chain, addr Address) ([]Label, error)
}
