package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"
	"github.com/xuri/excelize/v2"

	"freezetrace/chains"
	"freezetrace/trace"
)

func TestXLSXCells(t *testing.T) {
	files, sum := renderFixture(t, FormatXLSX)
	f, err := excelize.OpenReader(bytes.NewReader(files["issuer-tether/evidence.xlsx"]))
	if err != nil {
		t.Fatalf("open xlsx: %v", err)
	}
	defer f.Close()
	if got, want := strings.Join(f.GetSheetList(), ","), "flows,endpoints,sources,paths,ledger"; got != want {
		t.Errorf("sheets %s, want %s", got, want)
	}
	rc := sum.Recipients[2]
	if rc.Name != "Tether" {
		t.Fatalf("third recipient is %q, want Tether", rc.Name)
	}
	checks := []struct{ sheet, cell, want string }{
		{"endpoints", "A1", "recipient"},
		{"endpoints", "A2", "Tether"},
		{"endpoints", "C2", heldE.String()},
		{"endpoints", "D2", "held"},
		{"endpoints", "I2", "17000000000"},
		{"endpoints", "J2", "17,000.00"},
		{"endpoints", "C3", heldT.String()},
		{"endpoints", "I3", "15000000000"},
		{"endpoints", "L3", "S1=5000000000;S2=10000000000"},
		{"sources", "B2", "Alice A."},
		{"sources", "C2", "EP-2024-000111"},
		{"flows", "D2", chains.Ethereum.FormatTx(txh("c-split"))},
		{"flows", "M2", "40000000000"},
	}
	for _, c := range checks {
		got, err := f.GetCellValue(c.sheet, c.cell)
		if err != nil {
			t.Fatalf("%s!%s: %v", c.sheet, c.cell, err)
		}
		if got != c.want {
			t.Errorf("%s!%s = %q, want %q", c.sheet, c.cell, got, c.want)
		}
	}
	ok, target, err := f.GetCellHyperLink("flows", "R2")
	if err != nil || !ok || target != chains.Ethereum.TxURL(txh("c-split")) {
		t.Errorf("flows!R2 hyperlink = %v %q %v, want the etherscan link", ok, target, err)
	}
	rows, err := f.GetRows("paths")
	if err != nil {
		t.Fatal(err)
	}
	// Three paths end at Tether's addresses: S3 (3 hops), S1 and S2 (3 hops each).
	if len(rows) != 1+9 {
		t.Errorf("paths sheet has %d rows, want 10", len(rows))
	}
}

// extractPDFText extracts the text of a PDF with a pure-Go reader.
func extractPDFText(t *testing.T, b []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("read pdf: %v", err)
	}
	var out strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		rows, err := r.Page(i).GetTextByRow()
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		for _, row := range rows {
			for _, w := range row.Content {
				out.WriteString(w.S)
			}
			out.WriteByte('\n')
		}
	}
	return out.String()
}

func TestPDFText(t *testing.T) {
	files, sum := renderFixture(t, FormatPDF)
	as := newAssets(fixtureResult())
	for _, rc := range sum.Recipients {
		text := extractPDFText(t, files[rc.Slug+"/letter.pdf"])
		want := []string{"NFT-2024-0117", rc.Name, "Victim Support Network"}
		for _, e := range rc.Endpoints {
			want = append(want, e.Address.String(), display(e.Amount, as.get(e.Asset).Decimals), e.Amount.String())
			for _, h := range e.Txs {
				want = append(want, e.Chain.FormatTx(h))
			}
		}
		for _, tot := range rc.Totals {
			want = append(want, as.money(tot.Amount, tot.Asset), tot.Amount.String())
		}
		for _, p := range rc.Paths {
			for _, h := range p.Hops {
				want = append(want, h.Chain.FormatTx(h.Tx))
			}
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s letter.pdf: text has no %q", rc.Slug, w)
			}
		}
	}
}

// TestPDFOtherScripts checks that a Chinese name survives into the PDF's
// text. It needs pdftotext (Debian package poppler-utils) because the Go
// reader does not map the fallback font back to Unicode.
func TestPDFOtherScripts(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed (Debian package poppler-utils); skipping the CJK text check")
	}
	files, _ := renderFixture(t, FormatPDF)
	p := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(p, files["exchange-okx/letter.pdf"], 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	if !strings.Contains(string(out), "陈伟") {
		t.Errorf("pdftotext output has no 陈伟:\n%s", out)
	}
}

// checkXML parses b as XML from start to end.
func checkXML(t *testing.T, name string, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", name, err)
		}
	}
}

func TestSVG(t *testing.T) {
	files, sum := renderFixture(t, FormatSVG)
	r := fixtureResult()
	svg := files["case/graph.svg"]
	checkXML(t, "case/graph.svg", svg)
	for _, e := range r.Endpoints {
		if !bytes.Contains(svg, []byte(e.Address.String())) {
			t.Errorf("case/graph.svg has no endpoint %s", e.Address)
		}
	}
	for _, rc := range sum.Recipients {
		b := files[rc.Slug+"/graph.svg"]
		checkXML(t, rc.Slug+"/graph.svg", b)
		for _, e := range rc.Endpoints {
			if !bytes.Contains(b, []byte(e.Address.String())) {
				t.Errorf("%s/graph.svg has no endpoint %s", rc.Slug, e.Address)
			}
		}
	}
	if !bytes.Contains(svg, []byte(kindColour[trace.KindHeld])) || !bytes.Contains(svg, []byte(kindColour[trace.KindMixer])) {
		t.Errorf("case/graph.svg does not colour held and mixer endpoints")
	}
}

func TestHTMLIsWellFormed(t *testing.T) {
	files, sum := renderFixture(t, FormatHTML)
	for _, rc := range sum.Recipients {
		h := string(files[rc.Slug+"/letter.html"])
		for _, e := range rc.Endpoints {
			if !strings.Contains(h, e.Address.String()) {
				t.Errorf("%s/letter.html has no %s", rc.Slug, e.Address)
			}
		}
	}
	if !strings.Contains(string(files["overview.html"]), `href="exchange-binance/letter.html"`) {
		t.Errorf("overview.html does not link to the Binance letter")
	}
}
