package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
)

// fzUserError reports whether err is a user mistake, which exits with
// code 2: a usage error or an input error.
func fzUserError(err error) bool {
	var ue usageError
	var ie *chains.InputError
	return errors.As(err, &ue) || errors.As(err, &ie)
}

// FuzzTraceTime reads --since and --until values: a value read is a UTC
// time that reads back as itself from its RFC 3339 form, a date as an end
// bound is the last second of that day, and anything else is an input
// error (exit code 2) naming the flag.
func FuzzTraceTime(f *testing.F) {
	for _, s := range []string{"2024-05-01", "2024-05-01T13:00:00Z", "2024-05-01T13:00:00+02:00", "2024-05-01T13:00:00.123456789-07:30",
		" 2024-02-29 ", "2023-02-29", "2024-05-01 13:00", "yesterday", "", "0000-01-01T00:00:00+23:59", "9999-12-31"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, end bool) {
		got, err := traceTime("--since", s, end)
		if err != nil {
			if !fzUserError(err) || !strings.Contains(err.Error(), "--since") {
				t.Fatalf("traceTime(%q): error %v is not a user error naming the flag", s, err)
			}
			return
		}
		if got.IsZero() {
			return // no bound: an empty value, or the zero time itself
		}
		if got.Location() != time.UTC {
			t.Fatalf("traceTime(%q) = %v, not UTC", s, got)
		}
		if d, err := time.Parse(time.DateOnly, strings.TrimSpace(s)); err == nil {
			want := d
			if end {
				want = d.Add(24*time.Hour - time.Second)
			}
			if !got.Equal(want) {
				t.Fatalf("traceTime(%q, end %v) = %v, want %v", s, end, got, want)
			}
		}
		if y := got.Year(); y < 1 || y > 9999 {
			return // RFC 3339 writes four-digit years only
		}
		back, err := traceTime("--since", got.Format(time.RFC3339Nano), end)
		if err != nil || !back.Equal(got) {
			t.Fatalf("traceTime(%q) = %v, which reads back as %v, %v", s, got, back, err)
		}
	})
}

// FuzzTraceAsset reads --asset values for each chain: an asset read is on
// that chain, and its contract, written out, reads back as the same asset.
func FuzzTraceAsset(f *testing.F) {
	for _, s := range []string{"usdt", "USDC", "native", "eth", "trx", "0xdAC17F958D2ee523a2206206994597C13D831ec7",
		"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", " Usdt ", "dai", "0x12"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	cs := chains.Chains()
	f.Fuzz(func(t *testing.T, s string, chain uint8) {
		c := cs[int(chain)%len(cs)]
		id, err := traceAsset(c, s)
		if err != nil {
			if !fzUserError(err) {
				t.Fatalf("traceAsset(%s, %q): error %v is not a user error", c, s, err)
			}
			return
		}
		if id.Chain != c {
			t.Fatalf("traceAsset(%s, %q) = %s, on another chain", c, s, id)
		}
		if id.IsNative() {
			return
		}
		if id.Contract.Family() != c.Family() {
			t.Fatalf("traceAsset(%s, %q) = %s: a contract of another family", c, s, id)
		}
		if back, err := traceAsset(c, id.Contract.String()); err != nil || back != id {
			t.Fatalf("traceAsset(%s, %q) = %s, whose contract reads back as %s, %v", c, s, id, back, err)
		}
	})
}

// FuzzParseAddrArg reads address arguments with and without --chain: an
// address read is of its chain's family and reads back as itself, and a
// mistake is a user error.
func FuzzParseAddrArg(f *testing.F) {
	for _, s := range []string{"0x28C6c06298d514Db089934071355E5743bf21d60", "TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9", " T ", "0x12", "41a614f803b6fd780986a42c78ec9c7f77e6ded13c", "\x1b[31m"} {
		f.Add("", s)
		f.Add("tron", s)
		f.Add("bsc", s)
	}
	f.Add("nochain", "0x28c6c06298d514db089934071355e5743bf21d60")
	f.Fuzz(func(t *testing.T, chainFlag, s string) {
		c, a, err := parseAddrArg(chainFlag, s)
		if err != nil {
			if !fzUserError(err) {
				t.Fatalf("parseAddrArg(%q, %q): error %v is not a user error", chainFlag, s, err)
			}
			return
		}
		if !c.Valid() || a.Family() != c.Family() {
			t.Fatalf("parseAddrArg(%q, %q) = %s, %s", chainFlag, s, c, a)
		}
		if c2, b, err := parseAddrArg(string(c), a.String()); err != nil || c2 != c || b != a {
			t.Fatalf("parseAddrArg(%q, %q) = %s %s, which reads back as %s %s, %v", chainFlag, s, c, a, c2, b, err)
		}
	})
}
