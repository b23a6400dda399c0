package report

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"freezetrace/trace"
)

// farCase is the fixture case with every Freeze Asset Request field.
func farCase(t *testing.T, sender Sender) *CaseFile {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "report.pdf"), []byte("police report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(fixtureCaseText(), "sender: representative", "sender: "+string(sender), 1)
	text = strings.Replace(text, "  phone: \"+44 20 7946 0000\"\n", "  phone: \"+44 20 7946 0000\"\n  country: \"United Kingdom\"\n", 1)
	text = strings.Replace(text, `police_report:
  department: "Example Police Cyber Crime Unit"
  reference: "EPCCU/2024/311"
`, `police_report:
  department: "Example Police Cyber Crime Unit"
  address: "10 Station Road, London"
  country: "United Kingdom"
  reference: "EPCCU/2024/311"
  date: 2024-04-02
  contact:
    name: "DC Jane Doe"
    email: "jane.doe@police.example"
    phone: "+44 20 7946 0123"
crime:
  summary: "The victims paid USDT into a fake trading platform."
  type: "investment fraud"
  platform: "GoldenWave Global (goldenwave.example)"
  lost_usd: "36,000.00"
  legal_basis: ["Fraud Act 2006, s. 2"]
verifier:
  organisation: "Example Forensics Ltd"
  date: 2024-04-02
  contact: "Ana Silva"
  email: "ana@forensics.example"
  phone: "+44 20 7946 0456"
  country: "United Kingdom"
  comments: "Payments checked."
documents:
  - name: "Police report"
    file: "report.pdf"
`, 1)
	c, err := ParseCase(filepath.Join(dir, "case.yaml"), []byte(text))
	if err != nil {
		t.Fatalf("ParseCase: %v", err)
	}
	return c
}

func renderCase(t *testing.T, r *trace.Result, c *CaseFile) (map[string][]byte, *Summary) {
	t.Helper()
	files, sum, err := Render(context.Background(), r, c, Options{At: fixtureAt})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return files, sum
}

// TestFARSectionsInPDF reads the text of each PDF letter and finds every
// section heading and field of the Freeze Asset Request standard, with the
// case file's values.
func TestFARSectionsInPDF(t *testing.T) {
	files, sum := renderCase(t, withHoldings(frozenE(), held(true, amt(15_000))), farCase(t, SenderRepresentative))
	m := &english
	want := []string{
		m.Section1, m.Section2, m.Section3, m.Section4, m.Section5, m.Section6,
		m.CrimeSummary, m.CrimeType, m.CrimePlatform, m.CrimeDates, m.LostUSD, m.AssetsTaken,
		"The victims paid USDT into a fake trading platform.", "GoldenWave Global", "36,000.00 USD", "Fraud Act 2006, s. 2",
		m.ReportedBy, m.FullName, m.Email, m.Phone, m.Country,
		m.PoliceHeading, m.Department, m.ReportID, m.PointOfContact, "DC Jane Doe", "+442079460123", "EPCCU/2024/311",
		m.VerifiedBy, m.VerifiedOn, "Example Forensics Ltd",
		m.DocumentsHeading, "report.pdf", "c270eb1aebc1fbc0", // the document's SHA-256
		m.ColToken, "0xdAC17F958D2ee523a2206206994597C13D831ec7", m.ColBlockTime, m.ProvenanceHeading,
	}
	letters := 0
	for _, rc := range sum.Recipients {
		if !rc.Letter {
			continue
		}
		letters++
		text := squash(extractPDFText(t, files[rc.Slug+"/letter.pdf"]))
		for _, w := range want {
			if rc.Kind == RecipientIssuer && w == "0xdAC17F958D2ee523a2206206994597C13D831ec7" && !strings.Contains(rc.Slug, "tether") {
				continue
			}
			if !strings.Contains(text, squash(w)) {
				t.Errorf("%s letter.pdf: no %q", rc.Slug, w)
			}
		}
	}
	if letters < 2 {
		t.Fatalf("%d letters, want an exchange's and an issuer's", letters)
	}
}

