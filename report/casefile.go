package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"freezetrace/chains"
)

// CaseFile is what the requester tells the recipients, laid out as the
// Freeze Asset Request (FAR) standard asks: who sends and in what role,
// the crime and why it is one, the police report, who verified the case,
// the victims and their payments, the documents attached, and what is
// asked. It is read from a YAML case file (see fixtures/case.example.yaml;
// `freezetrace case init` writes a commented template). Every string in it
// is untrusted text and is escaped in every output. Fields a letter needs
// but the file lacks are listed by Checklist, never silently dropped.
type CaseFile struct {
	Reference    string        `yaml:"reference"`
	Language     string        `yaml:"language"`
	Sender       Sender        `yaml:"sender"`
	Requester    Requester     `yaml:"requester"`
	Crime        Crime         `yaml:"crime"`
	PoliceReport *PoliceReport `yaml:"police_report"`
	Order        *Order        `yaml:"order"`
	Verifier     *Verifier     `yaml:"verifier"`
	Victims      []Victim      `yaml:"victims"`
	Documents    []Document    `yaml:"documents"`
	Actions      []Action      `yaml:"actions"`
	Note         string        `yaml:"note"`
}

// Sender is the requester's role, which decides what a letter may ask for.
type Sender string

// The sender roles.
const (
	SenderVictim         Sender = "victim"          // a victim writes for themselves
	SenderRepresentative Sender = "representative"  // a lawyer, victim-support group or investigator acting for the victims
	SenderLawEnforcement Sender = "law_enforcement" // a police force, prosecutor or court
)

// UnmarshalYAML reads a sender role.
func (s *Sender) UnmarshalYAML(n *yaml.Node) error {
	v := Sender(strings.ToLower(strings.TrimSpace(n.Value)))
	if n.Kind == yaml.ScalarNode && v == "" {
		*s = ""
		return nil
	}
	if n.Kind != yaml.ScalarNode || (v != SenderVictim && v != SenderRepresentative && v != SenderLawEnforcement) {
		return fmt.Errorf("line %d: unknown sender %q (want victim, representative or law_enforcement)", n.Line, n.Value)
	}
	*s = v
	return nil
}

// LawEnforcement reports whether the sender is law enforcement.
func (c *CaseFile) LawEnforcement() bool { return c.Sender == SenderLawEnforcement }

// Requester is the organisation asking, and the person to answer (FAR
// "Reported By").
type Requester struct {
	Organisation string `yaml:"organisation"`
	Name         string `yaml:"name"`
	Role         string `yaml:"role"`
	Email        string `yaml:"email"`
	Phone        Phone  `yaml:"phone"`
	Country      string `yaml:"country"`
	Address      string `yaml:"address"`
}

// Crime is what happened (FAR "Proof of crime"): one sentence, its type,
// the scam platform, its dates, the value lost in USD at the time, and the
// law that makes it a crime. Nothing here is ever filled in by default.
type Crime struct {
	Summary    string   `yaml:"summary"`     // what happened, in one sentence
	Type       string   `yaml:"type"`        // "investment fraud (pig butchering)"
	Platform   string   `yaml:"platform"`    // the scam platform: name, website, kind
	Started    Date     `yaml:"started"`     // YYYY-MM-DD (UTC), the first contact or payment
	Ended      Date     `yaml:"ended"`       // YYYY-MM-DD (UTC), the last payment
	LostUSD    *USD     `yaml:"lost_usd"`    // total value lost, in USD at the time of the payments
	LegalBasis []string `yaml:"legal_basis"` // the laws or rules broken, one per item
}

// PoliceReport is the report the crime was filed under (FAR "Police
// report"), with the officer who can confirm it.
type PoliceReport struct {
	Department string  `yaml:"department"`
	Address    string  `yaml:"address"`
	Country    string  `yaml:"country"`
	Reference  string  `yaml:"reference"`
	Date       Date    `yaml:"date"`
	Contact    Contact `yaml:"contact"`
}

