package devchain_test

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
	"freezetrace/internal/devchain"
)

// isFrozen reads the issuer's getter for addr at block.
func isFrozen(t *testing.T, c *devchain.Chain, token common.Address, getter string, addr chains.Address, block uint64) bool {
	t.Helper()
	a := addr.Bytes()
	data := append(crypto.Keccak256([]byte(getter))[:4], common.LeftPadBytes(a[:], 32)...)
	out, err := c.Client().CallContract(context.Background(), ethereum.CallMsg{To: &token, Data: data}, new(big.Int).SetUint64(block))
	if err != nil || len(out) != 32 {
		t.Fatalf("%s at block %d: %x %v", getter, block, out, err)
	}
	return out[31] == 1
}

// TestIssuerSteps plays freezes, an unfreeze and a destruction on a
// Tether-style and a Circle-style token: the contracts answer as played,
// Played lists each step with its transaction, and none is a transfer.
func TestIssuerSteps(t *testing.T) {
	usdc := common.Address(chains.USDCEthereum.Contract.Bytes())
	sc := devchain.Scenario{
		Name: "issuer-steps", Key: devchain.Key,
		Tokens: []devchain.Token{
			{Name: "usdt", Symbol: "USDT", Decimals: 6, Address: devchain.USDT, Owner: "issuer", Kind: devchain.Tether},
			{Name: "usdc", Symbol: "USDC", Decimals: 6, Address: usdc, Owner: "issuer", Kind: devchain.Circle},
		},
		Steps: []devchain.Step{
			{Kind: devchain.KindMint, Token: "usdt", To: "thief", Amount: big.NewInt(700), WaitBlocks: 3, WaitFor: time.Hour},
			{Kind: devchain.KindFreeze, Token: "usdt", To: "thief", SameBlock: true},
			{Kind: devchain.KindFreeze, Token: "usdc", To: "thief"},
			{Kind: devchain.KindDestroy, Token: "usdt", To: "thief", WaitBlocks: 2, WaitFor: time.Minute},
			{Kind: devchain.KindUnfreeze, Token: "usdc", To: "thief"},
		},
	}
	c, p := run(t, devchain.Config{}, sc)
	thief := p.Actors["thief"]
	if len(p.Transfers) != 1 {
		t.Errorf("%d transfers, want the mint only", len(p.Transfers))
	}
	if len(p.Freezes) != 4 {
		t.Fatalf("%d issuer steps recorded, want 4: %+v", len(p.Freezes), p.Freezes)
	}
	freeze, cfreeze, destroy, unfreeze := p.Freezes[0], p.Freezes[1], p.Freezes[2], p.Freezes[3]
	for i, tc := range []struct {
		kind, token string
	}{{devchain.KindFreeze, "usdt"}, {devchain.KindFreeze, "usdc"}, {devchain.KindDestroy, "usdt"}, {devchain.KindUnfreeze, "usdc"}} {
		f := p.Freezes[i]
		if f.Kind != tc.kind || f.Token != tc.token || f.Actor != "thief" || f.Address != thief || f.Tx == (chains.TxHash{}) || f.Time.IsZero() {
			t.Errorf("step %d: %+v, want %s of thief on %s", i, f, tc.kind, tc.token)
		}
		r, err := c.Client().TransactionReceipt(context.Background(), common.Hash(f.Tx))
		if err != nil || r.BlockNumber.Uint64() != f.Block {
			t.Errorf("step %d: receipt %v %v, want one in block %d", i, r, err, f.Block)
		}
	}
	if freeze.Block != cfreeze.Block || destroy.Block <= freeze.Block || unfreeze.Block <= destroy.Block {
		t.Errorf("blocks %d, %d, %d, %d: want the freezes together, then the destruction, then the unfreeze",
			freeze.Block, cfreeze.Block, destroy.Block, unfreeze.Block)
	}
	if destroy.Amount == nil || destroy.Amount.Cmp(chains.NewAmount(700)) != 0 || freeze.Amount != nil {
		t.Errorf("amounts %v (destroy), %v (freeze): want 700 and none", destroy.Amount, freeze.Amount)
	}
	for _, tc := range []struct {
		token  common.Address
		getter string
		block  uint64
		want   bool
	}{
		{devchain.USDT, "isBlackListed(address)", freeze.Block - 1, false},
		{devchain.USDT, "isBlackListed(address)", freeze.Block, true},
		{devchain.USDT, "isBlackListed(address)", p.Head, true},
		{usdc, "isBlacklisted(address)", freeze.Block - 1, false},
		{usdc, "isBlacklisted(address)", unfreeze.Block - 1, true},
		{usdc, "isBlacklisted(address)", p.Head, false},
	} {
		if got := isFrozen(t, c, tc.token, tc.getter, thief, tc.block); got != tc.want {
			t.Errorf("%s at block %d: %v, want %v", tc.getter, tc.block, got, tc.want)
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back devchain.Played
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Freezes) != 4 || back.Freezes[2].Tx != destroy.Tx || back.Freezes[2].Amount.Cmp(*destroy.Amount) != 0 {
		t.Errorf("freezes through JSON: %+v", back.Freezes)
	}
}

// TestIssuerStepRefused: a token whose contract has no such step makes
// the play fail with a message naming it.
func TestIssuerStepRefused(t *testing.T) {
	for _, tc := range []struct {
		kind, step, want string
	}{
		{devchain.Plain, devchain.KindFreeze, `(kind "") has no freeze`},
		{devchain.Circle, devchain.KindDestroy, `(kind "circle") has no destroy`},
	} {
		sc := devchain.Scenario{
			Name: "refused", Key: devchain.Key,
			Tokens: []devchain.Token{{Name: "tok", Symbol: "TOK", Decimals: 6, Address: common.Address{0x42}, Owner: "issuer", Kind: tc.kind}},
			Steps:  []devchain.Step{{Kind: tc.step, Token: "tok", To: "thief"}},
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		c, _, err := devchain.Run(ctx, devchain.Config{}, sc)
		cancel()
		if err == nil {
			c.Close()
			t.Errorf("%s on a %q token: played, want an error", tc.step, tc.kind)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s on a %q token: %v, want %q", tc.step, tc.kind, err, tc.want)
		}
	}
	sc := devchain.Scenario{Name: "bad-kind", Key: devchain.Key,
		Tokens: []devchain.Token{{Name: "tok", Symbol: "TOK", Address: common.Address{0x42}, Owner: "issuer", Kind: "paxos"}}}
	if _, err := sc.Genesis(); err == nil || !strings.Contains(err.Error(), `unknown kind "paxos"`) {
		t.Errorf("unknown token kind: %v", err)
	}
}

// TestFixtureFreeze: the fixture's USDT is Tether's contract, its look-alike
// a plain token, and the play ends with Tether freezing the stash, the
// wallet left holding the most stolen USDT (a held endpoint under every
// rule), after every transfer.
func TestFixtureFreeze(t *testing.T) {
	fx, sc := fixture(t)
	kinds := map[string]string{}
	for _, tk := range sc.Tokens {
		kinds[tk.Name] = tk.Kind
	}
	if kinds["usdt"] != devchain.Tether || kinds["fake-usdt"] != devchain.Plain {
		t.Errorf("token kinds %v, want usdt tether and fake-usdt plain", kinds)
	}
	if got := devchain.FrozenActor(fx); got != "stash" {
		t.Fatalf("FrozenActor: %q, want stash", got)
	}
	last := sc.Steps[len(sc.Steps)-1]
	if last.Kind != devchain.KindFreeze || last.Token != "usdt" || last.To != "stash" {
		t.Fatalf("last step %+v, want the stash's freeze", last)
	}
	c, p := run(t, devchain.Config{}, sc)
	if len(p.Freezes) != 1 {
		t.Fatalf("freezes %+v, want one", p.Freezes)
	}
	f := p.Freezes[0]
	if f.Address != fx.MustAddress("stash") || f.Block != p.Head {
		t.Errorf("freeze %+v, want the stash's in the last block %d", f, p.Head)
	}
	for _, tr := range p.Transfers {
		if tr.Block >= f.Block {
			t.Errorf("transfer in block %d, not before the freeze (block %d)", tr.Block, f.Block)
		}
	}
	if !isFrozen(t, c, devchain.USDT, "isBlackListed(address)", f.Address, p.Head) || isFrozen(t, c, devchain.USDT, "isBlackListed(address)", f.Address, f.Block-1) {
		t.Error("the stash is not frozen from the freeze's block on")
	}
}
