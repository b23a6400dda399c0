package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/trace/screen"
)

// The screening scene. Every transfer is USDT, in base units, except the
// case's (tx17-tx20), in whole USDT; tx n is at block 20,000,000+n.
//
//	S (OFAC) ─tx1 3,000─┐
//	C ───────tx2 7,000─ X ─tx3 4,000─ D (deposit "Binance") ─tx4─ H (exchange "Binance")
//	S ─tx5 500─ H ─tx6 100─ A1
//	S ─tx7 1,000─ B ─tx13 600─ A2      P1…P5 ─tx8…tx12 100 each─ B
//	F ─tx14 2,500─ W ─tx15 2,000─ I ─tx16 2,000─ M (mixer "Tornado Cash")
//	G ─tx17 2,000─ P ─tx18 2,000─ Q;   V ─tx19 5,000─ P ─tx20 5,000─ R   (the case: V's payment tx19)
//	U: nowhere.
var (
	scrS, scrX, scrC, scrD, scrH = scrAddr(1), scrAddr(2), scrAddr(3), scrAddr(4), scrAddr(5)
	scrA1, scrB, scrA2           = scrAddr(6), scrAddr(7), scrAddr(8)
	scrF, scrW, scrI, scrM       = scrAddr(14), scrAddr(15), scrAddr(16), scrAddr(17)
	scrG, scrP, scrQ, scrV, scrR = scrAddr(20), scrAddr(21), scrAddr(22), scrAddr(23), scrAddr(24)
	scrU                         = scrAddr(99)
	scrUSDT                      = chains.USDTEthereum
)

func scrAddr(n int) chains.Address { return chains.MustParseAddress(fmt.Sprintf("0x5c%038x", n)) }
func scrTx(n int) chains.TxHash    { return chains.MustParseTxHash(fmt.Sprintf("0x%064x", 0x5c00+n)) }

// scrTransfer is one row of an ethereum-etl token_transfers file.
type scrTransfer struct {
	tx       int
	token    chains.AssetID
	from, to chains.Address
	value    int
}

func scrTransfers() []scrTransfer {
	ts := []scrTransfer{
		{1, scrUSDT, scrS, scrX, 3000}, {2, scrUSDT, scrC, scrX, 7000}, {3, scrUSDT, scrX, scrD, 4000}, {4, scrUSDT, scrD, scrH, 4000},
		{5, scrUSDT, scrS, scrH, 500}, {6, scrUSDT, scrH, scrA1, 100},
		{7, scrUSDT, scrS, scrB, 1000}, {13, scrUSDT, scrB, scrA2, 600},
		{14, scrUSDT, scrF, scrW, 2500}, {15, scrUSDT, scrW, scrI, 2000}, {16, scrUSDT, scrI, scrM, 2000},
		{17, scrUSDT, scrG, scrP, 2000e6}, {18, scrUSDT, scrP, scrQ, 2000e6}, {19, scrUSDT, scrV, scrP, 5000e6}, {20, scrUSDT, scrP, scrR, 5000e6},
	}
	for i := range 5 { // P1…P5 pay B: with S and A2, B has 7 counterparties
		ts = append(ts, scrTransfer{8 + i, scrUSDT, scrAddr(9 + i), scrB, 100})
	}
	return ts
}

// scrLastBlock is the newest block of scrTransfers: the window's end.
const scrLastBlock = 20_000_020

// scrTransfersCSV writes ts as an ethereum-etl token_transfers file.
func scrTransfersCSV(t *testing.T, ts []scrTransfer) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n")
	for _, x := range ts {
		fmt.Fprintf(&b, "%s,%s,%s,%d,%s,0,%d\n", strings.ToLower(x.token.Contract.String()), strings.ToLower(x.from.String()),
			strings.ToLower(x.to.String()), x.value, scrTx(x.tx), 20_000_000+x.tx)
	}
	return writeTemp(t, "token_transfers.csv", b.String())
}

