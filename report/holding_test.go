package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

var (
	tronHead     = uint64(60_200_000)
	tronHeadTime = time.Date(2024, 4, 3, 9, 59, 57, 0, time.UTC)
	cashOut      = addr(chains.FamilyTRON, "cash out")
)

// withHoldings is the fixture case with its holdings replaced by hs.
func withHoldings(hs ...trace.Holding) *trace.Result {
	r := fixtureResult()
	r.Holdings = hs
	return r
}

// held is a TRON holding of heldT (15,000 USDT traced) at the live head,
// or as of the end of the data when live is false, with balance bal (nil:
// not known).
func held(live bool, bal *chains.Amount) trace.Holding {
	h := trace.Holding{Chain: chains.Tron, Address: heldT, Asset: chains.USDTTron, Traced: usdt(15_000, 0), Block: tronHead,
		Time: tronHeadTime, Balance: bal, Freeze: &chains.Freeze{Issuer: "Tether", Block: tronHead}}
	if live {
		h.Live, h.Checked = true, fixtureAt
	} else {
		h.Block, h.Time = 60_100_000, time.Date(2024, 4, 2, 8, 20, 0, 0, time.UTC)
		h.Freeze.Block = h.Block
	}
	return h
}

// frozenE is heldE (17,000 USDT traced) frozen by Tether in a known
// transaction, its balance intact.
func frozenE() trace.Holding {
	bal := usdt(17_000, 0)
	return trace.Holding{Chain: chains.Ethereum, Address: heldE, Asset: chains.USDTEthereum, Traced: usdt(17_000, 0), Live: true,
		Block: 19_500_000, Time: time.Date(2024, 4, 3, 9, 58, 11, 0, time.UTC), Checked: fixtureAt, Balance: &bal,
		Freeze: &chains.Freeze{Frozen: true, Issuer: "Tether", Block: 19_500_000, Tx: txh("freeze"), TxBlock: 19_420_000,
			TxTime: time.Date(2024, 3, 20, 14, 3, 0, 0, time.UTC)}}
}

// holdsE is heldE holding its 17,000 USDT, not frozen.
func holdsE() trace.Holding {
	h := frozenE()
	h.Freeze = &chains.Freeze{Issuer: "Tether", Block: h.Block}
	return h
}

func amt(whole uint64) *chains.Amount { a := usdt(whole, 0); return &a }

// The token contracts as an issuer's requested action names them.
var (
	usdtEthereum = "USDT " + chains.USDTEthereum.Contract.String() + " (Ethereum)"
	usdtTron     = "USDT " + chains.USDTTron.Contract.String() + " (TRON)"
)

// addressList is how a requested action names the addresses ids ("1",
// "1, 3"): "address 1", "addresses 1, 3".
func addressList(ids string) string {
	if strings.Contains(ids, ",") {
		return english.AddressMany + " " + ids
	}
	return english.AddressOne + " " + ids
}

func render(t *testing.T, r *trace.Result, formats ...Format) (map[string][]byte, *Summary) {
	t.Helper()
	files, sum, err := Render(context.Background(), r, mustCase(t, fixtureCaseText()), Options{Formats: formats, At: fixtureAt})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return files, sum
}

func recipientOf(t *testing.T, sum *Summary, slug string) *Recipient {
	t.Helper()
	for _, rc := range sum.Recipients {
		if rc.Slug == slug {
			return rc
		}
	}
	t.Fatalf("no recipient %s", slug)
	return nil
}

