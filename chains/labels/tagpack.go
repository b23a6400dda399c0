package labels

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"freezetrace/chains"
)

// ParseTagPack reads a GraphSense TagPack: a YAML mapping whose fields
// (title, label, actor, category, abuse, concepts, currency, network,
// source, confidence, lastmod) are inherited by every entry of its "tags"
// list, each entry overriding what it sets.
//
// Each tag gives one label per category it names: its category, each of its
// concepts and its abuse are mapped to chains.Category (exchange; mixing
// service and coinjoin → mixer; bridge; defi; wallet and payment services,
// gambling and markets → service; scam, phishing, hacks, ransomware and
// fraud schemes → scam; token issuers → issuer; black_list, an issuer's
// blacklist → frozen), and a pack or tag that says OFAC or sanction adds a
// sanctioned label. A tag that maps to nothing is one label of category
// other. A frozen label takes the freezing transaction and the token from
// the tag's context, a JSON object as GraphSense's USDT blacklist writes
// it ({"transaction": "0x…", "token": "USDT"}): the transaction as its
// Evidence, the token as its Asset when it is USDT or USDC on the tag's
// chain. Entity is the actor when there is one, else the tag's label.
// Confidence words are mapped to 0–100 (see Confidence).
//
// A TagPack file holds one YAML document, as GraphSense's own tagpack-tool
// reads it (PyYAML's single-document load): a file with a second document
// is bad as a whole ("a TagPack holds one document") rather than read in
// part. A key given twice in one mapping (two label: in a tag, two tags:)
// is bad as a whole too, naming both lines, as the tool's unique-key loader
// rejects it: which of the two the author meant cannot be known. A header
// field over its limit (see MaxEntity and the others) makes the file bad,
// since every tag inherits it; a tag's field over its limit makes that tag
// a bad entry. A leading byte-order mark is ignored.
func ParseTagPack(r io.Reader, name string, opts Options) (res Result, err error) {
	res.File = name
	if err := opts.check(); err != nil {
		return res, err
	}
	defer func() {
		// The YAML parser is fed untrusted files; a panic in it must not
		// take the program down.
		if p := recover(); p != nil {
			res, err = Result{File: name}, chains.Invalid(fmt.Errorf("%s: malformed YAML: %s", name, errText(fmt.Errorf("%v", p))))
		}
	}()
	dec := yaml.NewDecoder(skipBOM(r))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return res, chains.Invalid(fmt.Errorf("%s: empty file, want a TagPack", name))
		}
		return res, chains.Invalid(fmt.Errorf("%s: %s", name, errText(err)))
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return res, chains.Invalid(fmt.Errorf("%s:%d: a TagPack holds one document; a second one starts here", name, next.Line))
	case !errors.Is(err, io.EOF):
		return res, chains.Invalid(fmt.Errorf("%s: %s", name, errText(err)))
	}
	if line, err := uniqueKeys(&doc); err != nil {
		return res, chains.Invalid(fmt.Errorf("%s:%d: %w", name, line, err))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return res, chains.Invalid(fmt.Errorf("%s:%d: want a TagPack mapping with a tags list", name, root.Line))
	}
	header := fields{}
	var tags *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value == "tags" {
			tags = v
			continue
		}
		if line, err := header.set(k.Value, v); err != nil {
			return res, chains.Invalid(fmt.Errorf("%s:%d: header %w", name, line, err))
		}
	}
	if tags == nil {
		return res, chains.Invalid(fmt.Errorf("%s:%d: no tags list", name, root.Line))
	}
	if tags.Kind != yaml.SequenceNode {
		return res, chains.Invalid(fmt.Errorf("%s:%d: tags is not a list", name, tags.Line))
	}
	for _, t := range tags.Content {
		res.Read++
		for i := 0; t.Kind == yaml.AliasNode && t.Alias != nil && i < 8; i++ {
			t = t.Alias
		}
		if t.Kind != yaml.MappingNode {
			if err := res.bad(opts, t.Line, fmt.Errorf("tag is not a mapping")); err != nil {
				return res, err
			}
			continue
		}
		f := header.clone()
		line, berr := t.Line, error(nil)
		for i := 0; i+1 < len(t.Content) && berr == nil; i += 2 {
			line, berr = f.set(t.Content[i].Value, t.Content[i+1])
		}
		var ls []chains.Label
		var skipped string
		if berr == nil {
			line = t.Line
			ls, skipped, berr = tagLabels(f, name)
		}
		if berr != nil {
			if err := res.bad(opts, line, berr); err != nil {
				return res, err
			}
			continue
		}
		if skipped != "" {
			res.skip(skipped)
			continue
		}
		res.Labels = append(res.Labels, ls...)
	}
	return res, nil
}

