package report

import (
	"errors"
	"strings"
	"testing"

	"freezetrace/chains"
)

func TestParseCase(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c := mustCase(t, fixtureCaseText())
		if c.Reference != "NFT-2024-0117" || c.Language != "en" || len(c.Victims) != 3 || len(c.Actions) != 2 {
			t.Fatalf("got %+v", c)
		}
		if c.Victims[0].Payments[0].Tx != txh("s1") || c.Victims[0].Payments[0].Line != 21 {
			t.Errorf("payment = %+v, want s1 at line 21", c.Victims[0].Payments[0])
		}
		if c.PoliceReport == nil || c.PoliceReport.Reference != "EPCCU/2024/311" || c.Sender != SenderRepresentative {
			t.Errorf("police report = %+v, sender %q", c.PoliceReport, c.Sender)
		}
		if c.Requester.Phone != "+442079460000" {
			t.Errorf("phone = %q, want it in E.164", c.Requester.Phone)
		}
		if !strings.Contains(c.Requester.Address, "London EC1A 1AA\n") {
			t.Errorf("address = %q, want the block kept", c.Requester.Address)
		}
	})
	minimal := "reference: R1\nsender: victim\nrequester:\n  organisation: Org\n  email: a@b.example\nactions: [freeze]\n"
	t.Run("Minimal", func(t *testing.T) {
		c := mustCase(t, minimal)
		if c.Language != "en" {
			t.Errorf("language = %q, want en by default", c.Language)
		}
	})
	bad := []struct {
		name, text, want string
	}{
		{"ErrUnknownField", minimal + "colour: red\n", `case.yaml:7: unknown field "colour"`},
		{"ErrUnknownNestedField", strings.Replace(minimal, "  email:", "  fax: 1\n  email:", 1), `case.yaml:5: unknown field "fax"`},
		{"ErrBadHash", minimal + "victims:\n  - name: V\n    payments: [0x12]\n", "case.yaml:9: not a transaction hash"},
		{"ErrUnknownAction", strings.Replace(minimal, "[freeze]", "[freeze, seize]", 1), `case.yaml:6: unknown action "seize"`},
		{"ErrDuplicateAction", strings.Replace(minimal, "[freeze]", "[freeze, freeze]", 1), `action "freeze" is listed twice`},
		{"ErrLanguage", minimal + "language: xx\n", `case.yaml:7: no letter text for language "xx"`},
		{"ErrNoReference", strings.Replace(minimal, "reference: R1\n", "", 1), "reference is required"},
		{"ErrNoOrganisation", strings.Replace(minimal, "  organisation: Org\n", "", 1), "requester.organisation or requester.name is required"},
		{"ErrNoSender", strings.Replace(minimal, "sender: victim\n", "", 1), "case.yaml:1: sender is required"},
		{"ErrUnknownSender", strings.Replace(minimal, "sender: victim", "sender: friend", 1), `case.yaml:2: unknown sender "friend"`},
		{"ErrPhone", strings.Replace(minimal, "  email: a@b.example", "  phone: 020 7946 0000", 1), `case.yaml:5: phone "020 7946 0000" is not an international number in E.164 form`},
		{"ErrDate", minimal + "police_report:\n  date: 2024-13-01\n", `case.yaml:8: date "2024-13-01" is not YYYY-MM-DD`},
		{"ErrUSD", minimal + "crime:\n  lost_usd: 12.345\n", `case.yaml:8: lost_usd "12.345" is not an amount of US dollars`},
		{"ErrCrimeDates", minimal + "crime:\n  started: 2024-05-02\n  ended: 2024-05-01\n", "case.yaml:9: crime.ended 2024-05-01 is before crime.started 2024-05-02"},
		{"ErrAuthorityIsGone", minimal + "authority:\n  name: X\n", `case.yaml:7: unknown field "authority"`},
		{"ErrMissingDocument", minimal + "documents:\n  - name: Police report\n    file: nowhere.pdf\n", `case.yaml:8: document "Police report": open nowhere.pdf`},
		{"ErrDocumentWithoutFile", minimal + "documents:\n  - name: Police report\n", "case.yaml:8: a document needs a name and a file"},
		{"ErrNoContact", strings.Replace(minimal, "  email: a@b.example\n", "", 1), "requester needs a way to be answered"},
		{"ErrNoActions", strings.Replace(minimal, "actions: [freeze]\n", "", 1), "actions is required"},
		{"ErrVictimName", minimal + "victims:\n  - police_report: X\n", "victim 1 needs a name"},
		{"ErrDuplicatePayment", minimal + "victims:\n  - name: V\n    payments:\n      - " + txh("a").String() + "\n      - " + txh("a").String() + "\n",
			"case.yaml:11: payment " + txh("a").String() + " is already listed at line 10"},
		{"ErrTwoDocuments", minimal + "---\nreference: R2\n", "case.yaml:7: a case file holds one document"},
		{"ErrEmpty", "", "case.yaml: the case file is empty"},
		{"ErrSyntax", "reference: [\n", "case.yaml:"},
		{"ErrWrongType", strings.Replace(minimal, "reference: R1", "reference: {a: 1}", 1), "case.yaml:1:"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCase("case.yaml", []byte(c.text))
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			var ie *chains.InputError
			if !errors.As(err, &ie) {
				t.Errorf("error %v is not an input error", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

func TestCaseWarnsAboutUnknownPayments(t *testing.T) {
	text := fixtureCaseText() + "  \n"
	text = strings.Replace(text, `    payments: ["`+txh("s2").String()+`"]`, `    payments: ["`+txh("s2").String()+`", "`+txh("nope").String()+`"]`, 1)
	c := mustCase(t, text)
	w := checkCase(c, fixtureResult())
	if len(w) != 1 || !strings.Contains(w[0], txh("nope").String()) || !strings.Contains(w[0], "line 24") {
		t.Errorf("warnings %q, want one naming the unknown payment at line 24", w)
	}
}

func FuzzParseCase(f *testing.F) {
	f.Add(fixtureCaseText())
	f.Add("reference: R1\nsender: victim\nrequester:\n  organisation: Org\n  email: a@b.example\nactions: [freeze]\n")
	f.Add("reference: [\n")
	f.Add("victims:\n  - name: V\n    payments: [1]\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCase("f.yaml", []byte(text))
		if err != nil {
			var ie *chains.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an input error", err)
			}
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if strings.TrimSpace(c.Reference) == "" || len(c.Actions) == 0 || catalogue[c.Language] == nil {
			t.Fatalf("accepted an incomplete case: %+v", c)
		}
	})
}
