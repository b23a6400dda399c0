package report

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"freezetrace/chains"
)

//go:embed recipients.yaml
var builtinRecipients []byte

const (
	builtinName      = "built-in recipients.yaml" // the shipped file, in error messages
	maxDirectorySize = 1 << 20                    // bytes a directory file may hold
)

// Directory is who the letters go to: per recipient organisation, its legal
// name, how law enforcement and victims reach it, what it asks for and the
// limits it states, each sourced. The shipped directory is
// report/recipients.yaml; a user file overlays it (LoadDirectory).
type Directory struct {
	Entries []DirectoryEntry
	Origin  string // "built-in" or the user file's path, then "+ built-in"

	at    []entryPlace   // where each entry was read, parallel to Entries
	index map[string]int // normalised key, name or alias -> entry
}

// DirectoryEntry is one recipient organisation.
type DirectoryEntry struct {
	Key            string   `yaml:"key" json:"key,omitempty"`                         // "binance": lowercase, file-safe, unique
	Name           string   `yaml:"name" json:"name,omitempty"`                       // display name: "Binance"
	LegalName      string   `yaml:"legal_name" json:"legal_name,omitempty"`           // the operating company, as its terms name it
	Kind           string   `yaml:"kind" json:"kind,omitempty"`                       // one of Kinds: "exchange", "issuer", "instant_exchanger", "bridge"
	Aliases        []string `yaml:"aliases" json:"aliases,omitempty"`                 // other spellings label lists use: "binance.com", "Binance Hot Wallet"...
	LawEnforcement Channel  `yaml:"law_enforcement" json:"law_enforcement,omitempty"` // how police and prosecutors reach it
	Victims        Channel  `yaml:"victims" json:"victims,omitempty"`                 // how a victim or their representative reaches it
	AsksFor        []string `yaml:"asks_for" json:"asks_for,omitempty"`               // what it says a request must contain / come with
	Constraints    []string `yaml:"constraints" json:"constraints,omitempty"`         // limits it states: "acts only on verified law-enforcement requests"
	Attach         []string `yaml:"attach" json:"attach,omitempty"`                   // what to attach and in which format
	LastChecked    string   `yaml:"last_checked" json:"last_checked,omitempty"`       // YYYY-MM-DD, when the sources were last read
	Sources        []string `yaml:"sources" json:"sources,omitempty"`                 // URLs the entry rests on
}

// Channel is one way to reach a recipient.
type Channel struct {
	Portal string `yaml:"portal" json:"portal,omitempty"` // URL of a web form or portal
	Email  string `yaml:"email" json:"email,omitempty"`
	Notes  string `yaml:"notes" json:"notes,omitempty"`
}

// The kinds of recipient.
const (
	KindExchange = "exchange"
	KindIssuer   = "issuer"
	// KindInstantExchanger is a custodial instant swap service (FixedFloat,
	// ChangeNOW, SideShift): it can hold what it has not paid out yet.
	KindInstantExchanger = "instant_exchanger"
	// KindBridge is a cross-chain bridge (THORChain, Across, Hop): a
	// deposit's destination on the other chain is in the trace, and the
	// operator or its relayers may be able to stop an unfilled transfer.
	KindBridge = "bridge"
)

// Kinds lists the recipient kinds in a fixed order.
var Kinds = []string{KindExchange, KindIssuer, KindInstantExchanger, KindBridge}

// ValidKind reports whether k is one of Kinds.
func ValidKind(k string) bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// entryPlace is where an entry and its names (key, name, then aliases) were
// read, for error messages.
type entryPlace struct {
	file  string
	line  int
	names []placedName
}

type placedName struct {
	text string
	line int
}

type directoryFile struct {
	Recipients []DirectoryEntry `yaml:"recipients"`
}

// BuiltinDirectory parses the directory shipped with the tool. It panics
// only if the shipped file is broken, which a test guards against.
func BuiltinDirectory() *Directory {
	d, err := ParseDirectory(builtinName, builtinRecipients)
	if err != nil {
		panic(fmt.Sprintf("report: shipped recipient directory: %v", err))
	}
	d.Origin = "built-in"
	return d
}

