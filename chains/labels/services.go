package labels

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"freezetrace/chains"
)

// servicesFile is the shipped list of known service addresses.
//
//go:embed services.yaml
var servicesFile []byte

// BuiltinServicesName names the shipped list in provenance and errors.
const BuiltinServicesName = "services.yaml"

// ServiceConfidence is the confidence of a label from a service list: 80,
// GraphSense's "manual curation". Every entry of the shipped list was
// checked by hand against a source that names the address (the operator's
// own deployment list, or an Etherscan label as a GraphSense TagPack
// records it); that is more than a web crawl (50) and less than a user's
// own label (100), and a contract list can lag an operator's redeployment.
const ServiceConfidence = 80

// maxServicesSize bounds a services file, in bytes.
const maxServicesSize = 4 << 20

// The roles an address can play for its service.
const (
	RoleDeposit   = "deposit"    // a deposit address of one order or customer
	RoleRouter    = "router"     // a contract that takes funds in and routes them on
	RoleHotWallet = "hot_wallet" // the service's own wallet that receives and pays out
	RolePool      = "pool"       // a liquidity pool
	RoleVault     = "vault"      // a contract that holds deposits (bridge vault, wrapper)
)

// Roles lists the roles in a fixed order.
var Roles = []string{RoleDeposit, RoleRouter, RoleHotWallet, RolePool, RoleVault}

// ServiceCategories are the categories a services file may give.
var ServiceCategories = []chains.Category{chains.CategoryInstantExchanger, chains.CategoryBridge, chains.CategoryDeFi}

// Service is one entry of a services file: an address a service uses, with
// the sources that name it.
type Service struct {
	Chain    chains.Chain
	Address  chains.Address
	Written  string // the address exactly as the file writes it
	Entity   string
	Category chains.Category
	Role     string
	Sources  []ServiceSource
	Note     string
	File     string // the file's name, for provenance
	Line     int    // where the entry starts
}

// ServiceSource is where an entry's claim comes from.
type ServiceSource struct {
	Ref  string // an https URL, or the name of a label list
	Date string // YYYY-MM-DD
}

// ParseServices reads a services file: a YAML mapping with one key,
// "services", a list of entries (chain, address, entity, category, role,
// sources, note; see services.yaml). name is how the file is named in
// errors. The first bad entry fails the whole file, an input error naming
// name and its line: an unknown field, chain, category or role, an address
// that does not parse for its chain, a missing entity or source, a source
// that is neither an https URL nor a list's name, a date that is not
// YYYY-MM-DD, or a chain and address given twice. Text is bounded as the
// other parsers bound it (MaxEntity, MaxSource, MaxNote).
func ParseServices(r io.Reader, name string) (out []Service, err error) {
	defer func() {
		// The YAML parser may be fed a user's file; a panic in it must
		// not take the program down.
		if p := recover(); p != nil {
			out, err = nil, chains.Invalid(fmt.Errorf("%s: malformed YAML: %s", name, errText(fmt.Errorf("%v", p))))
		}
	}()
	data, err := io.ReadAll(io.LimitReader(skipBOM(r), maxServicesSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxServicesSize {
		return nil, chains.Invalid(fmt.Errorf("%s: larger than %d MiB", name, maxServicesSize>>20))
	}
	list, err := servicesList(data, name)
	if err != nil {
		return nil, chains.Invalid(err)
	}
	seen := map[serviceKey]int{}
	for _, n := range list.Content {
		s, err := parseService(n, name)
		if err != nil {
			return nil, chains.Invalid(err)
		}
		k := serviceKey{s.Chain, s.Address}
		if first, dup := seen[k]; dup {
			return nil, chains.Invalid(fmt.Errorf("%s:%d: %s %s is already listed at line %d", name, s.Line, s.Chain, s.Address, first))
		}
		seen[k] = s.Line
		out = append(out, s)
	}
	return out, nil
}

type serviceKey struct {
	chain chains.Chain
	addr  chains.Address
}

// servicesList decodes the one YAML document of data and returns its
// services list.
func servicesList(data []byte, name string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want a services: list", name)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %s", name, errText(err))
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, fmt.Errorf("%s:%d: a services file holds one document; a second one starts here", name, next.Line)
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", name, errText(err))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping with a services: list", name, root.Line)
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Value != "services" {
			return nil, fmt.Errorf("%s:%d: unknown field %s (want services)", name, k.Line, clip(k.Value))
		}
		if list != nil {
			return nil, fmt.Errorf("%s:%d: services is given twice", name, k.Line)
		}
		list = root.Content[i+1]
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: services is required: a list of entries", name, root.Line)
	}
	return list, nil
}