// squash drops spaces, which PDF text extraction places freely.
func squash(s string) string { return strings.Join(strings.Fields(s), "") }

// TestChecklistMissingPoliceReport: a case with no police report says so
// before sending (in the summary for stderr and in the overview), and the
// letters say there is none instead of leaving it out.
func TestChecklistMissingPoliceReport(t *testing.T) {
	text := strings.Replace(fixtureCaseText(), `police_report:
  department: "Example Police Cyber Crime Unit"
  reference: "EPCCU/2024/311"
`, "", 1)
	files, sum := renderCase(t, fixtureResult(), mustCase(t, text))
	var line string
	for _, l := range sum.Checklist {
		if strings.HasPrefix(l, "police_report: ") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("checklist %q has no police_report line", sum.Checklist)
	}
	if ov := string(files["overview.md"]); !strings.Contains(section(ov, "## "+english.ChecklistHeading), mdEscape(line)) {
		t.Errorf("overview's %q section lacks %q", english.ChecklistHeading, line)
	}
	md := string(files["exchange-binance/letter.md"])
	for _, w := range []string{english.NoPoliceReport, english.PoliceNone} {
		if !strings.Contains(md, w) {
			t.Errorf("Binance letter lacks %q", w)
		}
	}
	if !strings.Contains(string(files["exchange-binance/SEND.md"]), mdEscape(line)) {
		t.Errorf("Binance SEND.md lacks %q", line)
	}
	// The full case lacks nothing the case file can give.
	_, full := renderCase(t, fixtureResult(), farCase(t, SenderRepresentative))
	for _, l := range full.Checklist {
		if !strings.Contains(l, "directory") && !strings.Contains(l, "law enforcement") {
			t.Errorf("full case: checklist has %q", l)
		}
	}
}

// TestIssuerLetterAsksNoCustomerRecords: an issuer holds no records of
// self-custody wallets, so its letter asks only to freeze on the token
// contract, and lists the address it already froze apart from those it is
// asked to freeze.
func TestIssuerLetterAsksNoCustomerRecords(t *testing.T) {
	for _, sender := range []Sender{SenderRepresentative, SenderLawEnforcement} {
		files, _ := renderCase(t, withHoldings(frozenE(), held(true, amt(15_000))), farCase(t, sender))
		md := string(files["issuer-tether/letter.md"])
		if md == "" {
			t.Fatalf("%s: no Tether letter", sender)
		}
		lower := strings.ToLower(md + extractPDFText(t, files["issuer-tether/letter.pdf"]))
		for _, bad := range []string{"identity document", "log-in", "ip record", "ip address", "kyc", "disclose", "account holder", "customer"} {
			if strings.Contains(lower, bad) {
				t.Errorf("%s: Tether letter mentions %q", sender, bad)
			}
		}
		ask := section(md, "## "+english.Section1)
		frozenAt := strings.Index(ask, english.AlreadyFrozenHeading)
		if frozenAt < 0 {
			t.Fatalf("%s: no %q in section 1:\n%s", sender, english.AlreadyFrozenHeading, ask)
		}
		requested, frozen := ask[:frozenAt], ask[frozenAt:]
		if !strings.Contains(frozen, heldE.String()) || strings.Contains(requested, heldE.String()) {
			t.Errorf("%s: the frozen %s is not listed apart from the addresses asked for", sender, heldE)
		}
		if !strings.Contains(requested, heldT.String()) || !strings.Contains(md, "Freeze (blacklist) address") {
			t.Errorf("%s: the held %s is not asked to be frozen", sender, heldT)
		}
	}
}