// uniqueKeys returns an error and its line for the first key (in document
// order) that a mapping of n holds twice. Aliases are not followed: the
// node they name is checked where it stands.
func uniqueKeys(n *yaml.Node) (int, error) {
	if n.Kind == yaml.MappingNode {
		seen := make(map[[2]string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			key := [2]string{k.ShortTag(), k.Value}
			if first, ok := seen[key]; ok {
				return k.Line, fmt.Errorf("duplicate key %s (first at line %d)", clip(k.Value), first)
			}
			seen[key] = k.Line
		}
	}
	for _, c := range n.Content {
		if line, err := uniqueKeys(c); err != nil {
			return line, err
		}
	}
	return 0, nil
}

// fields are a tag's values after inheritance: scalars as text, lists
// (concepts) as their scalar items.
type fields map[string][]string

// set sets key to v. A value over the limit of its key is an error, and
// the line is where it stands.
func (f fields) set(key string, v *yaml.Node) (int, error) {
	for i := 0; v.Kind == yaml.AliasNode && v.Alias != nil && i < 8; i++ {
		v = v.Alias
	}
	limit, bounded := fieldLimit(key)
	if !bounded {
		limit = math.MaxInt
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			delete(f, key)
			return v.Line, nil
		}
		if err := checkLen(key, v.Value, limit); err != nil {
			return v.Line, err
		}
		f[key] = []string{v.Value}
	case yaml.SequenceNode:
		var items []string
		for _, c := range v.Content {
			if c.Kind == yaml.ScalarNode {
				if err := checkLen(key+" item", c.Value, limit); err != nil {
					return c.Line, err
				}
				items = append(items, c.Value)
			}
		}
		f[key] = items
	}
	return v.Line, nil
}

// fieldLimit is the most characters a TagPack field may hold. The address
// is bounded once its chain is known (entries of chains that are not
// traced are skipped whatever their length); fields the labels do not use
// are not bounded.
func fieldLimit(key string) (int, bool) {
	switch key {
	case "label", "actor":
		return MaxEntity, true
	case "title":
		return MaxTitle, true
	case "source":
		return MaxSource, true
	case "context":
		return MaxNote, true
	case "lastmod":
		return MaxDate, true
	case "category", "abuse", "concepts", "confidence", "currency", "network":
		return MaxWord, true
	}
	return 0, false
}

