package tron_test

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"freezetrace/chains"
)

// freezeState is what the fake grid knows of issuers' freezes: the
// blacklist and the balances its constant calls read, and the events
// /v1/contracts/{c}/events lists.
type freezeState struct {
	blacklisted map[held]bool
	balances    map[held]*big.Int
	events      []fakeEvent
	// noFingerprint drops meta.fingerprint from full event pages, as
	// TronGrid sometimes does (TRON-US/trongrid#23).
	noFingerprint bool
	// revert makes isBlackListed revert with an Error(string) reason.
	revert string
}

// fakeEvent is one AddedBlackList or DestroyedBlackFunds event of a token.
type fakeEvent struct {
	contract chains.Address
	name     string
	user     chains.Address
	amount   uint64 // DestroyedBlackFunds' _balance
	tx       chains.TxHash
	block    uint64
	index    int
}

// held keys a token contract's state of one address.
type held struct{ contract, addr chains.Address }

// token registers a TRC-20 token's metadata.
func (g *fakeGrid) token(c chains.Address, symbol string, decimals int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens[c] = fakeToken{symbol: symbol, decimals: decimals}
	g.contracts[c] = true
}

// blacklist freezes a in token c: isBlackListed(a) answers true.
func (g *fakeGrid) blacklist(c, a chains.Address) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.freeze.blacklisted == nil {
		g.freeze.blacklisted = make(map[held]bool)
	}
	g.freeze.blacklisted[held{c, a}] = true
}

// setBalance sets what balanceOf(a) on token c answers: the state now,
// after every transfer the fake holds.
func (g *fakeGrid) setBalance(c, a chains.Address, v uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.freeze.balances == nil {
		g.freeze.balances = make(map[held]*big.Int)
	}
	g.freeze.balances[held{c, a}] = new(big.Int).SetUint64(v)
}

// addEvents adds events; their blocks must have times.
func (g *fakeGrid) addEvents(evs ...fakeEvent) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ev := range evs {
		if _, ok := g.blockTime[ev.block]; !ok {
			g.t.Fatalf("fake: event in block %d, which has no time", ev.block)
		}
	}
	g.freeze.events = append(g.freeze.events, evs...)
}

// setFreeze changes the freeze state's switches under the lock.
func (g *fakeGrid) setFreeze(f func(*freezeState)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f(&g.freeze)
}

// failFirst answers the first n requests to path with status and body
// instead of the fake.
func (g *fakeGrid) failFirst(path string, n, status int, body string) {
	left := n
	g.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != path || left == 0 {
			return false
		}
		left--
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
		return true
	})
}

// constant answers /wallet(solidity)/triggerconstantcontract as java-tron
// does: result.result false with a code when the call is refused, a
// FAILED transaction.ret when it reverts.
func (g *fakeGrid) constant(body map[string]any) any {
	c, err := chains.Tron.ParseAddress(fmt.Sprint(body["contract_address"]))
	tok, ok := g.tokens[c]
	if err != nil || !ok {
		return map[string]any{"result": map[string]any{"code": "CONTRACT_VALIDATE_ERROR", "message": "6e6f20636f6e7472616374"}}
	}
	var res string
	switch sel := body["function_selector"]; sel {
	case "decimals()":
		res = fmt.Sprintf("%064x", tok.decimals)
	case "symbol()":
		res = fmt.Sprintf("%064x%064x", 32, len(tok.symbol)) + hex.EncodeToString([]byte(tok.symbol))
		res += strings.Repeat("0", (64-len(res)%64)%64)
	case "isBlackListed(address)", "getBlackListStatus(address)", "balanceOf(address)":
		p := fmt.Sprint(body["parameter"])
		b, err := hex.DecodeString(p)
		if err != nil || len(b) != 32 || strings.Trim(p[:24], "0") != "" {
			return map[string]any{"result": map[string]any{"code": "OTHER_ERROR", "message": "class java.lang.IllegalArgumentException : bad parameter"}}
		}
		a, _ := chains.AddressFromSlice(chains.FamilyTRON, b[12:])
		switch {
		case sel == "balanceOf(address)":
			v := g.freeze.balances[held{c, a}]
			if v == nil {
				v = new(big.Int)
			}
			res = fmt.Sprintf("%064x", v)
		case g.freeze.revert != "":
			reason := fmt.Sprintf("08c379a0%064x%064x", 32, len(g.freeze.revert)) + hex.EncodeToString([]byte(g.freeze.revert))
			reason += strings.Repeat("0", (64-(len(reason)-8)%64)%64)
			return constantAnswer(body, reason, "FAILED")
		case g.freeze.blacklisted[held{c, a}]:
			res = fmt.Sprintf("%064x", 1)
		default:
			res = fmt.Sprintf("%064x", 0)
		}
		return constantAnswer(body, res, "")
	default:
		return map[string]any{"result": map[string]any{"result": false}}
	}
	return map[string]any{"result": map[string]any{"result": true}, "energy_used": 270, "constant_result": []any{res}}
}

