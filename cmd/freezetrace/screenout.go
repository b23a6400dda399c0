package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace/screen"
)

// ScreenSchema is the version of screen's JSON and NDJSON layout.
const ScreenSchema = "freezetrace.screen/v1"

// screenWriter writes results as they come.
type screenWriter interface {
	write(screen.Result) error
	end(screenTally) error
	abort() // flush what was written, mark nothing complete
}

func newScreenWriter(format string, w io.Writer, sc *screening) (screenWriter, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	switch format {
	case "csv":
		cw := csv.NewWriter(bw)
		if err := cw.Write(screenCSVHeader); err != nil {
			return nil, err
		}
		return &screenCSV{bw: bw, w: cw, sc: sc}, nil
	case "json":
		return &screenJSON{bw: bw, sc: sc}, nil
	case "ndjson":
		return &screenJSON{bw: bw, sc: sc, nd: true}, nil
	}
	return &screenTable{bw: bw, sc: sc}, nil
}

// The table: one line per address, its strongest exposure and the path's
// first transaction; the full paths are in the other formats.
type screenTable struct {
	bw   *bufio.Writer
	sc   *screening
	head bool
}

func (t *screenTable) write(r screen.Result) error {
	if !t.head {
		t.head = true
		fmt.Fprintf(t.bw, "%-8s %6s  %-42s  %s\n", "LEVEL", "SCORE", "ADDRESS", "WHY")
	}
	fmt.Fprintf(t.bw, "%-8s %6s  %-42s  %s\n", r.Level, score(r.Score), addrText(r.Address), untrusted.Line(t.sc.why(r)))
	return nil
}

func (t *screenTable) end(screenTally) error { return t.bw.Flush() }
func (t *screenTable) abort()                { t.bw.Flush() }

// why is one line saying what made a result's level.
func (sc *screening) why(r screen.Result) string {
	var parts []string
	for _, h := range r.Direct {
		parts = append(parts, fmt.Sprintf("%s %s", h.Category, hitName(h)))
	}
	for i, e := range r.Exposure {
		if i == 2 {
			parts = append(parts, fmt.Sprintf("+%d more", len(r.Exposure)-2))
			break
		}
		parts = append(parts, sc.exposureText(r.Chain, e))
	}
	if len(parts) == 0 {
		for _, h := range r.Labels {
			parts = append(parts, fmt.Sprintf("%s %q", h.Category, h.Entity))
		}
	}
	s := strings.Join(parts, "; ")
	d := fmt.Sprintf("%s in blocks %d-%d", plural(r.Data.Transfers, "transfer"), r.Data.From, r.Data.To)
	if r.Data.Transfers == 0 {
		d = fmt.Sprintf("no transfer in blocks %d-%d", r.Data.From, r.Data.To)
	}
	if s == "" {
		return d
	}
	out := s + " [" + d + "]"
	for _, n := range r.Notes {
		out += "; " + n
	}
	return out
}

// exposureText is "sanctioned in 2 hops: 1,200.00 USDT from OFAC (…) via 0x… tx 0x…".
func (sc *screening) exposureText(c chains.Chain, e screen.Exposure) string {
	var amts []string
	for _, a := range e.Amounts {
		amts = append(amts, sc.amount(a))
	}
	dir := "from"
	if e.Side == screen.Out {
		dir = "to"
	}
	s := fmt.Sprintf("%s %s %s: %s %s %s at %s", e.Category, e.Side, plural(e.Hops, "hop"), strings.Join(amts, " + "), dir, hitName(e.Hit), addrText(e.HitAddress))
	if len(e.Path) > 0 {
		s += " (first tx " + c.FormatTx(e.Path[0].Tx) + ")"
	}
	return s
}

