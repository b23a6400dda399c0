package crash

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// outputs are a run's results by name: "db/TABLE" (a table dumped
// canonically), "db/schema", "file/PATH" (normalised), "dir/FOLDER/PATH".
type outputs map[string][]byte

// tree is a folder's files by slash-separated relative path.
type tree map[string][]byte

// tree returns the outputs under prefix ("dir/FOLDER") as a tree.
func (o outputs) tree(prefix string) tree {
	t := tree{}
	for k, v := range o {
		if rel, ok := strings.CutPrefix(k, prefix+"/"); ok {
			t[rel] = v
		}
	}
	return t
}

// collect reads a finished run's outputs in dir.
func collect(sc *scenario, dir string) (outputs, error) {
	out := outputs{}
	if sc.db != "" {
		d, err := dumpDB(filepath.Join(dir, sc.db))
		if err != nil {
			return nil, err
		}
		for k, v := range d {
			out["db/"+k] = []byte(v)
		}
	}
	for _, f := range sc.files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		if sc.normalise != nil {
			if b, err = sc.normalise(f, b); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
		}
		out["file/"+f] = b
	}
	for _, d := range sc.dirs {
		t, err := readTree(filepath.Join(dir, d))
		if err != nil {
			return nil, err
		}
		for k, v := range t {
			out["dir/"+d+"/"+k] = v
		}
	}
	return out, nil
}

// readTree reads every file under dir.
func readTree(dir string) (tree, error) {
	t := tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		t[filepath.ToSlash(rel)] = b
		return nil
	})
	return t, err
}

// compareOutputs lists how got differs from want, one problem per output.
func compareOutputs(want, got outputs) []problem {
	var probs []problem
	for _, k := range sortedKeys(want) {
		g, ok := got[k]
		switch {
		case !ok:
			probs = append(probs, problem{"outputs", k + " is missing after the restart"})
		case !bytes.Equal(g, want[k]):
			probs = append(probs, problem{"outputs", k + " differs from the uninterrupted run's: " + firstDifference(want[k], g)})
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok {
			probs = append(probs, problem{"outputs", k + " is there after the restart, not after the uninterrupted run"})
		}
	}
	return probs
}

// firstDifference shows the first line where got leaves want (text), or
// both hashes (binary).
func firstDifference(want, got []byte) string {
	if !utf8.Valid(want) || !utf8.Valid(got) || bytes.IndexByte(want, 0) >= 0 || bytes.IndexByte(got, 0) >= 0 {
		return fmt.Sprintf("%d bytes, sha256 %s; uninterrupted %d bytes, sha256 %s", len(got), sha(got), len(want), sha(want))
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Sprintf("line %d (of %d, uninterrupted %d): got %q, want %q", i+1, len(gl), len(wl), clip(g), clip(w))
		}
	}
	return "same lines, other bytes"
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func clip(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// runDependent stands for a value that differs between runs by design.
const runDependent = "<run-dependent>"

// normaliseTrace rewrites the fields of trace.json that docs/trace-json.md
// documents as times of the run, not of the data: provenance[].retrieved
// ("when that data was fetched or imported") and holdings[].checked
// ("when the live head was fetched"). Everything else is kept, and the
// file must be whole JSON. Other files are returned as they are.
func normaliseTrace(name string, b []byte) ([]byte, error) {
	if filepath.Base(name) != "trace.json" {
		return b, nil
	}
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not whole JSON: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("not one JSON value")
	}
	blank := func(list, field string) {
		items, _ := doc[list].([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if _, ok := m[field]; ok {
					m[field] = runDependent
				}
			}
		}
	}
	blank("provenance", "retrieved")
	blank("holdings", "checked")
	return json.MarshalIndent(doc, "", "  ")
}
