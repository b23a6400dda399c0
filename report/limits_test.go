package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"freezetrace/chains"
	"freezetrace/trace"
)

var (
	hotBnE = addr(chains.FamilyEVM, "binance hot eth")

	noTimesMessage = "12 transfers on ethereum were read without block times from <script>alert(1)</script>; time windows were not applied there."
)

// limitsResult is the fixture case as a trace with limits: the Ethereum
// data came without block times, deposit detection could not run for the
// Ethereum wallet that holds USDT, and on Ethereum the funds reached OKX's
// and Binance's own listed wallets directly, with no deposit address found.
// OKX's letter so has only an own wallet; Binance's has a TRON deposit
// address and an Ethereum own wallet. The trace file records no holdings,
// so no balance or freeze status is known.
func limitsResult() *trace.Result {
	r := fixtureResult()
	r.Holdings = nil
	for i := range r.Origins {
		if r.Origins[i].Chain == chains.Ethereum {
			r.Origins[i].Time = time.Time{}
		}
	}
	for i := range r.Flows {
		f := &r.Flows[i]
		if f.Chain == chains.Ethereum {
			f.Time = time.Time{}
		}
		switch f.To {
		case depOKX:
			f.To = hotOKX
		case depBnE:
			f.To = hotBnE
		}
	}
	list := func(a chains.Address, entity, file string) []chains.Label {
		return []chains.Label{{Chain: chains.Ethereum, Address: a, Entity: entity, Category: chains.CategoryExchange,
			Source: "graphsense-tagpacks/" + file, Confidence: 100}}
	}
	for i := range r.Endpoints {
		e := &r.Endpoints[i]
		switch e.Address {
		case depOKX:
			e.Address, e.Category, e.SweepTxs = hotOKX, chains.CategoryExchange, nil
			e.Reason, e.Labels = "A labeled OKX exchange wallet.", list(hotOKX, "OKX", "okx.yaml")
		case depBnE:
			e.Address, e.Category, e.SweepTxs = hotBnE, chains.CategoryExchange, nil
			e.Reason, e.Labels = "A labeled Binance exchange wallet.", list(hotBnE, "Binance", "binance.yaml")
		}
	}
	hot := []chains.Address{hotBnE, hotOKX}
	if hot[0].Compare(hot[1]) > 0 {
		hot[0], hot[1] = hot[1], hot[0]
	}
	r.Warnings = []trace.Warning{
		{Code: trace.WarnNoDepositDetection, Message: "Deposit-address detection could not run for 1 address on ethereum: no block times for the sweep window.",
			Addresses: []chains.Address{heldE}},
		{Code: trace.WarnHotWallet, Message: "Taint reached 2 labeled exchange wallets directly; the customer accounts are not identified by the trace.",
			Addresses: hot},
		{Code: trace.WarnNoBlockTimes, Message: noTimesMessage, Addresses: []chains.Address{splitE}},
	}
	r.Ledger = ledgerOf(r)
	return r
}

func renderLimits(t testing.TB, formats ...Format) (map[string][]byte, *Summary) {
	t.Helper()
	files, sum, err := Render(context.Background(), limitsResult(), mustCase(t, fixtureCaseText()), Options{Formats: formats, At: fixtureAt})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return files, sum
}

// TestGoldenLimits pins the output of the trace with limits in
// fixtures/report-golden/fixture-case-limits. Refresh with:
// go test ./report -run TestGoldenLimits -update
func TestGoldenLimits(t *testing.T) {
	files, sum := renderLimits(t, FormatMarkdown, FormatCSV, FormatJSON, FormatDOT)
	n := 0
	for _, name := range sum.Files {
		switch path.Ext(name) {
		case ".md", ".csv", ".json", ".dot":
			golden(t, "fixture-case-limits", name, files[name])
			n++
		}
	}
	if n < 30 {
		t.Errorf("compared %d golden files, want at least 30 (3 recipients and the case)", n)
	}
}

