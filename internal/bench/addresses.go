package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// An addressList is the file of addresses the screening runs read, and
// how it was drawn. It is written once per dataset, seed and size, with a
// sidecar JSON file (this struct) that a later run checks before reusing
// it.
type addressList struct {
	Key       string `json:"key"`       // what the list was drawn from
	Addresses int    `json:"addresses"` // in the list
	// Labeled counts the addresses named by a label that take part in a
	// transfer: all are in the list (unless it is shorter than them);
	// Synth of them from the dataset's labels.csv, Shared from the shared
	// label files.
	Labeled int `json:"labeled"`
	Synth   int `json:"synth"`
	Shared  int `json:"shared"`
	// SharedHits are the Shared addresses, up to maxSharedHits of them.
	SharedHits []string `json:"shared_hits,omitempty"`
	// SharedNamed is the distinct 0x addresses the shared label files
	// name, on any chain.
	SharedNamed int `json:"shared_named"`
	// Distinct is the distinct from and to addresses of the transfers.
	Distinct int `json:"distinct"`
	// Absent counts the addresses in the list that take part in no
	// transfer: when the transfers have fewer than Addresses distinct
	// ones, all of those, and Absent random ones.
	Absent int    `json:"absent"`
	SHA256 string `json:"sha256"` // of the list file

	path   string
	reused bool
}

// addressList writes, or finds already written, the list of
// b.cfg.addresses addresses for s.
func (b *bench) addressList(s *screenSizeResult) (*addressList, error) {
	n := b.cfg.addresses
	ds := s.ds
	shared := b.sharedLabelFiles()
	key := fmt.Sprintf("v2 addresses=%d seed=%d dataset=%s generator=%s shared=%s",
		n, b.cfg.seed, filepath.Base(ds.dir), b.fingerprint, filesFingerprint(shared))
	path := ds.path(fmt.Sprintf("screen-addresses-%d.txt", n))
	meta := path + ".json"
	if l, err := cachedList(path, meta, key); err == nil {
		b.logf("address list %s: cached, %s addresses", path, commas(int64(l.Addresses)))
		return l, nil
	}
	b.logf("address list %s: drawing %s addresses", path, commas(int64(n)))
	l, addrs, err := drawAddresses(ds.path("token_transfers.csv"), ds.path("labels.csv"), shared, n, b.cfg.seed)
	if err != nil {
		return nil, err
	}
	l.Key, l.path = key, path
	var body strings.Builder
	fmt.Fprintf(&body, "# %d addresses for freezetrace screen, drawn by go run ./internal/bench -screen\n# %s\n", len(addrs), key)
	for _, a := range addrs {
		body.WriteString(a + "\n")
	}
	sum := sha256.Sum256([]byte(body.String()))
	l.SHA256 = hex.EncodeToString(sum[:])
	if err := writeFile(path, []byte(body.String())); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFile(meta, append(js, '\n')); err != nil {
		return nil, err
	}
	return l, nil
}

// cachedList is the list at path if its sidecar meta was written for key
// and the file is the one it describes.
func cachedList(path, meta, key string) (*addressList, error) {
	js, err := os.ReadFile(meta)
	if err != nil {
		return nil, err
	}
	var l addressList
	if err := json.Unmarshal(js, &l); err != nil {
		return nil, err
	}
	if l.Key != key {
		return nil, errors.New("drawn for another dataset, size or label set")
	}
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != l.SHA256 {
		return nil, errors.New("changed since it was written")
	}
	l.path, l.reused = path, true
	return &l, nil
}

// sharedLabelFiles are the label files under -labels, sorted.
func (b *bench) sharedLabelFiles() []string {
	var files []string
	for _, set := range sharedLabelSets {
		root := filepath.Join(b.cfg.labels, set.dir)
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && labelFileExt(p) {
				files = append(files, p)
			}
			return nil
		})
	}
	slices.Sort(files)
	return files
}

// labelFileExt reports whether p is named as a label file: the extensions
// `labels import` reads.
func labelFileExt(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".txt", ".json", ".xml", ".csv":
		return true
	}
	return false
}

// filesFingerprint stands for the files' names and sizes.
func filesFingerprint(files []string) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s %d\n", f, fileSize(f))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// hexAddress matches 0x and 40 or more hex digits: an address when there
// are exactly 40, else part of something longer, such as a hash.
var hexAddress = regexp.MustCompile(`0x[0-9a-fA-F]{40,}`)

// namedAddresses is the distinct lowercase 0x addresses the files name
// anywhere, in sorted order.
func namedAddresses(files []string) ([]string, error) {
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range hexAddress.FindAll(b, -1) {
			if len(m) == 42 {
				seen[strings.ToLower(string(m))] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	slices.Sort(out)
	return out, nil
}

// maxSharedHits is how many of the shared labels' addresses met in the
// transfers an addressList names.
const maxSharedHits = 10

// drawAddresses draws n addresses from the transfers' from and to
// addresses: every address a label names (labels, a freezetrace label CSV,
// and the addresses the shared label files name) that takes part in a
// transfer, and the rest chosen from the others with a PCG seeded with
// seed, the whole shuffled by the same generator. When the transfers have
// fewer than n distinct addresses, it takes them all and makes up the
// rest with random addresses that take part in none. The same inputs give
// the same list.
func drawAddresses(transfers, labels string, shared []string, n int, seed uint64) (*addressList, []string, error) {
	seen, order, err := transferAddresses(transfers)
	if err != nil {
		return nil, nil, err
	}
	l := &addressList{Distinct: len(order)}
	synth, err := readLabels(labels)
	if err != nil {
		return nil, nil, err
	}
	named, err := namedAddresses(shared)
	if err != nil {
		return nil, nil, err
	}
	l.SharedNamed = len(named)
	picked := map[string]bool{}
	var list []string
	for i, set := range [][]string{slices.Sorted(slices.Values(synth)), named} {
		for _, a := range set {
			if seen[a] && !picked[a] && len(list) < n {
				picked[a] = true
				list = append(list, a)
				if i == 0 {
					l.Synth++
				} else {
					l.Shared++
					if len(l.SharedHits) < maxSharedHits {
						l.SharedHits = append(l.SharedHits, a)
					}
				}
			}
		}
	}
	l.Labeled = len(list)
	pool := make([]string, 0, len(order)-len(list))
	for _, a := range order {
		if !picked[a] {
			pool = append(pool, a)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x5c2ee7))
	k := min(n-len(list), len(pool))
	for i := range k {
		j := i + rng.IntN(len(pool)-i)
		pool[i], pool[j] = pool[j], pool[i]
	}
	list = append(list, pool[:k]...)
	for len(list) < n {
		var b [24]byte // 20 used
		for i := 0; i < len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
		}
		if a := "0x" + hex.EncodeToString(b[:20]); !seen[a] && !picked[a] {
			picked[a] = true
			list = append(list, a)
			l.Absent++
		}
	}
	rng.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	l.Addresses = len(list)
	return l, list, nil
}

// transferAddresses is the set of lowercase from and to addresses of an
// ethereum-etl token_transfers.csv, and the same in the order first met.
func transferAddresses(path string) (map[string]bool, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	from, to := slices.Index(head, "from_address"), slices.Index(head, "to_address")
	if from < 0 || to < 0 {
		return nil, nil, fmt.Errorf("%s: no from_address or to_address column", path)
	}
	seen := map[string]bool{}
	var order []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, col := range []int{from, to} {
			if a := strings.ToLower(strings.TrimSpace(rec[col])); a != "" && !seen[a] {
				seen[a] = true
				order = append(order, a)
			}
		}
	}
	return seen, order, nil
}
