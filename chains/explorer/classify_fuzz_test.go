package explorer

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzClassify reads arbitrary answer bodies as the envelope of every
// explorer answer: the result of a good answer comes back as valid JSON
// (an OK answer's result unchanged), a refusal as an error that never
// shows the API key, whatever the body says, and a refusal of the key is
// an ErrAPIKey that carries the hint.
func FuzzClassify(f *testing.F) {
	const key = "FZKEY0123456789ABCDEF0123456789AB"
	for _, s := range []string{
		`{"status":"1","message":"OK","result":[{"blockNumber":"20000001","timeStamp":"1717200000","hash":"0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2"}]}`,
		`{"status":"0","message":"No transactions found","result":[]}`,
		`{"status":"0","message":"No records found","result":null}`,
		`{"status":"0","message":"NOTOK","result":"Max calls per sec rate limit reached (3/sec)"}`,
		`{"status":"0","message":"NOTOK","result":"Invalid API Key (#err2)|FZKEY0123456789ABCDEF0123456789AB"}`,
		`{"status":"0","message":"NOTOK","result":"Missing/Invalid API Key"}`,
		`{"status":"0","message":"Result window is too large, PageNo x Offset size must be less than or equal to 10000","result":null}`,
		`{"status":"0","message":"NOTOK","result":"Error! Invalid address format"}`,
		`{"status":"1","message":"OK","result":"20000001"}`,
		`{"jsonrpc":"2.0","id":83,"result":"0x1312d10"}`,
		`{"jsonrpc":"2.0","id":1,"result":null}`,
		`{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"invalid argument 0: hex string without 0x prefix"}}`,
		`{"jsonrpc":"2.0","id":1,"result":"Invalid API Key FZKEY0123456789ABCDEF0123456789AB"}`,
		`{"status":"1","message":"OK-Missing/Invalid API Key, rate limit of 1/5sec applied","result":[]}`,
		`<html><body>502 Bad Gateway</body></html>`,
		`{"status":"1","message":"OK","result":[`,
	} {
		f.Add([]byte(s))
	}
	s, err := New(Options{APIKey: key, Rate: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := s.classify(body)
		if err != nil {
			if strings.Contains(err.Error(), key) {
				t.Fatalf("error shows the key: %v", err)
			}
			if errors.Is(err, ErrAPIKey) && !strings.Contains(err.Error(), KeyHint) {
				t.Fatalf("a refused key without the hint: %v", err)
			}
			return
		}
		if !json.Valid(res) {
			t.Fatalf("result %q is not JSON", res)
		}
		var a answer
		if json.Unmarshal(body, &a) != nil {
			t.Fatalf("accepted %q, which is not an answer", body)
		}
		if a.Error != nil {
			t.Fatalf("accepted a JSON-RPC error: %s", body)
		}
		if a.Status == "1" && string(res) != string(a.Result) {
			t.Fatalf("OK answer's result %s came back as %s", a.Result, res)
		}
	})
}