// section returns the Markdown from heading to the next heading of the
// same level, or "" when there is no such heading.
func section(md, heading string) string {
	i := strings.Index(md, "\n"+heading+"\n")
	if i < 0 {
		return ""
	}
	rest := md[i+1+len(heading):]
	level := heading[:strings.Index(heading, " ")+1]
	if j := strings.Index(rest, "\n"+level); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// boldPart returns the Markdown after the bold paragraph label ("**What
// we ask:**") up to the next bold paragraph or heading, or "" when there
// is no such paragraph.
func boldPart(md, label string) string {
	head := "\n**" + mdInline(label) + "**\n"
	i := strings.Index(md, head)
	if i < 0 {
		return ""
	}
	rest := md[i+len(head):]
	end := len(rest)
	for _, next := range []string{"\n\n**", "\n#"} {
		if j := strings.Index(rest, next); j >= 0 && j < end {
			end = j
		}
	}
	return rest[:end]
}

func TestNoYearOne(t *testing.T) {
	files, _ := renderLimits(t)
	for name, b := range files {
		var text string
		switch path.Ext(name) {
		case ".md", ".html", ".csv", ".json", ".dot", ".svg":
			text = string(b)
		case ".pdf":
			text = extractPDFText(t, b)
		case ".xlsx":
			f, err := excelize.OpenReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var sb strings.Builder
			for _, sh := range f.GetSheetList() {
				rows, err := f.GetRows(sh)
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range rows {
					sb.WriteString(strings.Join(row, ",") + "\n")
				}
			}
			f.Close()
			text = sb.String()
		default:
			continue
		}
		if strings.Contains(text, "0001-01-01") {
			t.Errorf("%s prints the zero time", name)
		}
		// SEND.md is about sending, not the trace: it has no times to show.
		letterText := path.Ext(name) == ".md" || path.Ext(name) == ".html" || path.Ext(name) == ".pdf"
		if letterText && path.Base(name) != "SEND.md" && !strings.Contains(text, english.TimeUnknown) {
			t.Errorf("%s does not say %q for the missing block times", name, english.TimeUnknown)
		}
	}
}

func TestOwnWalletLetters(t *testing.T) {
	files, sum := renderLimits(t)
	if len(sum.Recipients) != 3 {
		t.Fatalf("%d recipients, want 3", len(sum.Recipients))
	}
	tx := chains.Ethereum.FormatTx
	section1 := "## " + mdInline(english.Section1)
	// The case's sender is a representative: a deposit address is asked
	// for a temporary hold; nobody is asked for a freeze.
	holdLead, _, _ := strings.Cut(english.ActionHoldExch, "%s")
	freezeLead, _, _ := strings.Cut(english.ActionFreezeExch, "%s")
	identify := mdEscape(fmt.Sprintf(english.ActionIdentifyHold, english.OwnWalletsHeading))

	t.Run("OnlyOwnWallets", func(t *testing.T) {
		md := string(files["exchange-okx/letter.md"])
		s1 := section(md, section1)
		if s1 == "" {
			t.Fatalf("OKX letter has no %q", english.Section1)
		}
		asked, _, _ := strings.Cut(s1, "### "+english.OwnWalletsHeading)
		if strings.Contains(asked, "| "+english.ColAddress+" |") || strings.Contains(asked, hotOKX.String()) {
			t.Errorf("OKX letter lists addresses to freeze though it has none:\n%s", s1)
		}
		own := section(md, "### "+english.OwnWalletsHeading)
		want := mdEscape(fmt.Sprintf(english.OwnWalletLine, hotOKX))
		if !strings.Contains(own, want) || !strings.Contains(own, tx(txh("split-okx"))) || !strings.Contains(own, "15,000.00 USDT") ||
			!strings.Contains(own, english.TimeUnknown) {
			t.Errorf("OKX letter's own-wallet section lacks\n%s\nand its transaction, time unknown and amount; got:\n%s", want, own)
		}
		total := boldPart(md, english.TotalHeading)
		if want := fmt.Sprintf(english.TotalSplit, "0.00 USDT", "15,000.00 USDT"); !strings.Contains(total, want) {
			t.Errorf("OKX total does not say %q:\n%s", want, total)
		}
		if strings.Contains(md, holdLead) || strings.Contains(md, freezeLead) {
			t.Errorf("OKX letter asks to hold or freeze funds from deposit addresses it does not have")
		}
		if req := boldPart(md, english.RequestedHeading); !strings.Contains(req, identify) {
			t.Errorf("OKX letter does not ask to identify the accounts credited in its own wallets:\n%s", req)
		}
		if !strings.Contains(md, "Path P1: payment S3 by 陈伟 (EP-2024-000333) to address 1") {
			t.Errorf("OKX letter does not show the path to its wallet")
		}
		for _, f := range []string{"letter.html", "letter.pdf"} {
			if _, ok := files["exchange-okx/"+f]; !ok {
				t.Errorf("exchange-okx/%s not written", f)
			}
		}
		text := extractPDFText(t, files["exchange-okx/letter.pdf"])
		if !strings.Contains(text, hotOKX.String()) || !strings.Contains(text, english.OwnWalletsHeading) {
			t.Errorf("OKX letter.pdf lacks the own-wallet section")
		}
	})

	t.Run("Mixed", func(t *testing.T) {
		md := string(files["exchange-binance/letter.md"])
		addrs, _, _ := strings.Cut(section(md, section1), "### "+english.OwnWalletsHeading)
		if !strings.Contains(addrs, "| 1 | TRON | [`"+depBnT.String()+"`]") {
			t.Errorf("Binance letter does not list its deposit address %s to freeze", depBnT)
		}
		if strings.Contains(addrs, hotBnE.String()) {
			t.Errorf("Binance letter lists its own wallet %s as an address to freeze:\n%s", hotBnE, addrs)
		}
		if own := section(md, "### "+english.OwnWalletsHeading); !strings.Contains(own, "**"+fmt.Sprintf(english.AddressTitle, "2", hotBnE)+"**") {
			t.Errorf("Binance's own wallet is not address 2 of the own-wallet section:\n%s", own)
		}
		total := boldPart(md, english.TotalHeading)
		for _, want := range []string{
			"**" + fmt.Sprintf(english.TotalLine, "5,000.00 USDT", "5000000000", "Ethereum") + "**; " +
				fmt.Sprintf(english.TotalSplit, "0.00 USDT", "5,000.00 USDT"),
			"**" + fmt.Sprintf(english.TotalLine, "20,000.00 USDT", "20000000000", "TRON") + "**; " +
				fmt.Sprintf(english.TotalSplit, "20,000.00 USDT", "0.00 USDT"),
		} {
			if !strings.Contains(total, want) {
				t.Errorf("Binance total lacks %q:\n%s", want, total)
			}
		}
		req := boldPart(md, english.RequestedHeading)
		for _, want := range []string{mdEscape(fmt.Sprintf(english.ActionHoldExch, addressList("1"))), identify} {
			if !strings.Contains(req, want) {
				t.Errorf("Binance letter does not ask: %s\n%s", want, req)
			}
		}
		if strings.Contains(req, freezeLead) {
			t.Errorf("a representative's Binance letter asks for a freeze:\n%s", req)
		}
	})

	t.Run("JSONTotals", func(t *testing.T) {
		var rep struct {
			Recipients []struct {
				Slug   string
				Totals []struct {
					Amount       string `json:"amount"`
					ToDeposits   string `json:"to_deposit_addresses"`
					ToOwnWallets string `json:"to_own_wallets"`
				}
			}
		}
		if err := json.Unmarshal(files["case/report.json"], &rep); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, rc := range rep.Recipients {
			for _, tot := range rc.Totals {
				got[rc.Slug] += tot.Amount + "=" + tot.ToDeposits + "+" + tot.ToOwnWallets + " "
			}
		}
		want := map[string]string{
			"exchange-binance": "5000000000=0+5000000000 20000000000=20000000000+0 ",
			"exchange-okx":     "15000000000=0+15000000000 ",
			"issuer-tether":    "17000000000=+ 15000000000=+ ",
		}
		for slug, w := range want {
			if got[slug] != w {
				t.Errorf("%s totals %q, want %q", slug, got[slug], w)
			}
		}
	})
}

func TestWarningsShown(t *testing.T) {
	files, _ := renderLimits(t)
	r := limitsResult()
	title := func(code string) string { return english.WarningCodes[code] + ":" }
	for _, name := range []string{"overview.md", "overview.html"} {
		s := string(files[name])
		if !strings.Contains(s, english.WarningsHeading) {
			t.Errorf("%s has no warnings section", name)
		}
		for _, w := range r.Warnings {
			for _, a := range w.Addresses {
				if !strings.Contains(s, a.String()) {
					t.Errorf("%s: warning %s does not name %s", name, w.Code, a)
				}
			}
		}
		if i, j := strings.Index(s, english.WarningsHeading), strings.Index(s, english.PaymentsHeading); i > j {
			t.Errorf("%s: warnings come after the payments", name)
		}
	}
	md := string(files["overview.md"])
	for _, w := range r.Warnings {
		if !strings.Contains(md, "**"+title(w.Code)+"**") {
			t.Errorf("overview.md does not show warning %s", w.Code)
		}
	}
	if !strings.Contains(md, `\<script\>alert(1)\</script\>`) {
		t.Errorf("overview.md does not show the warning text escaped")
	}
	h := string(files["overview.html"])
	if strings.Contains(h, "<script") || !strings.Contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("overview.html does not escape the warning text")
	}

	letters := []struct {
		slug      string
		want, not []string // warning titles or addresses
	}{
		{"exchange-okx", []string{title(trace.WarnHotWallet), title(trace.WarnNoBlockTimes), hotOKX.String()},
			[]string{title(trace.WarnNoDepositDetection), hotBnE.String(), heldE.String()}},
		{"exchange-binance", []string{title(trace.WarnHotWallet), title(trace.WarnNoBlockTimes), hotBnE.String()},
			[]string{title(trace.WarnNoDepositDetection), hotOKX.String(), heldE.String()}},
		{"issuer-tether", []string{title(trace.WarnNoDepositDetection), title(trace.WarnNoBlockTimes), heldE.String()},
			[]string{title(trace.WarnHotWallet), hotOKX.String(), hotBnE.String()}},
	}
	for _, l := range letters {
		md := string(files[l.slug+"/letter.md"])
		warn := section(md, "## "+english.WarningsHeading)
		if warn == "" {
			t.Errorf("%s letter has no warnings section", l.slug)
			continue
		}
		// The warnings follow the opening and come before section 1, so
		// before the victims' payments (section 4) too.
		at := strings.Index(md, "## "+english.WarningsHeading)
		opening := strings.Index(md, "**"+english.To+":**")
		first := strings.Index(md, "\n## "+mdInline(english.Section1)+"\n")
		if at < opening || first < 0 || at > first {
			t.Errorf("%s letter: warnings at %d, want after the opening (%d) and before %q (%d)", l.slug, at, opening, english.Section1, first)
		}
		if strings.Contains(warn, splitE.String()) {
			t.Errorf("%s letter names an address of the trace that is not the recipient's", l.slug)
		}
		for _, w := range l.want {
			if !strings.Contains(warn, w) {
				t.Errorf("%s letter's warnings lack %q:\n%s", l.slug, w, warn)
			}
		}
		for _, w := range l.not {
			if strings.Contains(warn, w) {
				t.Errorf("%s letter's warnings show %q, which does not concern it:\n%s", l.slug, w, warn)
			}
		}
		h := string(files[l.slug+"/letter.html"])
		if !strings.Contains(h, "<h2>"+english.WarningsHeading+"</h2>") || strings.Contains(h, "<script") {
			t.Errorf("%s letter.html does not show the warnings escaped", l.slug)
		}
		text := extractPDFText(t, files[l.slug+"/letter.pdf"])
		if !strings.Contains(text, english.WarningsHeading) {
			t.Errorf("%s letter.pdf has no warnings section", l.slug)
		}
	}

	var rep struct{ Warnings []trace.Warning }
	if err := json.Unmarshal(files["case/report.json"], &rep); err != nil {
		t.Fatal(err)
	}
	// The trace's warnings, then that no holding was read, for every
	// freeze target of every recipient (the own wallets are none).
	if len(rep.Warnings) != len(r.Warnings)+1 || rep.Warnings[len(r.Warnings)].Code != WarnHoldingsNotRead ||
		len(rep.Warnings[len(r.Warnings)].Addresses) != 3 {
		t.Errorf("report.json warnings = %+v, want the trace's %d and holdings not read for 3 addresses", rep.Warnings, len(r.Warnings))
	}
	rep.Warnings = nil // a reused slice would keep the old elements' addresses
	if err := json.Unmarshal(files["issuer-tether/recipient.json"], &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 3 || rep.Warnings[0].Code != trace.WarnNoDepositDetection || rep.Warnings[1].Code != trace.WarnNoBlockTimes ||
		len(rep.Warnings[1].Addresses) != 0 || rep.Warnings[2].Code != WarnHoldingsNotRead || len(rep.Warnings[2].Addresses) != 2 {
		t.Errorf("issuer-tether/recipient.json warnings = %+v, want deposit detection, block times (no address of another) "+
			"and holdings not read for its 2 addresses", rep.Warnings)
	}
}

// TestNoWarningsNoSection checks that a trace without warnings gets no
// warnings section (the goldens pin the rest).
func TestNoWarningsNoSection(t *testing.T) {
	r := fixtureResult()
	for i := range r.Holdings {
		r.Holdings[i].Warnings = nil
	}
	files, _, err := Render(context.Background(), r, mustCase(t, fixtureCaseText()),
		Options{Formats: []Format{FormatMarkdown, FormatHTML, FormatJSON}, At: fixtureAt})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if strings.Contains(string(b), english.WarningsHeading) || strings.Contains(string(b), `"warnings"`) {
			t.Errorf("%s shows warnings for a trace that has none", name)
		}
	}
}
