package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// Format is one kind of output file.
type Format string

// The formats Write can produce.
const (
	FormatMarkdown Format = "md"
	FormatHTML     Format = "html"
	FormatPDF      Format = "pdf"
	FormatCSV      Format = "csv"
	FormatXLSX     Format = "xlsx"
	FormatJSON     Format = "json"
	FormatDOT      Format = "dot"
	FormatSVG      Format = "svg"
)

// Formats lists every format in a fixed order.
var Formats = []Format{FormatMarkdown, FormatHTML, FormatPDF, FormatCSV, FormatXLSX, FormatJSON, FormatDOT, FormatSVG}

// ParseFormats reads a comma-separated list of formats ("md,pdf,csv").
// An empty list means every format.
func ParseFormats(s string) ([]Format, error) {
	if strings.TrimSpace(s) == "" {
		return slices.Clone(Formats), nil
	}
	var out []Format
	for _, part := range strings.Split(s, ",") {
		f := Format(strings.ToLower(strings.TrimSpace(part)))
		if !slices.Contains(Formats, f) {
			names := make([]string, len(Formats))
			for i, k := range Formats {
				names[i] = string(k)
			}
			return nil, chains.Invalid(fmt.Errorf("unknown format %q (known: %s)", part, strings.Join(names, ",")))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// Options say what Write produces.
type Options struct {
	Formats []Format  // nil means every format
	At      time.Time // the generation time printed in every document
	// Directory names the recipients and says how to reach them; nil is
	// the built-in directory.
	Directory *Directory
}

// Summary is what Write did, for the CLI to print.
type Summary struct {
	// Recipients are every recipient, those that got no letter
	// (Recipient.Letter false, NoLetter saying why) included.
	Recipients []*Recipient
	Files      []string // every file written, relative to the output directory, sorted
	Warnings   []string // things the user should check, one sentence each
	// Checklist is what the case file lacks that recipients ask for
	// (Checklist): the "before you send" list.
	Checklist []string
}

// ManifestName is the file listing the SHA-256 of every other file.
const ManifestName = "MANIFEST.sha256"

// Schema is the version of the report JSON layout.
const Schema = "freezetrace.report/v1"

// LoadTrace reads a trace.json written by the trace command
// (trace.ReadJSON). A malformed file or one of another schema is an input
// error naming the file and, where there is one, the line: "path:3: …".
func LoadTrace(path string) (*trace.Result, error) {
	b, err := readInput("trace file", path)
	if err != nil {
		return nil, err
	}
	r, err := trace.ReadJSON(bytes.NewReader(b))
	var pe *trace.ParseError
	switch {
	case errors.As(err, &pe) && pe.Line > 0:
		return nil, chains.Invalid(fmt.Errorf("%s:%d: %w", path, pe.Line, pe.Err))
	case errors.As(err, &pe):
		return nil, chains.Invalid(fmt.Errorf("%s: %w", path, pe.Err))
	case err != nil:
		return nil, err
	}
	return r, nil
}

// maxInput bounds a trace or case file the user names.
const maxInput = 1 << 30

// readInput reads a file the user named (readBounded, up to maxInput); a
// missing file, a directory or one too large is an input error, other
// failures are the machine's.
func readInput(what, path string) ([]byte, error) { return readBounded(what, path, maxInput) }

// readBounded reads the file at path, refusing one larger than limit.
func readBounded(what, path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, chains.Invalid(fmt.Errorf("%s %s: %w", what, path, err))
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, chains.Invalid(fmt.Errorf("%s %s is a directory, not a file", what, path))
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, chains.Invalid(fmt.Errorf("%s: the %s is larger than %d MiB", path, what, limit>>20))
	}
	return b, nil
}

// Write renders every document for the trace and case (Render) and writes
// them as the folder dir, its parents created if needed, crash-safely: the
// files go into a temporary sibling, fsynced, MANIFEST.sha256 last, and the
// finished folder is renamed into place, replacing an earlier report only
// then (see atomic.go for what a crash at each step leaves). An existing
// dir must be empty or hold a report (every file listed by its manifest).
// A dir that cannot take a report is an OutputError, wrapped as an input
// error. Asked for PDF letters, Write writes the Markdown letters too: the
// PDF names them for any text it cuts short (pdfTextLimit).
//
// Once ctx is done Write returns its error at once, dir as it was and no
// temporary folder left; a Render still running is left to finish on its
// own and its result dropped.
func Write(ctx context.Context, r *trace.Result, c *CaseFile, dir string, opts Options) (*Summary, error) {
	out, err := openOut(dir)
	if err != nil {
		return nil, err
	}
	defer out.discard()
	if opts.Formats != nil && slices.Contains(opts.Formats, FormatPDF) && !slices.Contains(opts.Formats, FormatMarkdown) {
		opts.Formats = append(slices.Clone(opts.Formats), FormatMarkdown)
	}
	files, sum, err := renderUntilDone(ctx, r, c, opts)
	if err != nil {
		return nil, err
	}
	if err := out.fill(ctx, files); err != nil {
		return nil, err
	}
	if err := out.commit(); err != nil {
		return nil, err
	}
	return sum, nil
}

// renderMu is held by every render Write starts, until it ends: Graphviz
// (go-graphviz's WebAssembly module) is one per process, so renders must
// not overlap, and one that Write stopped waiting for runs on to its end.
var renderMu sync.Mutex

// renderUntilDone is Render, returning ctx's error as soon as ctx is done
// even when Render has not noticed yet.
func renderUntilDone(ctx context.Context, r *trace.Result, c *CaseFile, opts Options) (map[string][]byte, *Summary, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	type rendered struct {
		files map[string][]byte
		sum   *Summary
		err   error
	}
	done := make(chan rendered, 1)
	go func() {
		renderMu.Lock()
		defer renderMu.Unlock()
		if err := ctx.Err(); err != nil {
			done <- rendered{err: err}
			return
		}
		files, sum, err := Render(ctx, r, c, opts)
		done <- rendered{files, sum, err}
	}()
	select {
	case res := <-done:
		return res.files, res.sum, res.err
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// Render produces every file in memory: file name (slash-separated,
// relative to the output directory) to content, MANIFEST.sha256 included.
func Render(ctx context.Context, r *trace.Result, c *CaseFile, opts Options) (map[string][]byte, *Summary, error) {
	want := map[Format]bool{}
	if opts.Formats == nil {
		opts.Formats = Formats
	}
	for _, f := range opts.Formats {
		want[f] = true
	}
	w := &writer{ctx: ctx, r: r, c: c, at: opts.At, want: want, files: map[string][]byte{},
		as: newAssets(r), m: catalogue[c.Language]}
	if w.m == nil {
		return nil, nil, chains.Invalid(fmt.Errorf("no letter text for language %q", c.Language))
	}
	w.ev = newEvidence(c, r, w.as)
	if opts.Directory == nil {
		opts.Directory = BuiltinDirectory()
	}
	sum := &Summary{Recipients: RecipientsIn(r, opts.Directory), Warnings: checkCase(c, r)}
	w.dir = opts.Directory
	var all []target
	for _, rc := range sum.Recipients {
		rc.Warnings = append(rc.Warnings, holdingWarnings(w.m, rc.targets())...)
		rc.NoLetter = noLetterText(w.m, rc)
		all = append(all, rc.targets()...)
	}
	w.warnings = append(slices.Clone(r.Warnings), holdingWarnings(w.m, all)...)
	sum.Checklist = Checklist(c, sum.Recipients)
	w.checklist = sum.Checklist
	if want[FormatSVG] || want[FormatPDF] || want[FormatHTML] {
		svg, err := newSVGRenderer(ctx)
		if err != nil {
			return nil, nil, err
		}
		defer svg.Close()
		w.svg = svg
	}
	if err := w.caseFiles(sum.Recipients); err != nil {
		return nil, nil, err
	}
	for _, rc := range sum.Recipients {
		if !rc.Letter {
			continue
		}
		if err := w.recipientFiles(rc, checklistFor(sum.Checklist, sum.Recipients, rc)); err != nil {
			return nil, nil, fmt.Errorf("recipient %s: %w", rc.Slug, err)
		}
	}
	if err := w.overview(sum.Recipients); err != nil {
		return nil, nil, err
	}
	w.files[ManifestName] = manifest(w.files)
	for name := range w.files {
		sum.Files = append(sum.Files, name)
	}
	slices.Sort(sum.Files)
	return w.files, sum, nil
}

// manifest lists every file as sha256sum does ("<hex>  <name>"), sorted by
// name, so `sha256sum -c MANIFEST.sha256` checks them.
func manifest(files map[string][]byte) []byte {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	var b bytes.Buffer
	for _, n := range names {
		s := sha256.Sum256(files[n])
		b.WriteString(hex.EncodeToString(s[:]) + "  " + n + "\n")
	}
	return b.Bytes()
}

// Unmatched says, one sentence each, which payments of the case file the
// trace does not start from: their victims would be in no letter.
func Unmatched(c *CaseFile, r *trace.Result) []string { return checkCase(c, r) }

// checkCase lists the case payments the trace does not start from.
func checkCase(c *CaseFile, r *trace.Result) []string {
	have := map[chains.TxHash]bool{}
	for _, s := range r.Origins {
		have[s.Tx] = true
	}
	var out []string
	for _, v := range c.Victims {
		for _, p := range v.Payments {
			if !have[p.Tx] {
				out = append(out, fmt.Sprintf("case file line %d: payment %s of %s is not a source of this trace; it appears in no letter",
					p.Line, p.Tx, untrusted.Line(v.Name)))
			}
		}
	}
	return out
}

type writer struct {
	ctx   context.Context
	r     *trace.Result
	c     *CaseFile
	at    time.Time
	want  map[Format]bool
	files map[string][]byte
	as    assets
	m     *Messages
	ev    *evidence
	svg   *svgRenderer
	// warnings are the trace's warnings, then those about the freeze
	// targets' holdings: what the overview and report.json show.
	warnings  []trace.Warning
	dir       *Directory
	checklist []string
}

// put records a file if its format was asked for and returns whether it did.
func (w *writer) put(f Format, name string, b []byte) bool {
	if !w.want[f] {
		return false
	}
	w.files[name] = b
	return true
}

func (w *writer) tables(dir string, sheets []sheet, title string) error {
	if w.want[FormatCSV] {
		for _, s := range sheets {
			b, err := csvBytes(s)
			if err != nil {
				return err
			}
			w.put(FormatCSV, dir+s.Name+".csv", b)
		}
	}
	if w.want[FormatXLSX] {
		b, err := xlsxBytes(sheets, title, w.at)
		if err != nil {
			return err
		}
		w.put(FormatXLSX, dir+"evidence.xlsx", b)
	}
	return nil
}

func jsonBytes(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return append(b, '\n'), nil
}

// reportJSON is the machine-readable summary of the letters.
type reportJSON struct {
	Schema    string       `json:"schema"`
	Reference string       `json:"reference"`
	Generated time.Time    `json:"generated"`
	Rule      trace.Rule   `json:"rule"`
	Params    trace.Params `json:"params"`
	// Warnings are the trace's warnings and those about the freeze
	// targets' holdings: all of them in the case's report.json, the
	// recipient's own (Recipient.Warnings) in its recipient.json.
	Warnings   []trace.Warning `json:"warnings,omitempty"`
	Recipients []*Recipient    `json:"recipients"`
}

func (w *writer) caseFiles(rcs []*Recipient) error {
	owner := map[addrKey]string{}
	for _, rc := range rcs {
		for _, e := range rc.Endpoints {
			owner[addrKey{e.Chain, e.Address}] = rc.Name
		}
	}
	recipientOf := func(e trace.Endpoint) string { return owner[addrKey{e.Chain, e.Address}] }
	sheets := []sheet{w.ev.flows(w.r.Flows), w.ev.endpoints(recipientOf, w.r.Endpoints), w.ev.sources(w.r.Origins)}
	if len(w.r.Conversions) > 0 {
		sheets = append(sheets, w.ev.conversions(w.ev.allConversions()))
	}
	if err := w.tables("case/", append(sheets, w.ev.ledger(w.r.Ledger)), w.c.Reference); err != nil {
		return err
	}
	if w.want[FormatJSON] {
		var tj bytes.Buffer
		if err := trace.WriteJSON(&tj, w.r); err != nil {
			return err
		}
		w.put(FormatJSON, "case/trace.json", tj.Bytes())
		b, err := jsonBytes(reportJSON{Schema: Schema, Reference: untrusted.Line(w.c.Reference), Generated: w.at.UTC(), Rule: w.r.Rule,
			Params: w.r.Params, Warnings: w.warnings, Recipients: rcs})
		if err != nil {
			return err
		}
		w.put(FormatJSON, "case/report.json", b)
	}
	_, err := w.graph("case/", w.c.Reference, w.r.Origins, w.r.Flows, w.r.Endpoints)
	return err
}

func (w *writer) recipientFiles(rc *Recipient, checklist []string) error {
	dir := rc.Slug + "/"
	name := func(e trace.Endpoint) string { return rc.Name }
	sheets := []sheet{w.ev.flows(rc.Flows), w.ev.endpoints(name, rc.Endpoints), w.ev.sources(rc.Origins), w.ev.paths(rc)}
	if len(rc.Conversions) > 0 {
		sheets = append(sheets, w.ev.conversions(rc.Conversions))
	}
	if err := w.tables(dir, append(sheets, w.ev.ledger(rc.Ledger)), w.c.Reference+" "+rc.Name); err != nil {
		return err
	}
	if w.want[FormatJSON] {
		b, err := jsonBytes(reportJSON{Schema: Schema, Reference: untrusted.Line(w.c.Reference), Generated: w.at.UTC(), Rule: w.r.Rule,
			Params: w.r.Params, Warnings: rc.Warnings, Recipients: []*Recipient{rc}})
		if err != nil {
			return err
		}
		w.put(FormatJSON, dir+"recipient.json", b)
	}
	diagram, err := w.graph(dir, w.c.Reference+" / "+rc.Name, rc.Origins, rc.Flows, rc.Endpoints)
	if err != nil {
		return err
	}
	graphFile := ""
	if w.want[FormatSVG] {
		graphFile = "graph.svg"
	}
	var evidence []string
	for name := range w.files {
		if rest, ok := strings.CutPrefix(name, dir); ok {
			evidence = append(evidence, rest)
		}
	}
	slices.Sort(evidence)
	d := letter(letterInput{Case: w.c, Result: w.r, Recipient: rc, Assets: w.as, At: w.at, MDName: "letter.md", Evidence: evidence,
		Diagram: diagram, GraphFile: graphFile})
	md, line := fingerprint(markdown(d), w.m)
	w.put(FormatMarkdown, dir+"letter.md", []byte(md))
	d.Blocks = append(d.Blocks, p(mono(line)))
	if w.want[FormatHTML] {
		h, err := html(d)
		if err != nil {
			return err
		}
		w.put(FormatHTML, dir+"letter.html", []byte(h))
	}
	if w.want[FormatPDF] {
		b, err := pdfDoc(d, untrusted.Line(w.c.Reference)+"  ·  "+rc.Name, w.at)
		if err != nil {
			return err
		}
		w.put(FormatPDF, dir+"letter.pdf", b)
	}
	w.put(FormatMarkdown, dir+"SEND.md", []byte(markdown(w.sendNotes(rc, checklist))))
	return nil
}