// screenDB imports the scene and its labels into a new database.
func screenDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "ft.db")
	if code, _, errOut := runCLI(t, "import", "--db", db, "--chain", "ethereum", "--format", "etl-token-transfers", scrTransfersCSV(t, scrTransfers())); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	labels := writeTemp(t, "labels.csv", "chain,address,entity,category,source\n"+
		"ethereum,"+scrS.String()+",Lazarus Group,sanctioned,OFAC SDN\n"+
		"ethereum,"+scrD.String()+",Binance,deposit,exchange records\n"+
		"ethereum,"+scrH.String()+",Binance,exchange,test pack\n"+
		"ethereum,"+scrM.String()+",Tornado Cash,mixer,test pack\n")
	if code, _, errOut := runCLI(t, "labels", "import", "--db", db, "--format", "csv", labels); code != 0 {
		t.Fatalf("labels import: exit %d: %s", code, errOut)
	}
	return db
}

// screenDoc is the JSON document of `screen --format json`.
type screenDoc struct {
	Schema  string          `json:"schema"`
	Results []screen.Result `json:"results"`
	Params  struct {
		Hops      int              `json:"hops"`
		Direction screen.Direction `json:"direction"`
		MaxDegree int              `json:"max_degree"`
		Policy    screen.Policy    `json:"policy"`
		Chains    []struct {
			Chain      chains.Chain        `json:"chain"`
			From       uint64              `json:"from_block"`
			To         uint64              `json:"to_block"`
			Assets     []chains.Asset      `json:"assets"`
			Provenance []chains.Provenance `json:"provenance"`
		} `json:"chains"`
	} `json:"params"`
	Levels map[string]int `json:"levels"`
	Total  int            `json:"total"`
}

// screenDocOf runs `screen --db db --format json args…` and decodes the
// document, one result per address wanted.
func screenDocOf(t *testing.T, db string, n int, args ...string) (int, screenDoc) {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"screen", "--db", db, "--format", "json"}, args...)...)
	var doc screenDoc
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("screen %v: exit %d, %v:\n%s\nstderr: %s", args, code, err, out, errOut)
	}
	if len(doc.Results) != n {
		t.Fatalf("screen %v: %d results, want %d:\n%s", args, len(doc.Results), n, out)
	}
	return code, doc
}

// expText is an exposure in one line: category/side/hops, its amounts, the
// path's transactions and the hit address.
func expText(e screen.Exposure) string {
	var amts, txs []string
	for _, a := range e.Amounts {
		amts = append(amts, a.Amount.String()+" "+a.Asset.String())
	}
	for _, s := range e.Path {
		txs = append(txs, s.Tx.String())
	}
	return fmt.Sprintf("%s/%s/%d amounts [%s] path [%s] hit %s", e.Category, e.Side, e.Hops, strings.Join(amts, ", "), strings.Join(txs, " "), e.HitAddress)
}

// wantExp is expText of a USDT exposure with amount, the hit at hit and
// the path through transactions txs.
func wantExp(cat chains.Category, side screen.Side, hops int, amount string, hit chains.Address, txs ...int) string {
	e := screen.Exposure{Category: cat, Side: side, Hops: hops, HitAddress: hit,
		Amounts: []screen.AssetAmount{{Asset: scrUSDT, Amount: chains.MustParseAmount(amount)}}}
	for _, n := range txs {
		e.Path = append(e.Path, screen.Step{Tx: scrTx(n)})
	}
	return expText(e)
}

// checkResult checks a result's address, level and exposures (wantExp).
func checkResult(t *testing.T, r screen.Result, addr chains.Address, level screen.Level, exps ...string) {
	t.Helper()
	if r.Address != addr || r.Level != level {
		t.Errorf("got %s level %s, want %s level %s", r.Address, r.Level, addr, level)
	}
	var got []string
	for _, e := range r.Exposure {
		got = append(got, expText(e))
	}
	if !reflect.DeepEqual(got, exps) {
		t.Errorf("%s: exposure\n got %q\nwant %q", addr, got, exps)
	}
}