// TestHoldingStates renders the Tether letter with one holding in each
// state and checks the sentence each gets and what is asked.
func TestHoldingStates(t *testing.T) {
	partial := held(true, amt(4_000))
	partial.Onward = []trace.Movement{
		{Tx: txh("on-1"), Block: 60_150_000, Time: time.Date(2024, 4, 2, 16, 0, 0, 0, time.UTC), To: depBnT, Amount: usdt(9_000, 0)},
		{Tx: txh("on-2"), Block: 60_160_000, Time: time.Date(2024, 4, 2, 20, 30, 0, 0, time.UTC), To: cashOut, Amount: usdt(2_000, 0)},
	}
	partial.LastOut = &partial.Onward[1]
	unknown := held(true, nil)
	unknown.Warnings = []string{"balance at block 60200000 not known: trongrid: 503"}
	frozenNoTx := frozenE()
	frozenNoTx.Freeze = &chains.Freeze{Frozen: true, Issuer: "Tether", Block: 19_500_000, Note: "listed as frozen by tether-blacklist.yaml"}
	cases := []struct {
		name     string
		tron     trace.Holding
		eth      trace.Holding
		want     []string // in the Tether letter
		not      []string
		asked    string // the addresses asked to freeze, "" for none
		contract string // the token contract of the addresses asked to freeze
		frozen   string // the addresses listed as already frozen
		emptyIDs string // the addresses listed as empty
	}{
		{"FrozenHolds", held(true, amt(15_000)), frozenE(),
			[]string{
				"Already frozen by Tether in transaction " + chains.Ethereum.FormatTx(txh("freeze")) + " at 2024-03-20 14:03:00 UTC (block 19420000); not requested again.",
				"Holds 15,000.00 USDT (of 15,000.00 traced) at block 60200000, 2024-04-03 09:59:57 UTC.",
				"Not frozen by Tether at block 60200000.",
				"Balances and freeze status read at 2024-04-03 10:00:00 UTC (block 60200000).",
				"No outgoing transfer known since the traced funds arrived, up to block 60200000.",
			}, []string{"as of the end of the data"}, "2", usdtTron, "1", ""},
		{"FrozenNoTxPartial", partial, frozenNoTx,
			[]string{
				"Already frozen by Tether (as read at block 19500000; the freezing transaction is not known); not requested again.",
				"Detail: listed as frozen by tether-blacklist.yaml.",
				"Holds 4,000.00 USDT (of 15,000.00 traced) at block 60200000, 2024-04-03 09:59:57 UTC.",
				"- 9,000.00 USDT to " + depBnT.String() + " (an endpoint of this trace: exchange, Binance) in transaction " +
					chains.Tron.FormatTx(txh("on-1")) + " at 2024-04-02 16:00:00 UTC",
				"- 2,000.00 USDT to " + cashOut.String() + " in transaction " + chains.Tron.FormatTx(txh("on-2")) + " at 2024-04-02 20:30:00 UTC",
				"Last outgoing transfer: 2024-04-02 20:30:00 UTC, 2,000.00 USDT to " + cashOut.String(),
				"4,000.00 USDT left at the addresses, 11,000.00 USDT moved on",
			}, nil, "2", usdtTron, "1", ""},
		{"AsOfEndOfData", held(false, amt(15_000)), frozenE(),
			[]string{
				"Held 15,000.00 USDT (of 15,000.00 traced) as of the end of the data, block 60100000 (2024-04-02 08:20:00 UTC); not checked against a live source since.",
				"Balances and freeze status as of the end of the data, block 60100000 (2024-04-02 08:20:00 UTC): no live source was read, so they may have changed since.",
			}, []string{"Holds 15,000.00", "still"}, "2", usdtTron, "1", ""},
		{"EmptyLive", held(true, amt(0)), holdsE(),
			[]string{"Holds none of it: 0.00 USDT (of 15,000.00 traced) at block 60200000, 2024-04-03 09:59:57 UTC.",
				"Holds 17,000.00 USDT (of 17,000.00 traced) at block 19500000, 2024-04-03 09:58:11 UTC.",
				"Not frozen by Tether at block 19500000."},
			[]string{"already frozen"}, "1", usdtEthereum, "", "2"},
		{"Unknown", unknown, frozenE(),
			[]string{"Balance at block 60200000 (2024-04-03 09:59:57 UTC) not known; see the warnings. The request stands until it is checked.",
				"**Balance or freeze status incomplete:** balance at block 60200000 not known: trongrid: 503. Addresses concerned: " + heldT.String(),
				"15,000.00 USDT not known"},
			nil, "2", usdtTron, "1", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files, _ := render(t, withHoldings(c.eth, c.tron), FormatMarkdown)
			md := string(files["issuer-tether/letter.md"])
			if md == "" {
				t.Fatalf("no Tether letter")
			}
			for _, w := range c.want {
				if !strings.Contains(md, w) {
					t.Errorf("letter lacks %q", w)
				}
			}
			for _, w := range c.not {
				if i := strings.Index(md, w); i >= 0 {
					line, _, _ := strings.Cut(md[strings.LastIndex(md[:i], "\n")+1:], "\n")
					t.Errorf("letter says %q: %s", w, line)
				}
			}
			req := boldPart(md, english.RequestedHeading)
			if req == "" {
				t.Fatalf("letter has no %q", english.RequestedHeading)
			}
			checks := []struct {
				format, ids string
				args        []any
			}{
				{english.ActionFreezeIssuer, c.asked, []any{addressList(c.asked), c.contract}},
				{english.ActionAlreadyFrozen, c.frozen, []any{addressList(c.frozen)}},
				{english.ActionNothingLeft, c.emptyIDs, []any{addressList(c.emptyIDs)}},
			}
			for _, ck := range checks {
				lead, _, _ := strings.Cut(ck.format, "%s") // the text before the addresses
				if got := strings.Contains(req, mdEscape(lead)); got != (ck.ids != "") {
					t.Errorf("requested action has %q: %v, want %v:\n%s", lead, got, ck.ids != "", req)
				}
				if want := mdEscape(fmt.Sprintf(ck.format, ck.args...)); ck.ids != "" && !strings.Contains(req, want) {
					t.Errorf("requested action lacks %q:\n%s", want, req)
				}
			}
		})
	}
}

