package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/labels"
	"freezetrace/trace"
	"freezetrace/trace/attribute"
)

const thorRouter = "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146"

// userServices replaces two shipped entries: the SunSwap router (its
// source a named list) and the THORChain router (written in lowercase, its
// entity a spreadsheet formula).
const userServices = `services:
  - chain: tron
    address: TKzxdSv2FZKQrEqkKVgp5DcwEXBEKMg2Ax
    entity: SunSwap (mine)
    category: defi
    role: router
    sources:
      - ref: my own case notes
        date: "2026-11-30"
  - chain: ethereum
    address: "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146"
    entity: "=THORChain (mine)"
    category: bridge
    role: router
    sources:
      - ref: https://example.org/thor
        date: "2026-11-29"
`

func runServicesCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"freezetrace", "services"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func writeServicesFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "services.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServicesCommand(t *testing.T) {
	n := len(labels.BuiltinServices())
	t.Run("OKTable", func(t *testing.T) {
		code, out, errs := runServicesCLI(t)
		if code != exitOK || errs != "" {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if !strings.HasPrefix(lines[0], "CHAIN") || !strings.Contains(lines[0], "ROLE") {
			t.Errorf("header = %q", lines[0])
		}
		if got, want := len(lines), n+2; got != want {
			t.Errorf("%d lines, want %d (header, %d entries, total)", got, want, n)
		}
		if want := "total " + strconv.Itoa(n); !strings.HasPrefix(lines[len(lines)-1], want) {
			t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
		}
		if !strings.Contains(out, thorRouter) || !strings.Contains(out, "TKzxdSv2FZKQrEqkKVgp5DcwEXBEKMg2Ax") {
			t.Error("THORChain router or SunSwap router missing")
		}
	})
	t.Run("OKCSV", func(t *testing.T) {
		code, out, _ := runServicesCLI(t, "--format", "csv")
		if code != exitOK {
			t.Fatalf("exit %d", code)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != n+1 || strings.Join(rows[0], ",") != "chain,address,entity,category,role,date,sources,note" {
			t.Fatalf("%d rows, header %v", len(rows), rows[0])
		}
		for _, r := range rows[1:] {
			c, err := chains.ParseChain(r[0])
			if err != nil {
				t.Fatalf("row %v: %v", r, err)
			}
			if a, err := c.ParseAddress(r[1]); err != nil || a.String() != r[1] {
				t.Errorf("row %v: address %v", r, err)
			}
			if !strings.HasPrefix(r[6], "https://") {
				t.Errorf("row %v: sources %q", r, r[6])
			}
		}
	})
	t.Run("OKFileOverBuiltin", func(t *testing.T) {
		p := writeServicesFile(t, userServices)
		code, out, errs := runServicesCLI(t, "--format", "csv", "--services", p)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		rows, _ := csv.NewReader(strings.NewReader(out)).ReadAll()
		if len(rows) != n+1 {
			t.Fatalf("%d rows, want %d: both entries replace shipped ones", len(rows), n+1)
		}
		var thor, sun []string
		for _, r := range rows {
			switch r[1] {
			case thorRouter:
				thor = r
			case "TKzxdSv2FZKQrEqkKVgp5DcwEXBEKMg2Ax":
				sun = r
			}
		}
		if thor == nil || thor[2] != "'=THORChain (mine)" || thor[6] != "https://example.org/thor" {
			t.Errorf("THORChain row = %v, want the file's entry, its formula neutralised", thor)
		}
		if sun == nil || sun[2] != "SunSwap (mine)" || sun[6] != "my own case notes" {
			t.Errorf("SunSwap row = %v", sun)
		}
	})
	t.Run("OKFileAlone", func(t *testing.T) {
		p := writeServicesFile(t, userServices)
		code, out, _ := runServicesCLI(t, "--services", p, "--no-builtin-services")
		if code != exitOK || !strings.Contains(out, "total 2") {
			t.Errorf("exit %d, out %q; want the file's 2 entries only", code, out)
		}
	})
	t.Run("OKNothing", func(t *testing.T) {
		code, out, _ := runServicesCLI(t, "--no-builtin-services")
		if code != exitOK || !strings.Contains(out, "total 0") {
			t.Errorf("exit %d, out %q", code, out)
		}
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		code, _, errs := runServicesCLI(t, "--services", filepath.Join(t.TempDir(), "nope.yaml"))
		if code != exitUsage || !strings.Contains(errs, `nope.yaml": no such file`) || !strings.Contains(errs, "Try: ") {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("ErrBadFile", func(t *testing.T) {
		p := writeServicesFile(t, strings.Replace(userServices, "category: defi", "category: mixer", 1))
		code, _, errs := runServicesCLI(t, "--services", p)
		if code != exitUsage || !strings.Contains(errs, p+`:5: unknown category "mixer"`) {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("ErrFormat", func(t *testing.T) {
		code, _, errs := runServicesCLI(t, "--format", "json")
		if code != exitUsage || !strings.Contains(errs, `--format "json": want table or csv`) {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("ErrArgument", func(t *testing.T) {
		if code, _, _ := runServicesCLI(t, "extra"); code != exitUsage {
			t.Errorf("exit %d, want %d", code, exitUsage)
		}
	})
}

// storeLike is a Labeler that also counts stored counterparties, as the
// store does.
type storeLike struct {
	ls map[chains.Address][]chains.Label
}

func (s storeLike) Labels(_ context.Context, _ chains.Chain, a chains.Address) ([]chains.Label, error) {
	return s.ls[a], nil
}

func (storeLike) CountPeers(context.Context, chains.Query, int) (int, error) { return 7, nil }

// plainLabeler is a Labeler and nothing else.
type plainLabeler struct{ inner storeLike }

func (p plainLabeler) Labels(ctx context.Context, c chains.Chain, a chains.Address) ([]chains.Label, error) {
	return p.inner.Labels(ctx, c, a)
}

func TestServicesLabeler(t *testing.T) {
	svc, err := serviceLabels(servicesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	thor := chains.MustParseAddress(thorRouter)
	stored := storeLike{ls: map[chains.Address][]chains.Label{
		thor: {{Chain: chains.Ethereum, Address: thor, Entity: "Some list", Category: chains.CategoryOther, Source: "z", Confidence: 50}},
	}}
	t.Run("OKMergedMostConfidentFirst", func(t *testing.T) {
		l := withServices(stored, svc)
		ls, err := l.Labels(context.Background(), chains.Ethereum, thor)
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 2 || ls[0].Entity != "THORChain" || ls[0].Category != chains.CategoryBridge || ls[1].Entity != "Some list" {
			t.Errorf("labels = %+v", ls)
		}
		if got := stored.ls[thor]; len(got) != 1 {
			t.Errorf("the inner labeler's slice was changed: %+v", got)
		}
	})
	t.Run("OKKeepsPeerCounter", func(t *testing.T) {
		pc, ok := withServices(stored, svc).(attribute.StoredPeerCounter)
		if !ok {
			t.Fatal("the store's peer counter is lost")
		}
		if n, _ := pc.CountPeers(context.Background(), chains.Query{}, 10); n != 7 {
			t.Errorf("CountPeers = %d, want the inner 7", n)
		}
		if _, ok := withServices(plainLabeler{stored}, svc).(attribute.StoredPeerCounter); ok {
			t.Error("a labeler without a peer counter gained one")
		}
	})
	t.Run("OKOtherChainUntouched", func(t *testing.T) {
		ls, _ := withServices(stored, svc).Labels(context.Background(), chains.BSC, thor)
		if len(ls) != 1 {
			t.Errorf("labels on bsc = %+v, want the inner one only", ls)
		}
	})
	t.Run("OKAttributorStops", func(t *testing.T) {
		at, err := trace.NewLabelAttributor(withServices(stored, svc)).Attribute(context.Background(), thor, chains.USDTEthereum, 0)
		if err != nil {
			t.Fatal(err)
		}
		if at.Category != chains.CategoryBridge || at.Entity != "THORChain" || !strings.Contains(at.Reason, "freezetrace services list") {
			t.Errorf("attribution = %+v", at)
		}
	})
	t.Run("ErrBadFile", func(t *testing.T) {
		p := writeServicesFile(t, "services: 1\n")
		if _, err := serviceLabels(servicesOptions{File: p}); err == nil || !strings.Contains(err.Error(), p+":1:") {
			t.Errorf("err = %v", err)
		}
	})
}