// LoadDirectory reads the user's directory file at path and overlays it on
// the built-in directory: an entry whose key is built in replaces that entry
// in place, a new key is appended. A missing, oversized or malformed file,
// and an alias that would name two entries, are input errors naming the file.
func LoadDirectory(path string) (*Directory, error) {
	b, err := readBounded("directory file", path, maxDirectorySize)
	if err != nil {
		return nil, err
	}
	user, err := ParseDirectory(path, b)
	if err != nil {
		return nil, err
	}
	d := BuiltinDirectory()
	pos := make(map[string]int, len(d.Entries))
	for i, e := range d.Entries {
		pos[e.Key] = i
	}
	for i, e := range user.Entries {
		if j, ok := pos[e.Key]; ok {
			d.Entries[j], d.at[j] = e, user.at[i]
			continue
		}
		d.Entries = append(d.Entries, e)
		d.at = append(d.at, user.at[i])
	}
	if err := d.reindex(); err != nil {
		return nil, chains.Invalid(err)
	}
	d.Origin = path + " + built-in"
	return d, nil
}

// ParseDirectory reads a directory file's content; name is used in error
// messages. Unknown fields, a second document, a missing or malformed key,
// a duplicate key, an unknown kind, a date that is not YYYY-MM-DD, a source
// or portal that is not an https URL, a malformed email and an alias naming
// two entries are errors wrapped with chains.Invalid, each naming name:line.
func ParseDirectory(name string, data []byte) (*Directory, error) {
	if len(data) > maxDirectorySize {
		return nil, chains.Invalid(fmt.Errorf("%s: the directory file is larger than %d MiB", name, maxDirectorySize>>20))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f directoryFile
	if err := dec.Decode(&f); errors.Is(err, io.EOF) {
		return nil, chains.Invalid(fmt.Errorf("%s: the directory file is empty (want a recipients: list)", name))
	} else if err != nil {
		return nil, chains.Invalid(caseError(name, err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, chains.Invalid(fmt.Errorf("%s:%d: a directory file holds one document", name, extra.Line))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, chains.Invalid(caseError(name, err))
	}
	items := child(&root, "recipients")
	if items == nil || items.Kind != yaml.SequenceNode || len(items.Content) != len(f.Recipients) {
		return nil, chains.Invalid(fmt.Errorf("%s:%d: recipients is required: a list of entries", name, lineOf(&root)))
	}
	d := &Directory{Entries: f.Recipients, Origin: name}
	seen := map[string]int{}
	for i := range d.Entries {
		n := items.Content[i]
		if err := d.Entries[i].check(name, n); err != nil {
			return nil, chains.Invalid(err)
		}
		key := d.Entries[i].Key
		if first, dup := seen[key]; dup {
			return nil, chains.Invalid(fmt.Errorf("%s:%d: key %q is already used at line %d", name, lineOf(n, "key"), key, first))
		}
		seen[key] = lineOf(n, "key")
		d.at = append(d.at, place(name, n, d.Entries[i]))
	}
	if err := d.reindex(); err != nil {
		return nil, chains.Invalid(err)
	}
	return d, nil
}

// Lookup returns the entry whose key, name or an alias is entity, ignoring
// case, surrounding space and the difference between "-", "_", "." and " ".
// It returns nil, false when no entry matches.
func (d *Directory) Lookup(entity string) (*DirectoryEntry, bool) {
	k := normalName(entity)
	i, ok := d.index[k]
	if !ok || k == "" {
		return nil, false
	}
	return &d.Entries[i], true
}

var directoryKey = regexp.MustCompile(`^[a-z0-9-]+$`)

// check validates one entry; n is its mapping node, for line numbers.
func (e *DirectoryEntry) check(name string, n *yaml.Node) error {
	at := func(path ...string) string { return fmt.Sprintf("%s:%d", name, lineOf(n, path...)) }
	switch {
	case e.Key == "":
		return fmt.Errorf("%s: key is required (lowercase letters, digits and -)", at())
	case !directoryKey.MatchString(e.Key):
		return fmt.Errorf("%s: key %q: want lowercase letters, digits and - only", at("key"), e.Key)
	case strings.TrimSpace(e.Name) == "":
		return fmt.Errorf("%s: entry %q: name is required", at(), e.Key)
	case !ValidKind(e.Kind):
		return fmt.Errorf("%s: entry %q: unknown kind %q (want %s)", at("kind"), e.Key, e.Kind, strings.Join(Kinds, ", "))
	}
	if e.LastChecked != "" {
		if _, err := time.Parse(time.DateOnly, e.LastChecked); err != nil {
			return fmt.Errorf("%s: entry %q: last_checked %q is not a date (want YYYY-MM-DD)", at("last_checked"), e.Key, e.LastChecked)
		}
	}
	for i, s := range e.Sources {
		if !httpsURL(s) {
			return fmt.Errorf("%s:%d: entry %q: source %q is not an https URL", name, itemLine(n, "sources", i), e.Key, s)
		}
	}
	for _, c := range []struct {
		field string
		ch    Channel
	}{{"law_enforcement", e.LawEnforcement}, {"victims", e.Victims}} {
		if c.ch.Portal != "" && !httpsURL(c.ch.Portal) {
			return fmt.Errorf("%s: entry %q: %s.portal %q is not an https URL", at(c.field, "portal"), e.Key, c.field, c.ch.Portal)
		}
		if c.ch.Email != "" && !plausibleEmail(c.ch.Email) {
			return fmt.Errorf("%s: entry %q: %s.email %q is not an email address", at(c.field, "email"), e.Key, c.field, c.ch.Email)
		}
	}
	for i, a := range e.Aliases {
		if normalName(a) == "" {
			return fmt.Errorf("%s:%d: entry %q: alias %d is empty", name, itemLine(n, "aliases", i), e.Key, i+1)
		}
	}
	return nil
}

// place records where e's names were read.
func place(file string, n *yaml.Node, e DirectoryEntry) entryPlace {
	p := entryPlace{file: file, line: n.Line}
	p.names = []placedName{{e.Key, lineOf(n, "key")}, {e.Name, lineOf(n, "name")}}
	for i, a := range e.Aliases {
		p.names = append(p.names, placedName{a, itemLine(n, "aliases", i)})
	}
	return p
}

// reindex rebuilds the name index, refusing a name that two entries share.
func (d *Directory) reindex() error {
	d.index = map[string]int{}
	for i, p := range d.at {
		for _, nm := range p.names {
			k := normalName(nm.text)
			j, taken := d.index[k]
			if taken && j != i {
				return fmt.Errorf("%s:%d: %q of entry %q also names entry %q (%s:%d)",
					p.file, nm.line, nm.text, d.Entries[i].Key, d.Entries[j].Key, d.at[j].file, d.at[j].line)
			}
			d.index[k] = i
		}
	}
	return nil
}

// normalName folds case, surrounding space and the separators "-", "_", "."
// and " " so that "Binance_Hot-Wallet" and "binance hot wallet" compare equal.
func normalName(s string) string {
	return strings.Join(strings.Fields(nameSeparators.Replace(strings.ToLower(s))), " ")
}

var nameSeparators = strings.NewReplacer("-", " ", "_", " ", ".", " ")

func httpsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && !strings.ContainsAny(s, " \t\n")
}

func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.Contains(domain, "@") && !strings.ContainsAny(s, " \t\n<>")
}

// child returns the value of key in mapping n (or in the document's
// mapping), or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// itemLine is the line of item i of the list at key in n, or of n.
func itemLine(n *yaml.Node, key string, i int) int {
	if s := child(n, key); s != nil && s.Kind == yaml.SequenceNode && i < len(s.Content) {
		return s.Content[i].Line
	}
	return lineOf(n, key)
}