// TestSenderStanding: a sender who is not law enforcement says so, names
// the police report and asks an exchange for a hold and preservation, not
// for customer data; law enforcement asks to freeze and disclose. Every
// exchange letter asks that the customer not be told, and says how urgent
// it is.
func TestSenderStanding(t *testing.T) {
	files, _ := renderCase(t, fixtureResult(), farCase(t, SenderRepresentative))
	md := string(files["exchange-binance/letter.md"])
	for _, w := range []string{"we are not law enforcement", "EPCCU/2024/311", "Place a temporary hold", english.ActionPreservePrivate,
		english.NoTipOff, "**" + english.Urgency + ":**"} {
		if !strings.Contains(md, mdEscape(w)) && !strings.Contains(md, w) {
			t.Errorf("representative's Binance letter lacks %q", w)
		}
	}
	if strings.Contains(md, "disclose to us") || strings.Contains(md, "IP records") {
		t.Errorf("representative's Binance letter asks for customer data")
	}
	files, _ = renderCase(t, fixtureResult(), farCase(t, SenderLawEnforcement))
	md = string(files["exchange-binance/letter.md"])
	for _, w := range []string{english.StandingLawEnforcement, english.ActionPreserveLE, english.NoTipOff} {
		if !strings.Contains(md, mdEscape(w)) && !strings.Contains(md, w) {
			t.Errorf("law enforcement's Binance letter lacks %q", w)
		}
	}
}

// TestSendNotes: each recipient's SEND.md says where to send from the
// directory, what to attach and what is missing.
func TestSendNotes(t *testing.T) {
	files, sum := renderCase(t, fixtureResult(), farCase(t, SenderRepresentative))
	for _, rc := range sum.Recipients {
		if !rc.Letter {
			continue
		}
		send := string(files[rc.Slug+"/SEND.md"])
		if rc.Entry == nil {
			t.Errorf("%s has no directory entry", rc.Name)
			continue
		}
		for _, w := range []string{"evidence.xlsx", "letter.pdf", "report.pdf", english.ChecklistHeading, rc.Entry.Sources[0]} {
			if !strings.Contains(send, w) {
				t.Errorf("%s/SEND.md lacks %q", rc.Slug, w)
			}
		}
		if p := rc.Entry.Victims.Portal; p != "" && !strings.Contains(send, p) {
			t.Errorf("%s/SEND.md lacks the victims' portal %s", rc.Slug, p)
		}
	}
}

// TestCaseTemplate: the template names every field of the case file, is
// refused until its required fields are filled in, and then parses.
func TestCaseTemplate(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal(CaseTemplate(), &root); err != nil {
		t.Fatal(err)
	}
	// Commented-out fields count: they are shown, to be filled in.
	text := string(CaseTemplate())
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || ty.PkgPath() != reflect.TypeOf(CaseFile{}).PkgPath() {
			return
		}
		for i := 0; i < ty.NumField(); i++ {
			f := ty.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			if !strings.Contains(text, tag+":") {
				t.Errorf("template has no field %s%s", path, tag)
			}
			walk(f.Type, path+tag+".")
		}
	}
	walk(reflect.TypeOf(CaseFile{}), "")
	if _, err := ParseCase("case.yaml", CaseTemplate()); err == nil || !strings.Contains(err.Error(), "reference is required") {
		t.Errorf("unfilled template: err %v, want reference is required", err)
	}
	filled := strings.NewReplacer(`reference: ""`, `reference: "C1"`, `sender: ""`, `sender: victim`,
		"  organisation: \"\"\n  name: \"\"", "  organisation: \"\"\n  name: \"A Victim\"", `  email: ""`+"\n  phone", `  email: "a@b.example"`+"\n  phone",
		`  - name: ""`, `  - name: "A Victim"`).Replace(text)
	c, err := ParseCase("case.yaml", []byte(filled))
	if err != nil {
		t.Fatalf("filled template: %v", err)
	}
	got := strings.Join(Checklist(c, nil), "\n")
	for _, w := range []string{"police_report.department", "police_report.contact.phone", "crime.summary", "crime.lost_usd", "crime.legal_basis", "verifier", "documents"} {
		if !strings.Contains(got, w+":") {
			t.Errorf("filled template's checklist lacks %s:\n%s", w, got)
		}
	}
}