func TestScreenSanctionedDeposit(t *testing.T) {
	db := screenDB(t)
	code, doc := screenDocOf(t, db, 1, scrD.String())
	if code != 0 {
		t.Fatalf("exit %d, want 0: medium is below the default --fail-on high", code)
	}
	r := doc.Results[0]
	// 4,000 × 3,000 / 10,000: X's share from S of all X received.
	checkResult(t, r, scrD, screen.LevelMedium, wantExp(chains.CategorySanctioned, screen.In, 2, "1200", scrS, 3, 1))
	if r.Score != 25 || len(r.Direct) != 0 {
		t.Errorf("score %v, direct %v; want 25 (100 × 0.5²), none", r.Score, r.Direct)
	}
	if e := r.Exposure[0]; e.Hit.Entity != "Lazarus Group" || e.Hit.Source != "OFAC SDN" || e.Path[0].From != scrX || e.Path[1].From != scrS || e.Path[0].Amount.String() != "4000" {
		t.Errorf("hit %+v, path %+v", e.Hit, e.Path)
	}
	if len(r.Labels) != 1 || r.Labels[0].Category != chains.CategoryDeposit || r.Labels[0].Entity != "Binance" {
		t.Errorf("labels %+v, want deposit Binance", r.Labels)
	}
	if d := r.Data; d.Transfers != 2 || d.First != 20_000_003 || d.Last != 20_000_004 || d.From != 0 || d.To != scrLastBlock {
		t.Errorf("data %+v: want 2 transfers in blocks 20000003-20000004, window 0-%d", d, scrLastBlock)
	}
	if code, _ := screenDocOf(t, db, 1, "--fail-on", "medium", scrD.String()); code != exitFound {
		t.Errorf("--fail-on medium: exit %d, want %d", code, exitFound)
	}
}

func TestScreenCases(t *testing.T) {
	db := screenDB(t)
	dir := filepath.Join(t.TempDir(), "case-17")
	if code, _, errOut := runCLI(t, "trace", "--db", db, "--offline", "--victim-tx", scrTx(19).String(), "--out", dir); code != 0 {
		t.Fatalf("trace: exit %d: %s", code, errOut)
	}
	// Q was paid by the pool P before the victim's money arrived: the trace
	// does not reach it, screening (over the window's totals) does.
	code, doc := screenDocOf(t, db, 2, "--cases", "CASE-17="+dir, scrQ.String(), scrR.String())
	if code != exitFound {
		t.Errorf("exit %d, want %d: R holds the case's taint (severe)", code, exitFound)
	}
	q, r := doc.Results[0], doc.Results[1]
	checkResult(t, q, scrQ, screen.LevelMedium, wantExp(screen.CategoryCase, screen.In, 1, "2000000000", scrP, 18))
	if h := q.Exposure[0].Hit; h.Entity != "CASE-17" || h.Category != screen.CategoryCase || h.Source != "received 5,000.00 USDT of the case's taint" {
		t.Errorf("Q's hit %+v: want case CASE-17, received 5,000.00 USDT", h)
	}
	checkResult(t, r, scrR, screen.LevelSevere, wantExp(screen.CategoryCase, screen.In, 1, "5000000000", scrP, 20))
	if len(r.Direct) != 1 || r.Direct[0].Entity != "CASE-17" || r.Direct[0].Category != screen.CategoryCase || r.Direct[0].Source != "received 5,000.00 USDT of the case's taint" {
		t.Errorf("R's direct hits %+v: want its own case hit", r.Direct)
	}
	t.Run("RefIsFolderName", func(t *testing.T) {
		_, doc := screenDocOf(t, db, 1, "--cases", dir, scrQ.String())
		if e := doc.Results[0].Exposure; len(e) != 1 || e[0].Hit.Entity != "case-17" {
			t.Errorf("exposure %+v: want the case named after its folder", e)
		}
	})
}

// The walk stops at services and at busy addresses.
func TestScreenStops(t *testing.T) {
	db := screenDB(t)
	for _, tc := range []struct {
		name  string
		addr  chains.Address
		args  []string
		level screen.Level
		exps  []string
	}{
		{"ThroughHotWallet", scrA1, nil, screen.LevelNone, nil},
		{"ThroughBusyAddress", scrA2, []string{"--max-degree", "5"}, screen.LevelNone, nil},
		// 600 × 1,000 / 1,500.
		{"BusyAddressWalked", scrA2, []string{"--max-degree", "-1"}, screen.LevelMedium,
			[]string{wantExp(chains.CategorySanctioned, screen.In, 2, "400", scrS, 13, 7)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, doc := screenDocOf(t, db, 1, append(tc.args, tc.addr.String())...)
			checkResult(t, doc.Results[0], tc.addr, tc.level, tc.exps...)
			if code != 0 || doc.Results[0].Data.Transfers != 1 {
				t.Errorf("exit %d, %d transfers; want 0, 1", code, doc.Results[0].Data.Transfers)
			}
		})
	}
}