// hitName is `"Entity" (source)`, or the source alone when the list names
// no entity.
func hitName(h screen.Hit) string {
	if h.Entity == "" {
		return "(" + h.Source + ")"
	}
	return fmt.Sprintf("%q (%s)", h.Entity, h.Source)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func score(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// The CSV: one row per address; exposure and paths in compact text cells,
// cells escaped against formula injection.
var screenCSVHeader = []string{"chain", "address", "line", "level", "score", "direct", "labels", "exposure",
	"nearest_category", "nearest_side", "nearest_hops", "nearest_hit", "nearest_path", "transfers", "first_block", "last_block",
	"window_from", "window_to", "covered", "notes"}

type screenCSV struct {
	bw *bufio.Writer
	w  *csv.Writer
	sc *screening
}

func (s *screenCSV) write(r screen.Result) error {
	hits := func(hs []screen.Hit) string {
		var out []string
		for _, h := range hs {
			out = append(out, fmt.Sprintf("%s:%s (%s, %d)", h.Category, h.Entity, h.Source, h.Confidence))
		}
		return strings.Join(out, "; ")
	}
	var exps []string
	for _, e := range r.Exposure {
		exps = append(exps, s.sc.exposureText(r.Chain, e))
	}
	row := []string{string(r.Chain), addrText(r.Address), lineCell(r.Line), string(r.Level), score(r.Score),
		hits(r.Direct), hits(r.Labels), strings.Join(exps, " | "), "", "", "", "", "",
		strconv.Itoa(r.Data.Transfers), blockCell(r.Data.First), blockCell(r.Data.Last),
		strconv.FormatUint(r.Data.From, 10), strconv.FormatUint(r.Data.To, 10), ranges(r.Data.Covered), strings.Join(r.Notes, "; ")}
	if len(r.Exposure) > 0 {
		e := r.Exposure[0]
		var path []string
		for _, st := range e.Path {
			path = append(path, fmt.Sprintf("%s>%s %s", addrText(st.From), addrText(st.To), r.Chain.FormatTx(st.Tx)))
		}
		row[8], row[9], row[10], row[11], row[12] = string(e.Category), string(e.Side), strconv.Itoa(e.Hops), addrText(e.HitAddress), strings.Join(path, "; ")
	}
	for i := range row {
		row[i] = untrusted.CellText(row[i])
	}
	return s.w.Write(row)
}

func lineCell(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func blockCell(n uint64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 10)
}

func ranges(rs []screen.BlockRange) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d-%d", r.From, r.To))
	}
	return strings.Join(out, " ")
}

func (s *screenCSV) end(screenTally) error {
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return err
	}
	return s.bw.Flush()
}

func (s *screenCSV) abort() { s.w.Flush(); s.bw.Flush() }

// JSON: one document, {"schema", "params", "assets", "results": […],
// "summary"}, written as results come; NDJSON: one result per line.
type screenJSON struct {
	bw    *bufio.Writer
	sc    *screening
	nd    bool
	begun bool
	n     int
}

func (s *screenJSON) write(r screen.Result) error {
	w := untrusted.JSONWriter(s.bw)
	if !s.nd {
		if !s.begun {
			s.begun = true
			fmt.Fprintf(s.bw, "{\n\"schema\": %q,\n\"results\": [\n", ScreenSchema)
		}
		if s.n > 0 {
			io.WriteString(s.bw, ",\n")
		}
	}
	s.n++
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	if s.nd {
		return s.bw.WriteByte('\n')
	}
	return nil
}

// screenParams are what a JSON document says it ran with.
type screenParams struct {
	Hops      int              `json:"hops"`
	Direction screen.Direction `json:"direction"`
	MaxDegree int              `json:"max_degree"`
	Policy    screen.Policy    `json:"policy"`
	Chains    []screenChain    `json:"chains"`
}

type screenChain struct {
	Chain      chains.Chain        `json:"chain"`
	From       uint64              `json:"from_block"`
	To         uint64              `json:"to_block"`
	Assets     []chains.Asset      `json:"assets"`
	Provenance []chains.Provenance `json:"provenance"`
}

func (s *screenJSON) end(t screenTally) error {
	if s.nd {
		return s.bw.Flush()
	}
	if !s.begun {
		fmt.Fprintf(s.bw, "{\n\"schema\": %q,\n\"results\": [\n", ScreenSchema)
	}
	p := screenParams{Hops: s.sc.o.Hops, Direction: s.sc.o.Direction, MaxDegree: s.sc.o.MaxDegree, Policy: s.sc.o.Policy, Chains: []screenChain{}}
	for _, c := range s.sc.order {
		cs := s.sc.byChain[c]
		p.Chains = append(p.Chains, screenChain{Chain: c, From: cs.from, To: cs.to, Assets: cs.assets, Provenance: cs.prov})
	}
	counts := map[string]int{}
	for _, l := range append(screen.Levels, screen.LevelUnknown) {
		counts[string(l)] = t.levels[l]
	}
	tail := struct {
		Params  screenParams   `json:"params"`
		Summary map[string]int `json:"levels"`
		Total   int            `json:"total"`
	}{p, counts, t.total}
	b, err := json.Marshal(tail)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.bw, "\n],\n%s\n", strings.TrimPrefix(string(untrusted.JSON(b)), "{"))
	return s.bw.Flush()
}

func (s *screenJSON) abort() { s.bw.Flush() }

// screenProgress counts screened addresses on a terminal's stderr.
type screenProgress struct{ bar *progressbar.ProgressBar }

func newScreenProgress(stderr io.Writer) *screenProgress {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &screenProgress{}
	}
	return &screenProgress{bar: progressbar.NewOptions64(-1, progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("screening"), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("addresses"), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(200*time.Millisecond))}
}

func (p *screenProgress) add(n int) {
	if p.bar != nil {
		p.bar.Add(n)
	}
}

func (p *screenProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar.Clear() // a spinner (no total) is not cleared by Finish
		p.bar = nil
	}
}

func addrText(a chains.Address) string { return a.String() }
