package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"freezetrace/internal/synth"
)

// A marker records which request a cached dataset answers: Generate(n)
// writes about n transfers, so case.json alone cannot say. Generator is
// the fingerprint of the generator that wrote it.
type marker struct {
	Requested int    `json:"requested"`
	Seed      uint64 `json:"seed"`
	Transfers int    `json:"transfers"`
	Generator string `json:"generator"`
}

// fingerprintSize is the size of the sample dataset whose hash stands for
// the generator's output.
const fingerprintSize = 100_000

// generatorFingerprint is the SHA-256 of a fingerprintSize dataset from
// seed (its transfers and case.json), generated in a temporary directory
// under parent. A cached dataset whose marker holds another fingerprint
// was written by a generator that has changed since, and is regenerated.
// Changes that only show at larger sizes go unseen.
func generatorFingerprint(parent string, seed uint64) (string, error) {
	dir, err := os.MkdirTemp(parent, "fingerprint-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if _, err := synth.Generate(dir, fingerprintSize, seed); err != nil {
		return "", fmt.Errorf("generator fingerprint: %w", err)
	}
	h := sha256.New()
	for _, name := range []string{"token_transfers.csv", "case.json"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// dataset finds s's dataset in the cache, or generates it.
func (b *bench) dataset(s *sizeResult) error {
	s.dir = filepath.Join(b.cfg.data, fmt.Sprintf("n%d-s%d", s.n, b.cfg.seed))
	markerPath := filepath.Join(s.dir, "requested.json")
	if b.fingerprint == "" {
		fp, err := generatorFingerprint(b.cfg.data, b.cfg.seed)
		if err != nil {
			return err
		}
		b.fingerprint = fp
	}
	if c, err := cachedCase(s.dir, markerPath, marker{Requested: s.n, Seed: b.cfg.seed, Generator: b.fingerprint}); err == nil {
		b.logf("dataset %s: cached, %s transfers", s.dir, commas(int64(c.Transfers)))
		s.c, s.reused = c, true
	} else {
		b.logf("dataset %s: generating %s transfers (%v)", s.dir, commas(int64(s.n)), err)
		if err := os.Remove(markerPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		start := time.Now()
		c, err := synth.Generate(s.dir, s.n, b.cfg.seed)
		if err != nil {
			return fmt.Errorf("generate %s: %w", s.dir, err)
		}
		s.generated = time.Since(start)
		s.c = c
		m, err := json.Marshal(marker{Requested: s.n, Seed: b.cfg.seed, Transfers: c.Transfers, Generator: b.fingerprint})
		if err != nil {
			return err
		}
		if err := os.WriteFile(markerPath, append(m, '\n'), 0o644); err != nil {
			return err
		}
		b.logf("  generated in %s", formatWall(s.generated))
	}
	s.csvBytes = fileSize(filepath.Join(s.dir, "token_transfers.csv"))
	return nil
}

// cachedCase is the case of the dataset in dir if it answers want: the
// transfers asked for, the seed and the generator's fingerprint.
func cachedCase(dir, markerPath string, want marker) (synth.Case, error) {
	var c synth.Case
	var m marker
	for _, f := range []struct {
		path string
		v    any
	}{{filepath.Join(dir, "case.json"), &c}, {markerPath, &m}} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return c, fmt.Errorf("no %s", filepath.Base(f.path))
		}
		if err := json.Unmarshal(data, f.v); err != nil {
			return c, fmt.Errorf("%s: %w", filepath.Base(f.path), err)
		}
	}
	switch {
	case m.Requested != want.Requested || m.Seed != want.Seed:
		return c, fmt.Errorf("cached for %d transfers from seed %d", m.Requested, m.Seed)
	case m.Generator != want.Generator:
		return c, errors.New("written by a generator whose output has changed since")
	case c.Seed != want.Seed || c.Transfers != m.Transfers:
		return c, errors.New("case.json does not match the generation recorded")
	case fileSize(filepath.Join(dir, "token_transfers.csv")) == 0:
		return c, errors.New("no token_transfers.csv")
	}
	return c, nil
}