// parseService reads one entry.
func parseService(n *yaml.Node, name string) (Service, error) {
	s := Service{File: name, Line: n.Line}
	at := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	if n.Kind != yaml.MappingNode {
		return s, at(n.Line, "an entry is a mapping (chain, address, entity, category, role, sources)")
	}
	fields := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "chain", "address", "entity", "category", "role", "sources", "note":
		default:
			return s, at(k.Line, "unknown field %s", clip(k.Value))
		}
		if _, dup := fields[k.Value]; dup {
			return s, at(k.Line, "%s is given twice", k.Value)
		}
		fields[k.Value] = v
	}
	text := func(key string, limit int, required bool) (string, int, error) {
		v, ok := fields[key]
		if !ok || (v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			if required {
				return "", n.Line, at(n.Line, "%s is required", key)
			}
			return "", n.Line, nil
		}
		if v.Kind != yaml.ScalarNode {
			return "", v.Line, at(v.Line, "%s is not text", key)
		}
		if err := checkLen(key, v.Value, limit); err != nil {
			return "", v.Line, at(v.Line, "%v", err)
		}
		if required && strings.TrimSpace(v.Value) == "" {
			return "", v.Line, at(v.Line, "%s is empty", key)
		}
		return v.Value, v.Line, nil
	}
	raw, line, err := text("chain", MaxWord, true)
	if err != nil {
		return s, err
	}
	if s.Chain, err = chains.ParseChain(raw); err != nil {
		return s, at(line, "%v", err)
	}
	if s.Written, line, err = text("address", MaxAddress, true); err != nil {
		return s, err
	}
	if s.Address, err = parseAddress(s.Chain, s.Written); err != nil {
		return s, at(line, "%v", err)
	}
	if s.Entity, _, err = text("entity", MaxEntity, true); err != nil {
		return s, err
	}
	if raw, line, err = text("category", MaxWord, true); err != nil {
		return s, err
	}
	if s.Category, err = serviceCategory(raw); err != nil {
		return s, at(line, "%v", err)
	}
	if s.Role, line, err = text("role", MaxWord, true); err != nil {
		return s, err
	}
	if !known(Roles, s.Role) {
		return s, at(line, "unknown role %s (known: %s)", clip(s.Role), strings.Join(Roles, ", "))
	}
	if s.Note, _, err = text("note", MaxNote, false); err != nil {
		return s, err
	}
	if s.Sources, err = parseSources(fields["sources"], n.Line, at); err != nil {
		return s, err
	}
	return s, checkLabelAt(s, at)
}

// checkLabelAt bounds the label an entry gives (its joined sources, its
// note), naming the entry's line.
func checkLabelAt(s Service, at func(int, string, ...any) error) error {
	if err := checkLabel(s.Label()); err != nil {
		return at(s.Line, "%v", err)
	}
	return nil
}

// parseSources reads an entry's sources list: at least one, each an https
// URL or a list's name, with a date.
func parseSources(v *yaml.Node, line int, at func(int, string, ...any) error) ([]ServiceSource, error) {
	if v == nil || (v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
		return nil, at(line, "sources is required: where the address was read, with a date")
	}
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return nil, at(v.Line, "sources is required: a list of ref and date")
	}
	out := make([]ServiceSource, 0, len(v.Content))
	for _, item := range v.Content {
		src, err := parseSource(item, at)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, nil
}