// TestNoLetterWhenNothingLeft: a recipient whose freeze targets are all
// frozen or empty gets no files, and the overview and report.json say why;
// an exchange is still asked about a swept (empty) deposit address.
func TestNoLetterWhenNothingLeft(t *testing.T) {
	emptyBnE := trace.Holding{Chain: chains.Ethereum, Address: depBnE, Asset: chains.USDTEthereum, Traced: usdt(5_000, 0),
		Block: 19_400_000, Balance: amt(0)}
	frozenBnT := trace.Holding{Chain: chains.Tron, Address: depBnT, Asset: chains.USDTTron, Traced: usdt(20_000, 0), Block: tronHead,
		Live: true, Checked: fixtureAt, Balance: amt(20_000), Freeze: &chains.Freeze{Frozen: true, Issuer: "Tether", Block: tronHead}}
	frozenOKX := trace.Holding{Chain: chains.Ethereum, Address: depOKX, Asset: chains.USDTEthereum, Traced: usdt(15_000, 0),
		Block: 19_400_000, Balance: amt(15_000), Freeze: &chains.Freeze{Frozen: true, Issuer: "Tether", Block: 19_400_000}}
	r := withHoldings(emptyBnE, frozenOKX, frozenE(), frozenBnT, held(true, amt(0)))
	files, sum := render(t, r, FormatMarkdown, FormatHTML, FormatJSON, FormatCSV)

	for slug, want := range map[string]string{
		"issuer-tether": fmt.Sprintf(english.NoLetter[NoLetterFrozenOrEmpty], 1, 1),
		"exchange-okx":  fmt.Sprintf(english.NoLetter[NoLetterFrozen], 1),
	} {
		rc := recipientOf(t, sum, slug)
		if rc.Letter || rc.NoLetter != want {
			t.Errorf("%s: letter %v, no-letter reason %q, want none and %q", slug, rc.Letter, rc.NoLetter, want)
		}
		for name := range files {
			if strings.HasPrefix(name, slug+"/") {
				t.Errorf("%s written for a recipient with nothing left to ask for", name)
			}
		}
		for _, o := range []string{"overview.md", "overview.html"} {
			if !strings.Contains(string(files[o]), want) {
				t.Errorf("%s does not say why %s gets no letter (%q)", o, slug, want)
			}
		}
	}
	// Binance: the TRON deposit address is frozen, the Ethereum one swept:
	// the exchange is asked about the swept one only.
	bn := recipientOf(t, sum, "exchange-binance")
	md := string(files["exchange-binance/letter.md"])
	if !bn.Letter || md == "" {
		t.Fatalf("no Binance letter for a swept deposit address")
	}
	// The case's sender is a representative, who asks an exchange for a
	// temporary hold, not a freeze.
	req := boldPart(md, english.RequestedHeading)
	for _, w := range []string{fmt.Sprintf(english.ActionHoldExch, addressList("1")), fmt.Sprintf(english.ActionAlreadyFrozen, addressList("2"))} {
		if !strings.Contains(req, mdEscape(w)) {
			t.Errorf("Binance's requested action lacks %q:\n%s", w, req)
		}
	}
	if lead, _, _ := strings.Cut(english.ActionFreezeExch, "%s"); strings.Contains(req, lead) {
		t.Errorf("a representative's Binance letter asks for a freeze, which only law enforcement asks for:\n%s", req)
	}
	if !strings.Contains(md, english.DepositMoved) {
		t.Errorf("Binance letter does not say what a swept deposit address's balance means")
	}

	// The overview counts frozen funds as frozen.
	ov := string(files["overview.md"])
	for _, w := range []string{"17,000.00 USDT at addresses already frozen (Ethereum)", "15,000.00 USDT moved on (TRON)",
		"20,000.00 USDT at addresses already frozen (TRON)", "5,000.00 USDT moved on (Ethereum)"} {
		if !strings.Contains(ov, w) {
			t.Errorf("overview lacks %q", w)
		}
	}
	var rep struct {
		Recipients []struct {
			Slug     string          `json:"slug"`
			Letter   bool            `json:"letter"`
			NoLetter string          `json:"no_letter"`
			Holdings []trace.Holding `json:"holdings"`
			Totals   []Total         `json:"totals"`
		} `json:"recipients"`
	}
	if err := json.Unmarshal(files["case/report.json"], &rep); err != nil {
		t.Fatal(err)
	}
	for _, rc := range rep.Recipients {
		if rc.Slug != "issuer-tether" {
			continue
		}
		if rc.Letter || rc.NoLetter == "" || len(rc.Holdings) != 2 || rc.Holdings[0].Freeze == nil || !rc.Holdings[0].Freeze.Frozen {
			t.Errorf("report.json Tether: letter %v, reason %q, holdings %+v", rc.Letter, rc.NoLetter, rc.Holdings)
		}
		if s := rc.Totals[0].Standing; s == nil || s.Frozen.Cmp(usdt(17_000, 0)) != 0 || !s.Left.IsZero() {
			t.Errorf("report.json Tether ethereum standing %+v, want 17,000 frozen", s)
		}
	}
	// The case's endpoints.csv carries each freeze target's state.
	rows, err := csv.NewReader(bytes.NewReader(files["case/endpoints.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	got, frozenTx := map[string]string{}, map[string]string{}
	for _, row := range rows[1:] {
		got[row[col["address"]]] = row[col["state"]] + "/" + row[col["freeze_status"]] + "/" + row[col["balance_base"]]
		frozenTx[row[col["address"]]] = row[col["frozen_tx"]] + " " + row[col["frozen_time_utc"]]
	}
	if w := chains.Ethereum.FormatTx(txh("freeze")) + " 2024-03-20T14:03:00Z"; frozenTx[heldE.String()] != w {
		t.Errorf("endpoints.csv %s: frozen_tx and time %q, want %q", heldE, frozenTx[heldE.String()], w)
	}
	for a, w := range map[chains.Address]string{heldE: "frozen/frozen/17000000000", heldT: "empty/not_frozen/0", depBnE: "empty/not_read/0",
		tornE: "//"} {
		if got[a.String()] != w {
			t.Errorf("endpoints.csv %s: state/freeze/balance %q, want %q", a, got[a.String()], w)
		}
	}
}

// TestNoHoldings: a trace.json with freeze targets and no holdings gets a
// visible warning in every letter that has freeze targets and in the
// overview, and no state line pretends to know.
func TestNoHoldings(t *testing.T) {
	files, sum := render(t, withHoldings(), FormatMarkdown, FormatHTML)
	title := "**" + english.WarningCodes[WarnHoldingsNotRead] + ":** " + english.HoldingsNotRead
	for _, rc := range sum.Recipients {
		if !rc.Letter {
			t.Errorf("%s gets no letter though nothing is known of its addresses", rc.Slug)
		}
		md := string(files[rc.Slug+"/letter.md"])
		if !strings.Contains(section(md, "## "+english.WarningsHeading), title) {
			t.Errorf("%s letter does not warn that balances were not read", rc.Slug)
		}
		for _, bad := range []string{" traced) at block", " traced) as of the end of the data"} {
			if strings.Contains(md, bad) {
				t.Errorf("%s letter states a balance (%q) it never read", rc.Slug, bad)
			}
		}
		if !strings.Contains(string(files[rc.Slug+"/letter.html"]), english.WarningCodes[WarnHoldingsNotRead]) {
			t.Errorf("%s letter.html does not warn", rc.Slug)
		}
	}
	if !strings.Contains(string(files["overview.md"]), title) {
		t.Errorf("overview.md does not warn that balances were not read")
	}
	if want := "Balances and freeze status were not read: the trace file records none"; !strings.Contains(strings.ReplaceAll(string(files["overview.md"]), "**", ""), want) {
		t.Errorf("overview.md lacks %q", want)
	}
}

// TestHoldingText: text in a holding that came from outside (a source's
// error, a label list named in a freeze note) is escaped in every format.
func TestHoldingText(t *testing.T) {
	f := frozenE()
	f.Freeze.Note = `listed as frozen by <script>alert(1)</script>`
	h := held(true, nil)
	h.Warnings = []string{"=HYPERLINK(\"http://x\") <img src=x onerror=alert(1)>\x1b[31m"}
	files, _ := render(t, withHoldings(f, h))
	md := string(files["issuer-tether/letter.md"])
	if !strings.Contains(md, `Detail: listed as frozen by \<script\>alert(1)\</script\>.`) || strings.Contains(md, "\x1b") {
		t.Errorf("letter.md does not show the freeze note escaped")
	}
	if !strings.Contains(md, `\<img src=x onerror=alert(1)\>`) {
		t.Errorf("letter.md does not show the source's warning escaped")
	}
	html := string(files["issuer-tether/letter.html"])
	if strings.Contains(html, "<script") || strings.Contains(html, "<img") || !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("letter.html does not escape the holding's text")
	}
	rows, err := csv.NewReader(bytes.NewReader(files["case/endpoints.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		for _, c := range row {
			if formulaLike(c) {
				t.Errorf("endpoints.csv cell %q would be read as a formula", c)
			}
		}
	}
	if text := extractPDFText(t, files["issuer-tether/letter.pdf"]); strings.Contains(text, "\x1b") || !strings.Contains(text, "<script>") {
		t.Errorf("letter.pdf does not show the freeze note as clean text")
	}
	if !json.Valid(files["case/report.json"]) || strings.Contains(string(files["case/report.json"]), "<script") {
		t.Errorf("report.json carries the note unescaped")
	}
}
