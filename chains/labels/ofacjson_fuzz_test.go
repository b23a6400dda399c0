package labels

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"freezetrace/chains"
)

// FuzzOFACJSON reads arbitrary .json lists of the OFAC extract for each
// kind of asset code (a stablecoin, a chain, a chain not traced): a list
// that is not a JSON array of strings is an input error naming the file;
// otherwise every entry is counted once, and every label is an entry of
// the array, read for the code's chain.
func FuzzOFACJSON(f *testing.F) {
	codes := []string{"USDT", "ETH", "TRX", "USDC", "XBT", "BSC"}
	f.Add([]byte(`["0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "0xa0e1c89Ef1a489c9C7dE96311eD5Ce5D32c20E4B"]`), uint8(1))
	f.Add([]byte("[\n  \"TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR\",\n  \"0x7F367cC41522cE07553e823bf3be79A889DEbe1B\"\n]\n"), uint8(0))
	f.Add([]byte(`["TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre", "TX", 5]`), uint8(2))
	f.Add([]byte(`["12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"]`), uint8(4))
	f.Add([]byte("\xef\xbb\xbf[\"0x55d398326f99059ff775485246999027b3197955\"]"), uint8(5))
	f.Add([]byte(`{"addresses": []}`), uint8(1))
	f.Add([]byte(`[]`), uint8(3))
	f.Add([]byte(`["0x12",`), uint8(1))
	// The real lists of the shared test data, where present (not in a
	// fresh clone).
	for i, code := range codes {
		if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "data", "labels", "ofac-sanctioned-0xb10c", "sanctioned_addresses_"+code+".json")); err == nil && len(b) < 4<<10 {
			f.Add(b, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, code uint8) {
		name := "sanctioned_addresses_" + codes[int(code)%len(codes)] + ".json"
		res, err := ParseOFACList(strings.NewReader(string(data)), name, Options{})
		if err != nil {
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), name) {
				t.Fatalf("error %v: want an input error naming %s", err, name)
			}
			return
		}
		checkResult(t, res, err)
		var entries []string
		if err := json.Unmarshal([]byte(strings.TrimPrefix(string(data), "\xef\xbb\xbf")), &entries); err != nil {
			t.Fatalf("read %q, which is not a JSON array of strings: %v", data, err)
		}
		if res.Read != len(entries) {
			t.Fatalf("read %d entries of %d", res.Read, len(entries))
		}
		for _, l := range res.Labels {
			found := false
			for _, e := range entries {
				if a, err := l.Chain.ParseAddress(strings.TrimSpace(e)); err == nil && a == l.Address {
					found = true
					break
				}
			}
			if !found || l.Category != chains.CategorySanctioned {
				t.Fatalf("label %+v is no entry of %s", l, data)
			}
		}
	})
}