func TestScreenUnknownIsNotClean(t *testing.T) {
	db := screenDB(t)
	for _, tc := range []struct {
		name  string
		args  []string
		level screen.Level
		code  int
	}{
		{"Unknown", []string{scrU.String()}, screen.LevelUnknown, exitUnknown},
		{"UnknownOK", []string{"--unknown-ok", scrU.String()}, screen.LevelUnknown, 0},
		{"Clean", []string{scrC.String()}, screen.LevelNone, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, doc := screenDocOf(t, db, 1, tc.args...)
			r := doc.Results[0]
			if code != tc.code || r.Level != tc.level || len(r.Exposure) != 0 || r.Score != 0 {
				t.Errorf("exit %d, level %s, exposure %v, score %v; want exit %d, level %s, nothing", code, r.Level, r.Exposure, r.Score, tc.code, tc.level)
			}
			if wantN := map[screen.Level]int{screen.LevelUnknown: 0, screen.LevelNone: 1}[tc.level]; r.Data.Transfers != wantN {
				t.Errorf("%d transfers, want %d", r.Data.Transfers, wantN)
			}
		})
	}
}

func TestScreenFormats(t *testing.T) {
	db := screenDB(t)
	list := writeTemp(t, "list.txt", scrD.String()+"\n"+scrC.String()+"\n"+scrU.String()+"\n")
	addrs, levels := []chains.Address{scrD, scrC, scrU}, []screen.Level{screen.LevelMedium, screen.LevelNone, screen.LevelUnknown}
	run := func(t *testing.T, format string) string {
		t.Helper()
		code, out, errOut := runCLI(t, "screen", "--db", db, "--unknown-ok", "--format", format, "--file", list)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if want := "Screened 3 addresses in "; !strings.HasPrefix(errOut, want) || !strings.Contains(errOut, "severe 0, high 0, medium 1, low 0, none 1, unknown 1.") {
			t.Errorf("summary %q", errOut)
		}
		return out
	}
	t.Run("CSV", func(t *testing.T) {
		rows, err := csv.NewReader(strings.NewReader(run(t, "csv"))).ReadAll()
		if err != nil || len(rows) != 4 {
			t.Fatalf("%d rows, %v; want a header and 3", len(rows), err)
		}
		if !reflect.DeepEqual(rows[0], screenCSVHeader) {
			t.Errorf("header %q", rows[0])
		}
		col := func(row []string, name string) string {
			for i, h := range rows[0] {
				if h == name {
					return row[i]
				}
			}
			t.Fatalf("no column %q", name)
			return ""
		}
		for i, row := range rows[1:] {
			got := []string{col(row, "chain"), col(row, "address"), col(row, "line"), col(row, "level")}
			if want := []string{"ethereum", addrs[i].String(), fmt.Sprint(i + 1), string(levels[i])}; !reflect.DeepEqual(got, want) {
				t.Errorf("row %d: %q, want %q", i+1, got, want)
			}
		}
		d := rows[1]
		got := []string{col(d, "score"), col(d, "nearest_category"), col(d, "nearest_side"), col(d, "nearest_hops"), col(d, "nearest_hit"), col(d, "nearest_path"), col(d, "transfers")}
		want := []string{"25", "sanctioned", "in", "2", scrS.String(),
			fmt.Sprintf("%s>%s %s; %s>%s %s", scrX, scrD, scrTx(3), scrS, scrX, scrTx(1)), "2"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("D's row:\n got %q\nwant %q", got, want)
		}
	})
	t.Run("NDJSON", func(t *testing.T) {
		lines := strings.Split(strings.TrimSuffix(run(t, "ndjson"), "\n"), "\n")
		if len(lines) != 3 {
			t.Fatalf("%d lines, want 3", len(lines))
		}
		for i, l := range lines {
			var r screen.Result
			dec := json.NewDecoder(strings.NewReader(l))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("line %d: %v: %s", i+1, err, l)
			}
			if r.Address != addrs[i] || r.Level != levels[i] || r.Line != i+1 || r.Chain != chains.Ethereum {
				t.Errorf("line %d: %s %s line %d on %s", i+1, r.Address, r.Level, r.Line, r.Chain)
			}
		}
	})
	t.Run("JSON", func(t *testing.T) {
		var doc screenDoc
		if err := json.Unmarshal([]byte(run(t, "json")), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Schema != "freezetrace.screen/v1" || doc.Total != 3 || len(doc.Results) != 3 {
			t.Fatalf("schema %q, total %d, %d results", doc.Schema, doc.Total, len(doc.Results))
		}
		for i, r := range doc.Results {
			if r.Address != addrs[i] || r.Level != levels[i] || r.Line != i+1 {
				t.Errorf("result %d: %s %s line %d", i, r.Address, r.Level, r.Line)
			}
		}
		if want := map[string]int{"none": 1, "low": 0, "medium": 1, "high": 0, "severe": 0, "unknown": 1}; !reflect.DeepEqual(doc.Levels, want) {
			t.Errorf("levels %v, want %v", doc.Levels, want)
		}
		p := doc.Params
		if p.Hops != 3 || p.Direction != screen.DirBoth || p.MaxDegree != 300 || p.Policy.Source != "built-in" || p.Policy.Decay != 0.5 {
			t.Errorf("params %+v", p)
		}
		if len(p.Chains) != 1 || p.Chains[0].Chain != chains.Ethereum || p.Chains[0].From != 0 || p.Chains[0].To != scrLastBlock ||
			len(p.Chains[0].Assets) != 1 || p.Chains[0].Assets[0].ID != scrUSDT {
			t.Errorf("chains %+v: want ethereum 0-%d, USDT", p.Chains, scrLastBlock)
		}
	})
	t.Run("Table", func(t *testing.T) {
		lines := strings.Split(strings.TrimSuffix(run(t, "table"), "\n"), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "LEVEL") {
			t.Fatalf("want a header and 3 lines:\n%s", strings.Join(lines, "\n"))
		}
		for i, l := range lines[1:] {
			if f := strings.Fields(l); len(f) < 3 || f[0] != string(levels[i]) || f[2] != addrs[i].String() {
				t.Errorf("line %d: %q, want level %s and address %s", i+1, l, levels[i], addrs[i])
			}
		}
		if !strings.Contains(lines[1], fmt.Sprintf("sanctioned in 2 hops: 1200 base units of %s from \"Lazarus Group\" (OFAC SDN) at %s (first tx %s)", scrUSDT, scrS, scrTx(3))) {
			t.Errorf("D's line says not why: %q", lines[1])
		}
	})
}