func parseSource(n *yaml.Node, at func(int, string, ...any) error) (ServiceSource, error) {
	var s ServiceSource
	if n.Kind != yaml.MappingNode {
		return s, at(n.Line, "a source is a mapping of ref and date")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return s, at(v.Line, "source %s is not text", clip(k.Value))
		}
		switch k.Value {
		case "ref":
			s.Ref = v.Value
			if err := checkRef(v.Value); err != nil {
				return s, at(v.Line, "%v", err)
			}
		case "date":
			s.Date = v.Value
			if _, err := time.Parse(time.DateOnly, v.Value); err != nil {
				return s, at(v.Line, "source date %s: want YYYY-MM-DD", clip(v.Value))
			}
		default:
			return s, at(k.Line, "unknown source field %s (want ref, date)", clip(k.Value))
		}
	}
	switch {
	case s.Ref == "":
		return s, at(n.Line, "a source needs a ref: an https URL or a list's name")
	case s.Date == "":
		return s, at(n.Line, "source %s has no date", clip(s.Ref))
	}
	return s, nil
}

// checkRef accepts an https URL, or the name of a label list: text that is
// not a URL of another scheme.
func checkRef(ref string) error {
	if err := checkLen("source", ref, MaxSource); err != nil {
		return err
	}
	if strings.TrimSpace(ref) == "" {
		return fmt.Errorf("source ref is empty")
	}
	if !strings.Contains(ref, "://") {
		return nil
	}
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(ref, " \t\r\n") {
		return fmt.Errorf("source %s is not an https URL", clip(ref))
	}
	return nil
}

func serviceCategory(s string) (chains.Category, error) {
	c := chains.Category(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range ServiceCategories {
		if c == k {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown category %s (want instant_exchanger, bridge or defi)", clip(s))
}

func known(list []string, s string) bool {
	for _, k := range list {
		if s == k {
			return true
		}
	}
	return false
}

// Label is the entry as a label: Source is "freezetrace services list: "
// and the entry's sources (refs joined by "; "), Date the latest source
// date, Note the role, the entry's note and the file, Confidence
// ServiceConfidence.
func (s Service) Label() chains.Label {
	refs := make([]string, len(s.Sources))
	date := ""
	for i, src := range s.Sources {
		refs[i] = src.Ref
		date = max(date, src.Date)
	}
	note := "role " + s.Role
	if s.Note != "" {
		note += "; " + s.Note
	}
	if s.File != "" {
		note += "; " + fileNote(s.File)
	}
	return chains.Label{
		Chain:      s.Chain,
		Address:    s.Address,
		Entity:     s.Entity,
		Category:   s.Category,
		Source:     "freezetrace services list: " + strings.Join(refs, "; "),
		Date:       date,
		Note:       note,
		Confidence: ServiceConfidence,
	}
}

// Services reads a services file (see ParseServices) as labels, in file
// order.
func Services(r io.Reader, name string) ([]chains.Label, error) {
	ss, err := ParseServices(r, name)
	if err != nil {
		return nil, err
	}
	return ServiceLabels(ss), nil
}

// ServiceLabels turns entries into labels, in order.
func ServiceLabels(ss []Service) []chains.Label {
	out := make([]chains.Label, len(ss))
	for i, s := range ss {
		out[i] = s.Label()
	}
	return out
}

// BuiltinServices parses the shipped list. It panics only if the shipped
// file is broken, which a test guards against.
func BuiltinServices() []Service {
	ss, err := ParseServices(bytes.NewReader(servicesFile), BuiltinServicesName)
	if err != nil {
		panic(fmt.Sprintf("labels: shipped services list: %v", err))
	}
	return ss
}

// DefaultServices returns the shipped list as labels (see Service.Label),
// a fresh slice on every call.
func DefaultServices() []chains.Label { return ServiceLabels(BuiltinServices()) }

// MergeServices returns base with over laid on it: an entry of over whose
// chain and address base lists replaces that entry in place; others are
// appended in over's order.
func MergeServices(base, over []Service) []Service {
	out := append([]Service(nil), base...)
	pos := make(map[serviceKey]int, len(out))
	for i, s := range out {
		pos[serviceKey{s.Chain, s.Address}] = i
	}
	for _, s := range over {
		k := serviceKey{s.Chain, s.Address}
		if i, ok := pos[k]; ok {
			out[i] = s
			continue
		}
		pos[k] = len(out)
		out = append(out, s)
	}
	return out
}