func (f fields) get(key string) string {
	if v := f[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (f fields) clone() fields {
	c := make(fields, len(f)+8)
	for k, v := range f {
		c[k] = v
	}
	return c
}

// tagLabels turns one tag into labels. skipped names the currency when the
// tag is on a chain freezetrace does not trace.
func tagLabels(f fields, file string) (out []chains.Label, skipped string, err error) {
	raw := f.get("address")
	if raw == "" {
		return nil, "", fmt.Errorf("tag has no address")
	}
	currency := strings.ToUpper(strings.TrimSpace(f.get("currency")))
	network := strings.ToUpper(strings.TrimSpace(f.get("network")))
	chain, asset, ok := tagChain(currency, network, raw)
	if !ok {
		what := currency
		if network != "" {
			what = network + "/" + currency
		}
		if what == "" {
			return nil, "", fmt.Errorf("tag has no currency or network")
		}
		return nil, what, nil
	}
	addr, err := parseAddress(chain, raw)
	if err != nil {
		return nil, "", err
	}
	entity := f.get("actor")
	if entity == "" {
		entity = f.get("label")
	}
	conf, confWord := Confidence(f.get("confidence"))
	source := f.get("source")
	if source == "" {
		source = fileNote(file)
	}
	note := []string{fileNote(file)}
	for _, k := range []string{"title", "label", "category", "abuse"} {
		if v := f.get(k); v != "" {
			note = append(note, k+" "+v)
		}
	}
	if c := f["concepts"]; len(c) > 0 {
		note = append(note, "concepts "+strings.Join(c, ","))
	}
	if confWord != "" {
		note = append(note, "confidence "+confWord)
	}
	base := chains.Label{
		Chain:      chain,
		Address:    addr,
		Entity:     entity,
		Asset:      asset,
		Source:     source,
		Date:       day(f.get("lastmod")),
		Note:       strings.Join(note, "; "),
		Confidence: conf,
	}
	for _, c := range tagCategories(f) {
		l := base
		l.Category = c
		if c == chains.CategoryFrozen {
			frozenContext(&l, f.get("context"))
		}
		if err := checkLabel(l); err != nil {
			return nil, "", err
		}
		out = append(out, l)
	}
	return out, "", nil
}

// tagChain maps a TagPack currency and network to a chain, and to the
// stablecoin the claim is about when the currency is one.
func tagChain(currency, network, addr string) (chains.Chain, *chains.AssetID, bool) {
	if network != "" {
		c, ok := chainWord(network)
		if !ok {
			return "", nil, false
		}
		return c, stableAsset(currency, c), true
	}
	switch currency {
	case "USDT", "USDC":
		c, ok := chainByForm(addr)
		if !ok {
			return "", nil, false
		}
		return c, stableAsset(currency, c), true
	}
	c, ok := chainWord(currency)
	return c, nil, ok
}

// chainWord maps a GraphSense currency or network code to a chain.
func chainWord(w string) (chains.Chain, bool) {
	switch strings.ToUpper(w) {
	case "ETH", "ETHEREUM":
		return chains.Ethereum, true
	case "TRX", "TRON":
		return chains.Tron, true
	case "BSC", "BEP20", "BNB":
		return chains.BSC, true
	case "MATIC", "POLYGON", "POL":
		return chains.Polygon, true
	case "ARB", "ARBITRUM":
		return chains.Arbitrum, true
	case "BASE":
		return chains.Base, true
	case "OP", "OPTIMISM":
		return chains.Optimism, true
	}
	return "", false
}

// tagCategories maps a tag's category, concepts and abuse to categories, in
// a fixed order and without repeats.
func tagCategories(f fields) []chains.Category {
	set := map[chains.Category]bool{}
	words := append([]string{f.get("category"), f.get("abuse")}, f["concepts"]...)
	for _, w := range words {
		if c, ok := categoryWord(w); ok {
			set[c] = true
		}
	}
	if saysSanctioned(f) {
		set[chains.CategorySanctioned] = true
	}
	var out []chains.Category
	for _, c := range chains.Categories {
		if set[c] {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = []chains.Category{chains.CategoryOther}
	}
	return out
}

// categoryWord maps one GraphSense category, concept or abuse word.
func categoryWord(w string) (chains.Category, bool) {
	switch strings.ToLower(strings.TrimSpace(w)) {
	case "exchange":
		return chains.CategoryExchange, true
	case "mixing_service", "mixer", "coinjoin", "tumbler":
		return chains.CategoryMixer, true
	case "bridge", "defi_bridge":
		return chains.CategoryBridge, true
	case "defi", "defi_dex", "dex", "defi_lending", "lending", "amm":
		return chains.CategoryDeFi, true
	case "wallet_service", "service", "payment_processor", "gambling", "market", "marketplace", "otc", "custodian":
		return chains.CategoryService, true
	case "scam", "phishing", "ransomware", "service_hack", "hack", "hacker", "theft",
		"ponzi_scheme", "pyramid_scheme", "investment_fraud", "fraud", "sextortion", "extortion":
		return chains.CategoryScam, true
	case "sanction", "sanctioned", "ofac":
		return chains.CategorySanctioned, true
	case "issuer", "token_issuer", "stablecoin_issuer":
		return chains.CategoryIssuer, true
	case "black_list", "blacklist", "blacklisted", "frozen":
		return chains.CategoryFrozen, true
	}
	return "", false
}

// frozenContext completes a frozen label from its tag's context: a JSON
// object naming the freezing transaction and the token. The transaction
// becomes the label's evidence (its note keeps one that is no transaction
// hash), the token its asset when it is a stablecoin known on the label's
// chain and the tag names no asset of its own. A context that is no such
// object adds nothing.
func frozenContext(l *chains.Label, context string) {
	var c struct {
		Transaction string `json:"transaction"`
		Token       string `json:"token"`
	}
	if strings.TrimSpace(context) == "" || json.Unmarshal([]byte(context), &c) != nil {
		return
	}
	if tok := strings.ToUpper(strings.TrimSpace(c.Token)); tok != "" {
		l.Note += "; token " + tok
		if l.Asset == nil {
			l.Asset = stableAsset(tok, l.Chain)
		}
	}
	if tx := strings.TrimSpace(c.Transaction); tx != "" {
		if h, err := chains.ParseTxHash(tx); err == nil {
			l.Evidence = []chains.TxHash{h}
		} else {
			l.Note += "; transaction " + tx
		}
	}
}

// saysSanctioned reports whether the pack or tag says its addresses are on
// a sanctions list: it names OFAC, or cites a financial-sanctions page.
func saysSanctioned(f fields) bool {
	for _, k := range []string{"title", "label", "source", "description"} {
		v := strings.ToLower(f.get(k))
		if strings.Contains(v, "ofac") || strings.Contains(v, "financial-sanctions") {
			return true
		}
	}
	return false
}

// Confidence maps a GraphSense confidence word, or a number 0–100, to
// freezetrace's 0–100 scale, and returns the word it read ("" when none):
// ownership 100, authority_data 95, service_data 90, ledger_immanent 90,
// manual_curation 80, forensic 70, web_crawl 50, untrusted_transaction 20;
// missing or unknown words give 50.
func Confidence(s string) (int, string) {
	w := strings.ToLower(strings.TrimSpace(s))
	if w == "" {
		return 50, ""
	}
	if n, err := strconv.Atoi(w); err == nil {
		return max(0, min(100, n)), w
	}
	switch w {
	case "ownership":
		return 100, w
	case "authority_data":
		return 95, w
	case "service_data", "ledger_immanent":
		return 90, w
	case "manual_curation":
		return 80, w
	case "forensic":
		return 70, w
	case "web_crawl":
		return 50, w
	case "untrusted_transaction":
		return 20, w
	}
	return 50, w
}

// day returns the YYYY-MM-DD prefix of a date or timestamp, or s unchanged
// when it does not start with one.
func day(s string) string {
	t := strings.TrimSpace(s)
	if len(t) >= 10 && t[4] == '-' && t[7] == '-' {
		for i, r := range t[:10] {
			if i != 4 && i != 7 && (r < '0' || r > '9') {
				return t
			}
		}
		return t[:10]
	}
	return t
}
