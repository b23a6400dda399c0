package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sync/errgroup"

	"freezetrace/chains"
)

// A report folder is written so that a crash at any point (a kill, a power
// cut) never leaves a folder that looks complete and is not:
//
//  1. every file goes into a new hidden sibling of the folder OUT,
//     ".OUT.tmp-N" (same parent, so that the renames below stay on one
//     file system) and is fsynced, then every folder in it;
//     MANIFEST.sha256 last, fsynced with its folder;
//  2. an existing OUT is renamed aside to ".OUT.old-N";
//  3. the new folder is renamed to OUT, and the parent fsynced;
//  4. the old folder is removed, and with it every leftover of an earlier
//     run that crashed (".OUT.tmp-N", ".OUT.old-N").
//
// A crash before step 2 leaves OUT as it was (absent, or the earlier
// complete report) and a hidden temporary folder; between steps 2 and 3
// it leaves no OUT, the earlier report complete in ".OUT.old-N" and the
// new one complete in ".OUT.tmp-N", and the next run puts the earlier one
// back before it starts; after step 3 OUT is the new complete report. The
// next run that completes removes every leftover. Two runs writing the
// same OUT at once are not supported: one of them may fail, neither leaves
// a mixed folder.
//
// An existing OUT is replaced only when it is empty or holds a report:
// every file in it is one its MANIFEST.sha256 lists. Any other folder
// (the trace's, a home folder) is refused, so that its files are never
// removed.

// OutputError is a report folder Write cannot write: a path that is a
// file, a folder that holds other files than a report, a parent that
// cannot be written (permission denied, a read-only file system). Write
// returns it wrapped as an input error (chains.Invalid).
type OutputError struct {
	Dir string // the folder as Write was given it
	Err error  // what is wrong with it
}

func (e *OutputError) Error() string { return "report folder " + e.Dir + ": " + e.Err.Error() }
func (e *OutputError) Unwrap() error { return e.Err }

// outFolder is a report folder being written.
type outFolder struct {
	dir          string // as given, for messages
	path         string // absolute, a symbolic link resolved
	parent, base string
	tmp          string // the temporary folder, "" once renamed into place
}

const (
	tmpTag = ".tmp-"
	oldTag = ".old-"
)

// openOut checks that dir can take a report and creates its temporary
// sibling (and dir's parents when missing). Input errors are OutputErrors.
func openOut(dir string) (*outFolder, error) {
	bad := func(format string, args ...any) error {
		return chains.Invalid(&OutputError{Dir: dir, Err: fmt.Errorf(format, args...)})
	}
	if dir == "" {
		return nil, bad("no folder given")
	}
	p, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("report folder %s: %w", dir, err)
	}
	if st, err := os.Lstat(p); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		if p, err = filepath.EvalSymlinks(p); err != nil {
			return nil, bad("a symbolic link to nothing that exists")
		}
	}
	o := &outFolder{dir: dir, path: p, parent: filepath.Dir(p), base: filepath.Base(p)}
	if o.parent == p {
		return nil, bad("the root of the file system cannot be a report folder")
	}
	if err := os.MkdirAll(o.parent, 0o755); err != nil {
		return nil, o.writeErr(err)
	}
	o.restore()
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, o.writeErr(err)
	case !st.IsDir():
		return nil, bad("is a file, not a folder")
	default:
		if err := replaceable(p); err != nil {
			return nil, chains.Invalid(&OutputError{Dir: dir, Err: err})
		}
	}
	if o.tmp, err = os.MkdirTemp(o.parent, "."+o.base+tmpTag); err != nil {
		return nil, o.writeErr(err)
	}
	if err := os.Chmod(o.tmp, 0o755); err != nil {
		o.discard()
		return nil, fmt.Errorf("report folder %s: %w", dir, err)
	}
	return o, nil
}

// writeErr says why the folder cannot be written: a user's error when the
// file system refuses (permission, read-only, a file in the path), the
// machine's otherwise.
func (o *outFolder) writeErr(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) && (errors.Is(err, fs.ErrPermission) || errno == syscall.EROFS || errno == syscall.ENOTDIR) {
		what := errno.Error()
		if errno == syscall.ENOTDIR {
			what = "a part of the path is a file"
		}
		return chains.Invalid(&OutputError{Dir: o.dir, Err: fmt.Errorf("cannot write in %s: %s", o.parent, what)})
	}
	return fmt.Errorf("report folder %s: %w", o.dir, err)
}

// replaceable returns nil when the folder at p may be replaced by a new
// report: it is empty, or every file in it is one its MANIFEST.sha256
// lists.
func replaceable(p string) error {
	listed := map[string]bool{ManifestName: true}
	m, err := os.ReadFile(filepath.Join(p, ManifestName))
	if err == nil {
		for _, line := range strings.Split(string(m), "\n") {
			if _, name, ok := strings.Cut(line, "  "); ok {
				listed[name] = true
			}
		}
	}
	var other []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(p, path)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !listed[rel] || !d.Type().IsRegular() {
			other = append(other, rel)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the folder: %w", err)
	}
	if len(other) == 0 {
		return nil
	}
	slices.Sort(other)
	why := "its " + ManifestName + " does not list them"
	if len(listed) == 1 {
		why = "it is not a report (no " + ManifestName + ")"
	}
	names := other[0]
	if len(other) > 1 {
		names += ", …"
	}
	return fmt.Errorf("holds %s that a new report would delete (%s): %s; give a new or empty folder, or move them away",
		plural(len(other), "file", "files"), names, why)
}