// Order is a court or freezing order behind the request, when there is one.
type Order struct {
	IssuedBy   string `yaml:"issued_by"`
	Reference  string `yaml:"reference"`
	Date       Date   `yaml:"date"`
	LegalBasis string `yaml:"legal_basis"`
}

// Verifier is who checked the case before it was sent (FAR "Verified by").
type Verifier struct {
	Organisation string `yaml:"organisation"`
	Date         Date   `yaml:"date"`
	Contact      string `yaml:"contact"`
	Email        string `yaml:"email"`
	Phone        Phone  `yaml:"phone"`
	Country      string `yaml:"country"`
	Comments     string `yaml:"comments"`
}

// Contact is a person to ask.
type Contact struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
	Phone Phone  `yaml:"phone"`
}

// Victim is one person who paid the scammers, named as the requester chose
// (a name or a pseudonym), and the payments they made.
type Victim struct {
	Name         string    `yaml:"name"`
	Country      string    `yaml:"country"`
	PoliceReport string    `yaml:"police_report"`
	Payments     []Payment `yaml:"payments"`
}

// Document is a file sent with the letters (a police report, screenshots
// of the scam platform, chat logs): its name, the file (relative to the
// case file) and the SHA-256 of its content, computed when the case file
// is read.
type Document struct {
	Name   string `yaml:"name"`
	File   string `yaml:"file"`
	SHA256 string `yaml:"-"`
	Size   int64  `yaml:"-"`
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

//go:embed casetemplate.yaml
var caseTemplate []byte

// CaseTemplate is a commented case file with every field and nothing
// filled in, for `freezetrace case init`. It does not pass ParseCase until
// its required fields are filled in.
func CaseTemplate() []byte { return bytes.Clone(caseTemplate) }

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
	if err := c.check(name, filepath.Dir(name), &root); err != nil {
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

// check enforces what a letter cannot go without, and reads the
// documents (relative to dir) for their SHA-256.
func (c *CaseFile) check(name, dir string, root *yaml.Node) error {
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
	if c.Sender == "" {
		return fmt.Errorf("%s:%d: sender is required: victim, representative or law_enforcement (it decides what the letters may ask for)", name, line("sender"))
	}
	if strings.TrimSpace(c.Requester.Organisation) == "" && strings.TrimSpace(c.Requester.Name) == "" {
		return fmt.Errorf("%s:%d: requester.organisation or requester.name is required", name, line("requester"))
	}
	if strings.TrimSpace(c.Requester.Email) == "" && c.Requester.Phone == "" &&
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
	if !c.Crime.Started.IsZero() && !c.Crime.Ended.IsZero() && c.Crime.Ended.Before(c.Crime.Started.Time) {
		return fmt.Errorf("%s:%d: crime.ended %s is before crime.started %s", name, line("crime", "ended"), c.Crime.Ended, c.Crime.Started)
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
	for i := range c.Documents {
		if err := c.Documents[i].read(dir); err != nil {
			return fmt.Errorf("%s:%d: %v", name, nthItemLine(root, "documents", i), err)
		}
	}
	return nil
}

// read checks a document's name and file and computes its SHA-256.
func (d *Document) read(dir string) error {
	if strings.TrimSpace(d.Name) == "" || strings.TrimSpace(d.File) == "" {
		return errors.New("a document needs a name and a file")
	}
	p := d.File
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("document %q: %v", d.Name, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return fmt.Errorf("document %q: %s is a directory, not a file", d.Name, d.File)
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("document %q: %v", d.Name, err)
	}
	d.SHA256, d.Size = hex.EncodeToString(h.Sum(nil)), n
	return nil
}

// nthItemLine is the line of the i-th item of the top-level sequence key.
func nthItemLine(root *yaml.Node, key string, i int) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for j := 0; j+1 < len(n.Content); j += 2 {
		if n.Content[j].Value == key {
			if seq := n.Content[j+1]; i < len(seq.Content) {
				return seq.Content[i].Line
			}
			return n.Content[j+1].Line
		}
	}
	return n.Line
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
