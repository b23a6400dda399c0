package report

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"freezetrace/chains"
)

// CaseFile is what the requester tells the recipients: who asks, on what
// authority, for which victims, and what they ask for. It is read from a
// YAML case file (see fixtures/case.example.yaml). Every string in it is
// untrusted text and is escaped in every output.
type CaseFile struct {
	Reference string     `yaml:"reference"`
	Language  string     `yaml:"language"`
	Requester Requester  `yaml:"requester"`
	Authority *Authority `yaml:"authority"`
	Victims   []Victim   `yaml:"victims"`
	Actions   []Action   `yaml:"actions"`
	Note      string     `yaml:"note"`
}

// Requester is the organisation asking, and the person to answer.
type Requester struct {
	Organisation string `yaml:"organisation"`
	Name         string `yaml:"name"`
	Role         string `yaml:"role"`
	Email        string `yaml:"email"`
	Phone        string `yaml:"phone"`
	Address      string `yaml:"address"`
}

// Authority is the public body and legal basis behind the request, when
// there is one (a police force, a court order).
type Authority struct {
	Name       string `yaml:"name"`
	LegalBasis string `yaml:"legal_basis"`
	Reference  string `yaml:"reference"`
}

// Victim is one person who paid the scammers, named as the requester chose
// (a name or a pseudonym), and the payments they made.
type Victim struct {
	Name         string    `yaml:"name"`
	PoliceReport string    `yaml:"police_report"`
	Payments     []Payment `yaml:"payments"`
}

// Payment is one victim payment, named by its transaction hash.
type Payment struct {
	Tx   chains.TxHash
	Line int // where the payment appears in the case file
}

// UnmarshalYAML reads a transaction hash, remembering its line.
func (p *Payment) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a payment is a transaction hash (64 hex digits)", n.Line)
	}
	h, err := chains.ParseTxHash(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*p = Payment{Tx: h, Line: n.Line}
	return nil
}

// Action is what the requester asks the recipient to do.
type Action string

// The actions a case file may request.
const (
	ActionFreeze   Action = "freeze"   // freeze the funds at the listed addresses
	ActionPreserve Action = "preserve" // preserve the records of the account holders
)

// UnmarshalYAML reads an action name.
func (a *Action) UnmarshalYAML(n *yaml.Node) error {
	v := Action(strings.ToLower(strings.TrimSpace(n.Value)))
	if n.Kind != yaml.ScalarNode || (v != ActionFreeze && v != ActionPreserve) {
		return fmt.Errorf("line %d: unknown action %q (want freeze or preserve)", n.Line, n.Value)
	}
	*a = v
	return nil
}

// LoadCase reads and checks the case file at path. A malformed file is an
// input error naming the file and line.
func LoadCase(path string) (*CaseFile, error) {
	b, err := readInput("case file", path)
	if err != nil {
		return nil, err
	}
	return ParseCase(path, b)
}

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)
var unknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)

// ParseCase reads a case file's content; name is used in error messages.
// Unknown fields, a second document, bad hashes, unknown actions and
// languages, and missing required fields are errors wrapped with
// chains.Invalid, each naming name:line.
func ParseCase(name string, data []byte) (*CaseFile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c CaseFile
	if err := dec.Decode(&c); err != nil {
		return nil, chains.Invalid(caseError(name, err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, chains.Invalid(fmt.Errorf("%s:%d: a case file holds one document", name, extra.Line))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, chains.Invalid(caseError(name, err))
	}
	if err := c.check(name, &root); err != nil {
		return nil, chains.Invalid(err)
	}
	return &c, nil
}

// caseError turns a YAML error into "name:line: message" lines.
func caseError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			msgs = append(msgs, located(name, e))
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if msg == "EOF" {
		return fmt.Errorf("%s: the case file is empty", name)
	}
	return errors.New(located(name, msg))
}

func located(name, msg string) string {
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return name + ": " + msg
	}
	rest := m[2]
	if f := unknownField.FindStringSubmatch(rest); f != nil {
		rest = fmt.Sprintf("unknown field %q", f[1])
	}
	return name + ":" + m[1] + ": " + rest
}

// check enforces what a letter cannot go without.
func (c *CaseFile) check(name string, root *yaml.Node) error {
	line := func(path ...string) int { return lineOf(root, path...) }
	if strings.TrimSpace(c.Reference) == "" {
		return fmt.Errorf("%s:%d: reference is required (the case reference every letter quotes)", name, line("reference"))
	}
	if c.Language == "" {
		c.Language = "en"
	}
	if _, ok := catalogue[c.Language]; !ok {
		return fmt.Errorf("%s:%d: no letter text for language %q (available: %s)", name, line("language"), c.Language, strings.Join(Languages(), ", "))
	}
	if strings.TrimSpace(c.Requester.Organisation) == "" {
		return fmt.Errorf("%s:%d: requester.organisation is required", name, line("requester"))
	}
	if strings.TrimSpace(c.Requester.Email) == "" && strings.TrimSpace(c.Requester.Phone) == "" &&
		strings.TrimSpace(c.Requester.Address) == "" {
		return fmt.Errorf("%s:%d: requester needs a way to be answered: email, phone or address", name, line("requester"))
	}
	if len(c.Actions) == 0 {
		return fmt.Errorf("%s:%d: actions is required: freeze, preserve or both", name, line("actions"))
	}
	seenAction := map[Action]bool{}
	for _, a := range c.Actions {
		if seenAction[a] {
			return fmt.Errorf("%s:%d: action %q is listed twice", name, line("actions"), a)
		}
		seenAction[a] = true
	}
	seen := map[chains.TxHash]int{}
	for i, v := range c.Victims {
		if strings.TrimSpace(v.Name) == "" {
			return fmt.Errorf("%s:%d: victim %d needs a name or pseudonym", name, line("victims"), i+1)
		}
		for _, p := range v.Payments {
			if first, dup := seen[p.Tx]; dup {
				return fmt.Errorf("%s:%d: payment %s is already listed at line %d", name, p.Line, p.Tx, first)
			}
			seen[p.Tx] = p.Line
		}
	}
	return nil
}

// lineOf returns the line of the value at the mapping path, or of the
// document when the path is absent.
func lineOf(root *yaml.Node, path ...string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return n.Line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				n = n.Content[i+1]
				found = true
				break
			}
		}
		if !found {
			return n.Line
		}
	}
	return n.Line
}

// victimOf returns the victim who made payment tx, if the case names one.
func (c *CaseFile) victimOf(tx chains.TxHash) (Victim, bool) {
	for _, v := range c.Victims {
		for _, p := range v.Payments {
			if p.Tx == tx {
				return v, true
			}
		}
	}
	return Victim{}, false
}
