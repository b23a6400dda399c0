package labels

import (
	"reflect"
	"strings"
	"testing"

	"freezetrace/chains"
)

func TestTagPackFrozen(t *testing.T) {
	// The header of GraphSense's usdt_blacklist pack, with tags of each
	// shape a context may take.
	pack := `title: USDT blacklist
creator: GraphSense Core team
label: USDT_blacklisted
is_cluster_definer: false
confidence: ledger_immanent
source: https://ikna.io
lastmod: 2023-02-22
currency: ETH
category: black_list
tags:
- address: '0x008fe40574e881e7247b50b991c0cc057d66647f'
  context: '{"transaction": "0x348a042dfedaf64400bf6660fe0ed523b373f172b7914985600d882ac09e0631",
    "token": "USDT"}'
- address: 'TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR'
  currency: TRX
  context: '{"transaction": "26e2265c66d7de39bdf0570a74118bbeec782ea11b10b9b075f3ef3866d70722", "token": "usdt"}'
- address: '0x0000000000000000000000000000000000000018'
- address: '0x0000000000000000000000000000000000000019'
  context: '{"transaction": "not a hash", "token": "USDC"}'
- address: '0x000000000000000000000000000000000000001a'
  context: 'frozen by Tether in 0x708462df347dbe85b1f764b696773b32afe225d78740c055109e52c3af0931b6'
- address: '0x00000000000000000000000000000000000018fe'
  context: '{"transaction": "0x6d61b4754ffd4801a856639407164cf34b756e773d0f62fb0afd660774bf6aa2", "token": "BUSD"}'
- address: '0x00000000000000000000000000000000000001f2'
  abuse: scam
  context: '{"transaction": "0x9d634cb4fb53f73c68cb792bdadf3229d8304b1732d9e240ed2fce2c0f241f9d", "token": "USDT"}'
`
	res, err := ParseTagPack(strings.NewReader(pack), "packs/usdt_blacklist.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 7 || len(res.Bad) != 0 || res.SkippedTotal() != 0 || len(res.Labels) != 8 {
		t.Fatalf("read %d, bad %v, skipped %v, %d labels: %+v", res.Read, res.Bad, res.Skipped, len(res.Labels), res.Labels)
	}
	usdtETH, usdtTRX, usdcETH := chains.USDTEthereum, chains.USDTTron, chains.USDCEthereum
	const (
		header     = "file usdt_blacklist.yaml; title USDT blacklist; label USDT_blacklisted; category black_list; confidence ledger_immanent"
		scamHeader = "file usdt_blacklist.yaml; title USDT blacklist; label USDT_blacklisted; category black_list; abuse scam; confidence ledger_immanent"
	)
	frozen := func(chain chains.Chain, addr string, asset *chains.AssetID, tx string, note string) chains.Label {
		a, err := chain.ParseAddress(addr)
		if err != nil {
			t.Fatal(err)
		}
		l := chains.Label{
			Chain: chain, Address: a, Entity: "USDT_blacklisted", Category: chains.CategoryFrozen, Asset: asset,
			Source: "https://ikna.io", Date: "2023-02-22", Note: note, Confidence: 90,
		}
		if tx != "" {
			l.Evidence = []chains.TxHash{chains.MustParseTxHash(tx)}
		}
		return l
	}
	scam := frozen(chains.Ethereum, "0x00000000000000000000000000000000000001f2", nil, "", scamHeader)
	scam.Category = chains.CategoryScam
	want := []chains.Label{
		frozen(chains.Ethereum, "0x008fe40574e881e7247b50b991c0cc057d66647f", &usdtETH,
			"0x348a042dfedaf64400bf6660fe0ed523b373f172b7914985600d882ac09e0631", header+"; token USDT"),
		frozen(chains.Tron, "TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR", &usdtTRX,
			"26e2265c66d7de39bdf0570a74118bbeec782ea11b10b9b075f3ef3866d70722", header+"; token USDT"),
		// No context: frozen, but by whom it does not say.
		frozen(chains.Ethereum, "0x0000000000000000000000000000000000000018", nil, "", header),
		// A transaction that is no hash stays in the note.
		frozen(chains.Ethereum, "0x0000000000000000000000000000000000000019", &usdcETH, "", header+"; token USDC; transaction not a hash"),
		// A context that is no JSON object adds nothing.
		frozen(chains.Ethereum, "0x000000000000000000000000000000000000001a", nil, "", header),
		// A token freezetrace does not know: no asset, the token in the note.
		frozen(chains.Ethereum, "0x00000000000000000000000000000000000018fe", nil,
			"0x6d61b4754ffd4801a856639407164cf34b756e773d0f62fb0afd660774bf6aa2", header+"; token BUSD"),
		// The scam label of the same tag is about no asset and has no
		// freezing transaction; the frozen one has both.
		scam,
		frozen(chains.Ethereum, "0x00000000000000000000000000000000000001f2", &usdtETH,
			"0x9d634cb4fb53f73c68cb792bdadf3229d8304b1732d9e240ed2fce2c0f241f9d", scamHeader+"; token USDT"),
	}
	for i := range want {
		if !reflect.DeepEqual(res.Labels[i], want[i]) {
			t.Errorf("label %d:\n got %+v\nwant %+v", i, res.Labels[i], want[i])
		}
	}
}

func TestCategoryWordFrozen(t *testing.T) {
	for _, w := range []string{"black_list", "Blacklist", " blacklisted ", "frozen"} {
		if c, ok := categoryWord(w); !ok || c != chains.CategoryFrozen {
			t.Errorf("%q: got %q, %v; want frozen", w, c, ok)
		}
	}
}