// screenLines runs screen with stdin and --format ndjson; it returns the
// input lines and addresses of the results.
func screenLines(t *testing.T, db, stdin string, args ...string) (lines []int, addrs []chains.Address) {
	t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"freezetrace", "screen", "--db", db, "--format", "ndjson"}, args...)
	if code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errb.String())
	}
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var r screen.Result
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		lines, addrs = append(lines, r.Line), append(addrs, r.Address)
	}
	return lines, addrs
}

func TestScreenInput(t *testing.T) {
	db := screenDB(t)
	d, c := scrD.String(), scrC.String()
	for _, tc := range []struct {
		name, stdin string
		args        []string
		lines       []int
	}{
		{"List", "", []string{"--file", writeTemp(t, "l.txt", "\ufeff# customers\n\n"+d+"\n  # closed\n"+strings.ToLower(c)+"\n\n")}, []int{3, 5}},
		{"CSV", "", []string{"--file", writeTemp(t, "l.csv", "Chain,Address,note\nethereum,"+d+",a\nethereum,"+c+",\"b,\"\"c\"\"\"\n")}, []int{2, 3}},
		{"StdinDash", d + "\n" + c + "\n", []string{"-"}, []int{1, 2}},
		{"StdinFile", "\n" + d + "\n" + c, []string{"--file", "-"}, []int{2, 3}},
		{"Args", "", []string{d, c}, []int{0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines, addrs := screenLines(t, db, tc.stdin, tc.args...)
			if !reflect.DeepEqual(lines, tc.lines) || !reflect.DeepEqual(addrs, []chains.Address{scrD, scrC}) {
				t.Errorf("got lines %v of %v, want lines %v of D, C", lines, addrs, tc.lines)
			}
		})
	}
}