// fill writes files (slash-separated names to contents) into the
// temporary folder, MANIFEST.sha256 last, every file and folder fsynced.
// It stops, the folder unfinished, with ctx's error once ctx is done.
func (o *outFolder) fill(ctx context.Context, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	dirs := map[string]bool{o.tmp: true}
	for name := range files {
		if name == ManifestName {
			continue
		}
		names = append(names, name)
		p := filepath.Join(o.tmp, filepath.FromSlash(name))
		for d := filepath.Dir(p); !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	slices.Sort(names)
	folders := make([]string, 0, len(dirs))
	for d := range dirs {
		folders = append(folders, d)
	}
	slices.Sort(folders) // parents first
	for _, d := range folders[1:] {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	// Every file is written, then each fsynced: by then most of the data
	// is on its way to the disk, and flushes running a few at once share
	// the file system's journal commits. One fsync after another would
	// cost a disk flush per file.
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(o.tmp, filepath.FromSlash(name)), files[name], false); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, name := range names {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return syncFile(filepath.Join(o.tmp, filepath.FromSlash(name)))
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	slices.Reverse(folders) // children first, the top folder last
	for _, d := range folders {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	if m, ok := files[ManifestName]; ok {
		if err := writeFile(filepath.Join(o.tmp, ManifestName), m, true); err != nil {
			return err
		}
		if err := syncDir(o.tmp); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return ctx.Err()
}

// writeFile creates the file at p with b, fsynced when sync.
func writeFile(p string, b []byte, sync bool) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	_, err = f.Write(b)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// syncFile fsyncs the file at p.
func syncFile(p string) error {
	f, err := os.Open(p)
	if err == nil {
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// syncDir fsyncs a folder, so that the names in it survive a power cut.
// Windows cannot open a folder for that and orders renames itself.
func syncDir(p string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// commit puts the finished temporary folder in place of the folder (steps
// 2 to 4 above).
func (o *outFolder) commit() error {
	old := ""
	if _, err := os.Lstat(o.path); err == nil {
		old = filepath.Join(o.parent, "."+o.base+oldTag+randomTag())
		if err := os.Rename(o.path, old); err != nil {
			return fmt.Errorf("report folder %s: move the earlier report aside: %w", o.dir, err)
		}
	}
	if err := os.Rename(o.tmp, o.path); err != nil {
		if old != "" {
			// Put the earlier report back; if that fails too, the next
			// run does (restore).
			_ = os.Rename(old, o.path)
		}
		return fmt.Errorf("report folder %s: %w", o.dir, err)
	}
	o.tmp = ""
	if err := syncDir(o.parent); err != nil {
		return fmt.Errorf("report folder %s: %w", o.dir, err)
	}
	// What is left is hidden and no report: removing it may fail
	// without harm, and the next run tries again.
	for _, p := range o.leftovers() {
		_ = os.RemoveAll(p)
	}
	return nil
}

// discard removes the temporary folder unless it was put in place.
func (o *outFolder) discard() {
	if o.tmp != "" {
		_ = os.RemoveAll(o.tmp)
		o.tmp = ""
	}
}

// leftovers are the temporary and old folders of earlier runs (and of
// this one, before commit removes it) beside the folder.
func (o *outFolder) leftovers() []string {
	entries, err := os.ReadDir(o.parent)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "."+o.base)
		if !ok {
			continue
		}
		for _, tag := range []string{tmpTag, oldTag} {
			if n, ok := strings.CutPrefix(rest, tag); ok && n != "" && strings.Trim(n, "0123456789") == "" {
				if p := filepath.Join(o.parent, e.Name()); p != o.tmp {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// restore puts back the earlier report a run that crashed between its two
// renames left aside, when the folder is absent and that report is whole.
func (o *outFolder) restore() {
	if _, err := os.Lstat(o.path); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	for _, p := range o.leftovers() {
		if strings.HasPrefix(filepath.Base(p), "."+o.base+oldTag) && wholeReport(p) {
			if os.Rename(p, o.path) == nil {
				_ = syncDir(o.parent)
			}
			return
		}
	}
}

// wholeReport reports whether the folder at p holds a complete report:
// every file its MANIFEST.sha256 lists, with that SHA-256, and no other.
func wholeReport(p string) bool {
	m, err := os.ReadFile(filepath.Join(p, ManifestName))
	if err != nil || replaceable(p) != nil {
		return false
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(m), "\n"), "\n") {
		digest, name, ok := strings.Cut(line, "  ")
		if !ok {
			return false
		}
		b, err := os.ReadFile(filepath.Join(p, filepath.FromSlash(name)))
		sum := sha256.Sum256(b)
		if err != nil || hex.EncodeToString(sum[:]) != digest {
			return false
		}
	}
	return true
}

// randomTag is a random decimal number for a folder name.
func randomTag() string { return strconv.FormatUint(rand.Uint64(), 10) }