// constantAnswer is a TransactionExtention with the unsigned transaction
// java-tron builds for the call; ret is "FAILED" for a revert.
func constantAnswer(body map[string]any, res, ret string) map[string]any {
	r := map[string]any{"result": true}
	status := map[string]any{}
	if ret != "" {
		status["ret"] = ret
		r["message"] = "REVERT opcode executed"
	}
	return map[string]any{
		"result":          r,
		"energy_used":     538,
		"constant_result": []any{res},
		"transaction": map[string]any{
			"ret":     []any{status},
			"visible": body["visible"] == true,
			"txID":    strings.Repeat("c1", 32),
			"raw_data": map[string]any{
				"contract": []any{map[string]any{
					"parameter": map[string]any{
						"value": map[string]any{
							"owner_address":    body["owner_address"],
							"contract_address": body["contract_address"],
						},
						"type_url": "type.googleapis.com/protocol.TriggerSmartContract",
					},
					"type": "TriggerSmartContract",
				}},
				"ref_block_bytes": "28c0", "ref_block_hash": "9eabbe133123b34c",
				"expiration": 1767225660000, "timestamp": 1767225600000,
			},
			"raw_data_hex": "0a0228c0",
		},
	}
}

// events answers /v1/contracts/{c}/events: confirmed events of one name,
// block_timestamp in ms, newest first unless order_by=block_timestamp,asc,
// paged by fingerprint.
func (g *fakeGrid) events(w http.ResponseWriter, r *http.Request, who string) any {
	c, err := chains.Tron.ParseAddress(who)
	if err != nil {
		http.Error(w, `{"success":false,"error":"bad address"}`, http.StatusBadRequest)
		return nil
	}
	q := r.URL.Query()
	var lo int64
	if v := q.Get("min_block_timestamp"); v != "" {
		if lo, err = strconv.ParseInt(v, 10, 64); err != nil {
			http.Error(w, `{"success":false,"error":"bad min_block_timestamp"}`, http.StatusBadRequest)
			return nil
		}
	}
	var evs []fakeEvent
	for _, ev := range g.freeze.events {
		if ev.contract == c && ev.name == q.Get("event_name") && g.blockTime[ev.block] >= lo {
			evs = append(evs, ev)
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].block != evs[j].block {
			return evs[i].block < evs[j].block
		}
		return evs[i].index < evs[j].index
	})
	switch q.Get("order_by") {
	case "block_timestamp,asc":
	case "", "block_timestamp,desc":
		for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
			evs[i], evs[j] = evs[j], evs[i]
		}
	default:
		http.Error(w, `{"success":false,"error":"bad order_by"}`, http.StatusBadRequest)
		return nil
	}
	out := paginate(w, r, len(evs), func(i int) map[string]any { return g.eventJSON(evs[i]) })
	if m, ok := out.(map[string]any); ok && g.freeze.noFingerprint {
		meta := m["meta"].(map[string]any)
		delete(meta, "fingerprint")
		delete(meta, "links")
	}
	return out
}

func (g *fakeGrid) eventJSON(ev fakeEvent) map[string]any {
	user := "0x" + hexOf(ev.user)
	result := map[string]any{"0": user}
	types := map[string]any{}
	var sig string
	switch ev.name {
	case "AddedBlackList", "RemovedBlackList":
		result["_user"], types["_user"] = user, "address"
		sig = ev.name + "(address _user)"
	case "DestroyedBlackFunds":
		v := strconv.FormatUint(ev.amount, 10)
		result["1"], result["_blackListedUser"], result["_balance"] = v, user, v
		types["_blackListedUser"], types["_balance"] = "address", "uint256"
		sig = "DestroyedBlackFunds(address _blackListedUser, uint256 _balance)"
	}
	return map[string]any{
		"block_number":            ev.block,
		"block_timestamp":         g.blockTime[ev.block],
		"caller_contract_address": ev.contract.String(),
		"contract_address":        ev.contract.String(),
		"event_index":             ev.index,
		"event_name":              ev.name,
		"result":                  result,
		"result_type":             types,
		"event":                   sig,
		"transaction_id":          hex.EncodeToString(ev.tx[:]),
	}
}