func TestScreenBadInput(t *testing.T) {
	db := screenDB(t)
	d := scrD.String()
	tron := "TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9"
	for _, tc := range []struct {
		name, body, want string
		before           bool // an address comes before the bad line
	}{
		{"MalformedAddress", "# list\n" + d + "\n0xnothex\n", ":3: ", true},
		{"NoAddressColumn", "chain,wallet\nethereum," + d + "\n", ":1: CSV header \"chain,wallet\" has no address column", false},
		{"LongLine", d + "\n" + strings.Repeat("a", 70_000) + "\n", ":2: line longer than 65536 bytes", true},
		{"WrongFieldCount", "chain,address\nethereum," + d + "\nethereum," + d + ",x\n", ":3: wrong number of fields", true},
		{"UnknownChain", "chain,address\ndogecoin," + d + "\n", `:2: chain "dogecoin"`, false},
		{"TronOnEthereum", "chain,address\nethereum," + tron + "\n", ":2: \"" + tron + "\" is not an address of ethereum", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := writeTemp(t, "list", tc.body)
			code, out, errOut := runCLI(t, "screen", "--db", db, "--format", "json", "--file", f)
			// The addresses before the bad line are screened and written
			// (the document is left unfinished); nothing after it.
			if code != exitUsage || (out != "") != tc.before || (tc.before && (strings.Count(out, `"address":"`+d) != 1 || strings.Contains(out, `"levels"`))) {
				t.Fatalf("exit %d, stdout %q; want %d, and only the row before the bad line, the document unfinished (%v)", code, out, exitUsage, tc.before)
			}
			msg := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if len(msg) != 1 || !strings.HasPrefix(msg[0], "freezetrace: "+f+":") || !strings.Contains(msg[0], f+tc.want) {
				t.Errorf("stderr %q: want one line naming %s%s", errOut, f, tc.want)
			}
		})
	}
}

func TestScreenBadFlags(t *testing.T) {
	db := screenDB(t)
	d := scrD.String()
	unknownKey := writeTemp(t, "p1.yaml", "weights: {sanctioned: 100}\ndecay: 0.5\nlevels: {low: 10, medium: 25, high: 50, severe: 90}\ncolour: red\n")
	notRising := writeTemp(t, "p2.yaml", "weights: {sanctioned: 100}\ndecay: 0.5\nlevels: {low: 10, medium: 60, high: 50, severe: 90}\n")
	missing := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"Hops0", []string{"--hops", "0", d}, "--hops 0: want 1 to 10"},
		{"Direction", []string{"--direction", "sideways", d}, `--direction "sideways": want in, out or both`},
		{"Format", []string{"--format", "xml", d}, `--format "xml": want table, csv, json or ndjson`},
		{"FailOn", []string{"--fail-on", "nope", d}, `--fail-on "nope": want low, medium, high or severe`},
		{"PolicyUnknownKey", []string{"--policy", unknownKey, d}, "line 4: unknown key colour (known: weights, decay, levels)"},
		{"PolicyNotRising", []string{"--policy", notRising, d}, notRising + ": levels: high (50) is not above medium (60)"},
		{"CasesMissing", []string{"--cases", "X=" + missing, d}, `--cases "X=` + missing + `": stat ` + missing},
		{"ArgsAndFile", []string{"--file", writeTemp(t, "l.txt", d+"\n"), d}, "give the addresses as arguments or with --file, not both"},
		{"NoAddress", nil, "screen: no address given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"screen", "--db", db}, tc.args...)...)
			if code != exitUsage || out != "" || !strings.HasPrefix(errOut, "freezetrace: ") || !strings.Contains(strings.SplitN(errOut, "\n", 2)[0], tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, first line naming %q", code, out, errOut, exitUsage, tc.want)
			}
		})
	}
}

func TestScreenDirectionOut(t *testing.T) {
	db := screenDB(t)
	_, doc := screenDocOf(t, db, 1, "--direction", "out", scrW.String())
	// 75 × 0.5²; W's 2,000 to I is all of what I sent, all of it to M.
	checkResult(t, doc.Results[0], scrW, screen.LevelLow, wantExp(chains.CategoryMixer, screen.Out, 2, "2000", scrM, 15, 16))
	if e := doc.Results[0].Exposure; len(e) == 1 && (e[0].Score != 18.75 || e[0].Hit.Entity != "Tornado Cash" || e[0].Path[0].To != scrI || e[0].Path[1].To != scrM) {
		t.Errorf("exposure %+v", e[0])
	}
	_, doc = screenDocOf(t, db, 1, "--direction", "in", scrW.String())
	checkResult(t, doc.Results[0], scrW, screen.LevelNone)
}

func TestScreenPolicy(t *testing.T) {
	db := screenDB(t)
	p := writeTemp(t, "policy.yaml", "weights:\n  sanctioned: 100\ndecay: 0.9\nlevels:\n  low: 10\n  medium: 25\n  high: 50\n  severe: 90\n")
	code, doc := screenDocOf(t, db, 1, "--policy", p, scrD.String())
	r := doc.Results[0]
	checkResult(t, r, scrD, screen.LevelHigh, wantExp(chains.CategorySanctioned, screen.In, 2, "1200", scrS, 3, 1))
	if code != exitFound || math.Abs(r.Score-81) > 1e-9 || doc.Params.Policy.Source != p {
		t.Errorf("exit %d, score %v, policy %q; want %d, 81 (100 × 0.9²), %s", code, r.Score, doc.Params.Policy.Source, exitFound, p)
	}
	t.Run("PrintPolicy", func(t *testing.T) {
		code, out, errOut := runCLI(t, "screen", "--print-policy")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		got, err := screen.ParsePolicy(strings.NewReader(out), "printed")
		if err != nil {
			t.Fatalf("the printed policy does not parse: %v", err)
		}
		want := screen.DefaultPolicy()
		want.Source = "printed"
		if !reflect.DeepEqual(got, want) {
			t.Errorf("printed policy %+v, want %+v", got, want)
		}
	})
}

// Above 8 assets the store filters assets instead of seeking each: the
// answer must not change.
func TestScreenManyAssets(t *testing.T) {
	db := screenDB(t)
	var ts []scrTransfer
	for i := range 10 { // S pays X 10 other tokens: X's USDT share is unchanged
		token := chains.AssetID{Chain: chains.Ethereum, Contract: chains.MustParseAddress(fmt.Sprintf("0x7e%038x", i+1))}
		ts = append(ts, scrTransfer{30 + i, token, scrS, scrX, 1000}, scrTransfer{40 + i, token, scrAddr(50 + i), scrAddr(60 + i), 1 + i})
	}
	if code, _, errOut := runCLI(t, "import", "--db", db, "--chain", "ethereum", "--format", "etl-token-transfers", scrTransfersCSV(t, ts)); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	_, all := screenDocOf(t, db, 1, scrD.String())
	_, one := screenDocOf(t, db, 1, "--asset", "usdt", scrD.String())
	if n, m := len(all.Params.Chains[0].Assets), len(one.Params.Chains[0].Assets); n != 11 || m != 1 {
		t.Fatalf("%d and %d assets screened, want 11 and 1", n, m)
	}
	checkResult(t, all.Results[0], scrD, screen.LevelMedium, wantExp(chains.CategorySanctioned, screen.In, 2, "1200", scrS, 3, 1))
	if !reflect.DeepEqual(all.Results[0], one.Results[0]) {
		t.Errorf("every asset:\n%+v\n--asset usdt:\n%+v", all.Results[0], one.Results[0])
	}
}
