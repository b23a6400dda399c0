package devchain_test

import (
	"bytes"
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"

	"freezetrace/fixtures/contracts"
	"freezetrace/internal/devchain"
)

// The issuers' blacklist selectors and event topics, as mainnet has them.
var (
	blacklistSelectors = map[string]string{
		"isBlackListed(address)":      "e47d6060",
		"getBlackListStatus(address)": "59bf1abe",
		"addBlackList(address)":       "0ecb93c0",
		"removeBlackList(address)":    "e4997dc5",
		"destroyBlackFunds(address)":  "f3bdc228",
		"isBlacklisted(address)":      "fe575a87",
		"blacklist(address)":          "f9f92be4",
		"unBlacklist(address)":        "1a895266",
	}
	blacklistTopics = map[string]string{
		"AddedBlackList(address)":              "42e160154868087d6bfdc0ca23d96a1c1cfa32f1b72ba9ba27b69b98a0d819dc",
		"RemovedBlackList(address)":            "d7e9ec6e6ecd65492dce6bf513cd6867560d49544421d0783ddf06e76c24470c",
		"DestroyedBlackFunds(address,uint256)": "61e6e66b0d6339b2980aecc6ccc0039736791f0ccde9ed512e789a7fbdd698c6",
		"Blacklisted(address)":                 "ffa4e6181777692565cf28528fc88fd1516ea86b56da075235fa575af6a4b855",
		"UnBlacklisted(address)":               "117e3210bb9aa7d9baff172026820255c6f6c30ba8999d1c2fd88e2848137c4e",
	}
)

// TestBlacklistSignatures: the compiled contracts' selectors and topics are
// the mainnet ones above, so that callers can hard-code them.
func TestBlacklistSignatures(t *testing.T) {
	tether, fiat := stablecoinABI(t, contracts.TetherToken), stablecoinABI(t, contracts.FiatToken)
	for sig, want := range blacklistSelectors {
		if got := common.Bytes2Hex(crypto.Keccak256([]byte(sig))[:4]); got != want {
			t.Errorf("%s: selector %s, want %s", sig, got, want)
		}
		found := false
		for _, a := range []abi.ABI{tether, fiat} {
			for _, m := range a.Methods {
				if m.Sig == sig {
					found = true
					if got := common.Bytes2Hex(m.ID); got != want {
						t.Errorf("%s: abi selector %s, want %s", sig, got, want)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: in neither abi", sig)
		}
	}
	for sig, want := range blacklistTopics {
		if got := common.Bytes2Hex(crypto.Keccak256([]byte(sig))); got != want {
			t.Errorf("%s: topic %s, want %s", sig, got, want)
		}
		found := false
		for _, a := range []abi.ABI{tether, fiat} {
			for _, e := range a.Events {
				if e.Sig == sig {
					found = true
					if got := common.Bytes2Hex(e.ID.Bytes()); got != want {
						t.Errorf("%s: abi topic %s, want %s", sig, got, want)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: in neither abi", sig)
		}
	}
}

func stablecoinABI(t *testing.T, load func() (contracts.Contract, error)) abi.ABI {
	t.Helper()
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := abi.JSON(strings.NewReader(c.ABI))
	if err != nil {
		t.Fatalf("%s abi: %v", c.Name, err)
	}
	return a
}

// stablecoin is a deployed TetherToken or FiatToken.
type stablecoin struct {
	name string
	addr common.Address
	abi  abi.ABI
}

// blacklistChain is a dev chain with funded actors, driven one transaction
// per block.
type blacklistChain struct {
	t   *testing.T
	ctx context.Context
	c   *devchain.Chain
	rpc *ethclient.Client // over HTTP, as freezetrace reaches a node
}

func startBlacklistChain(t *testing.T, actors ...string) *blacklistChain {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	alloc := types.GenesisAlloc{}
	for _, n := range actors {
		alloc[addrOf(n)] = types.Account{Balance: new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))}
	}
	c, err := devchain.Start(devchain.Config{Alloc: alloc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rpc, err := ethclient.DialContext(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rpc.Close)
	return &blacklistChain{t: t, ctx: ctx, c: c, rpc: rpc}
}

// with is b reporting to t, for use inside t.Run.
func (b *blacklistChain) with(t *testing.T) *blacklistChain {
	c := *b
	c.t = t
	return &c
}

func addrOf(name string) common.Address { return crypto.PubkeyToAddress(devchain.Key(name).PublicKey) }

// send mines a block with one transaction of from's and returns its
// receipt, reverted or not.
func (b *blacklistChain) send(from string, to *common.Address, data []byte) *types.Receipt {
	b.t.Helper()
	h, err := b.c.Send(b.ctx, devchain.Key(from), to, nil, data, 3_000_000)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := b.c.MineAll(1); err != nil {
		b.t.Fatal(err)
	}
	r, err := b.rpc.TransactionReceipt(b.ctx, h)
	if err != nil {
		b.t.Fatal(err)
	}
	return r
}

func (b *blacklistChain) deploy(from string, load func() (contracts.Contract, error), name, symbol string, decimals uint8) stablecoin {
	b.t.Helper()
	a := stablecoinABI(b.t, load)
	c, _ := load()
	args, err := a.Pack("", name, symbol, decimals)
	if err != nil {
		b.t.Fatal(err)
	}
	r := b.send(from, nil, append(append([]byte{}, c.Bytecode...), args...))
	if r.Status != types.ReceiptStatusSuccessful {
		b.t.Fatalf("deploy %s: reverted", c.Name)
	}
	return stablecoin{name: c.Name, addr: r.ContractAddress, abi: a}
}

// call sends method(args...) to s from from. With revert "" it must
// succeed; otherwise it must revert, and eth_call of it just before must
// give revert as the reason.
func (b *blacklistChain) call(s stablecoin, from string, revert string, method string, args ...any) *types.Receipt {
	b.t.Helper()
	data, err := s.abi.Pack(method, args...)
	if err != nil {
		b.t.Fatalf("%s.%s: %v", s.name, method, err)
	}
	if revert != "" {
		_, err := b.rpc.CallContract(b.ctx, ethereum.CallMsg{From: addrOf(from), To: &s.addr, Data: data}, nil)
		if err == nil || !strings.HasSuffix(err.Error(), "execution reverted: "+revert) {
			b.t.Errorf("%s.%s from %s: eth_call error %v, want a revert with %q", s.name, method, from, err, revert)
		}
	}
	r := b.send(from, &s.addr, data)
	if got, want := r.Status == types.ReceiptStatusSuccessful, revert == ""; got != want {
		b.t.Errorf("%s.%s from %s: succeeded %v, want %v", s.name, method, from, got, want)
	}
	return r
}

// view is eth_call of a view method at block (nil for the latest).
func (b *blacklistChain) view(s stablecoin, block *big.Int, method string, args ...any) any {
	b.t.Helper()
	data, err := s.abi.Pack(method, args...)
	if err != nil {
		b.t.Fatalf("%s.%s: %v", s.name, method, err)
	}
	out, err := b.rpc.CallContract(b.ctx, ethereum.CallMsg{To: &s.addr, Data: data}, block)
	if err != nil {
		b.t.Fatalf("%s.%s at %v: %v", s.name, method, block, err)
	}
	vs, err := s.abi.Unpack(method, out)
	if err != nil || len(vs) != 1 {
		b.t.Fatalf("%s.%s at %v: %d values, %v", s.name, method, block, len(vs), err)
	}
	return vs[0]
}

func (b *blacklistChain) head() *big.Int { return new(big.Int).SetUint64(b.c.Head()) }

// oneLog is the only log of a receipt, which must be s's event.
func oneLog(t *testing.T, r *types.Receipt, s stablecoin, event string) *types.Log {
	t.Helper()
	if len(r.Logs) != 1 {
		t.Fatalf("%s: %d logs, want one %s", s.name, len(r.Logs), event)
	}
	l := r.Logs[0]
	if l.Address != s.addr || len(l.Topics) == 0 || l.Topics[0] != s.abi.Events[event].ID {
		t.Fatalf("%s: log of %s with topics %v, want %s", s.name, l.Address, l.Topics, event)
	}
	return l
}

// The contracts' revert reasons.
const (
	notOwner       = "not owner"
	tetherBlocked  = "blacklisted"
	tetherNotBlack = "not blacklisted"
	fiatBlocked    = "Blacklistable: account is blacklisted"
)

// TestBlacklist deploys TetherToken and FiatToken, blacklists a thief on
// both and reads the freeze status back over JSON-RPC, now and at the block
// before; checks who may still move funds, the events' topics and data, and
// Tether's destroyBlackFunds.
func TestBlacklist(t *testing.T) {
	const issuer, thief, other, third = "bl-issuer", "bl-thief", "bl-other", "bl-third"
	b := startBlacklistChain(t, issuer, thief, other, third)
	usdt := b.deploy(issuer, contracts.TetherToken, "Tether USD", "USDT", 6)
	usdc := b.deploy(issuer, contracts.FiatToken, "USD Coin", "USDC", 6)
	thiefAddr, otherAddr, thirdAddr := addrOf(thief), addrOf(other), addrOf(third)
	minted := big.NewInt(1_000_000_000)
	one := big.NewInt(1)
	for _, s := range []stablecoin{usdt, usdc} {
		b.call(s, issuer, "", "mint", thiefAddr, minted)
		b.call(s, issuer, "", "mint", otherAddr, minted)
		b.call(s, thief, notOwner, "mint", thiefAddr, minted)
		// Allowances given before the blacklisting.
		b.call(s, thief, "", "approve", otherAddr, abi.MaxUint256)
		b.call(s, other, "", "approve", thiefAddr, abi.MaxUint256)
		b.call(s, other, "", "approve", thirdAddr, abi.MaxUint256)
		b.call(s, thief, "", "transfer", thirdAddr, one)
	}
	before := b.head()

	b.call(usdt, thief, notOwner, "addBlackList", otherAddr)
	b.call(usdc, thief, notOwner, "blacklist", otherAddr)
	t.Run("AddedBlackList", func(t *testing.T) {
		b := b.with(t)
		l := oneLog(t, b.call(usdt, issuer, "", "addBlackList", thiefAddr), usdt, "AddedBlackList")
		if len(l.Topics) != 1 || !bytes.Equal(l.Data, common.LeftPadBytes(thiefAddr.Bytes(), 32)) {
			t.Errorf("topics %v, data %x: want the address in the data, not indexed", l.Topics, l.Data)
		}
	})
	t.Run("Blacklisted", func(t *testing.T) {
		b := b.with(t)
		l := oneLog(t, b.call(usdc, issuer, "", "blacklist", thiefAddr), usdc, "Blacklisted")
		if len(l.Topics) != 2 || l.Topics[1] != common.BytesToHash(thiefAddr.Bytes()) || len(l.Data) != 0 {
			t.Errorf("topics %v, data %x: want the address as topic 1, no data", l.Topics, l.Data)
		}
	})
	blacklisted := b.head()

	t.Run("Status", func(t *testing.T) {
		b := b.with(t)
		for _, tc := range []struct {
			s      stablecoin
			method string
		}{{usdt, "isBlackListed"}, {usdt, "getBlackListStatus"}, {usdc, "isBlacklisted"}} {
			for _, at := range []struct {
				block *big.Int
				want  bool
			}{{before, false}, {blacklisted, true}, {nil, true}} {
				if got := b.view(tc.s, at.block, tc.method, thiefAddr); got != at.want {
					t.Errorf("%s.%s(thief) at block %v: %v, want %v", tc.s.name, tc.method, at.block, got, at.want)
				}
			}
			if got := b.view(tc.s, nil, tc.method, otherAddr); got != false {
				t.Errorf("%s.%s(other): %v, want false", tc.s.name, tc.method, got)
			}
		}
	})

	t.Run("Tether", func(t *testing.T) {
		b := b.with(t)
		b.call(usdt, thief, tetherBlocked, "transfer", otherAddr, one)
		b.call(usdt, other, tetherBlocked, "transferFrom", thiefAddr, otherAddr, one)
		// A blacklisted address still receives, and may spend an allowance
		// (only from is checked).
		b.call(usdt, other, "", "transfer", thiefAddr, one)
		b.call(usdt, third, "", "transferFrom", otherAddr, thiefAddr, one)
		b.call(usdt, thief, "", "transferFrom", otherAddr, thirdAddr, one)
	})
	t.Run("Fiat", func(t *testing.T) {
		b := b.with(t)
		b.call(usdc, thief, fiatBlocked, "transfer", otherAddr, one)
		b.call(usdc, other, fiatBlocked, "transfer", thiefAddr, one)
		b.call(usdc, other, fiatBlocked, "transferFrom", thiefAddr, thirdAddr, one)
		b.call(usdc, third, fiatBlocked, "transferFrom", otherAddr, thiefAddr, one)
		b.call(usdc, thief, fiatBlocked, "transferFrom", otherAddr, thirdAddr, one)
		b.call(usdc, thief, fiatBlocked, "approve", otherAddr, one)
		b.call(usdc, other, fiatBlocked, "approve", thiefAddr, one)
		b.call(usdc, issuer, fiatBlocked, "mint", thiefAddr, one)
		b.call(usdc, other, "", "transfer", thirdAddr, one)
		b.call(usdc, third, "", "transferFrom", otherAddr, thirdAddr, one)
	})
	t.Run("Balances", func(t *testing.T) {
		b := b.with(t)
		for _, tc := range []struct {
			s    stablecoin
			want *big.Int
		}{
			{usdt, new(big.Int).Add(minted, one)}, // sent one, then received two
			{usdc, new(big.Int).Sub(minted, one)}, // sent one, then nothing moved
		} {
			if got := b.view(tc.s, nil, "balanceOf", thiefAddr).(*big.Int); got.Cmp(tc.want) != 0 {
				t.Errorf("%s: thief holds %v, want %v", tc.s.name, got, tc.want)
			}
		}
	})

	t.Run("DestroyedBlackFunds", func(t *testing.T) {
		b := b.with(t)
		b.call(usdt, issuer, tetherNotBlack, "destroyBlackFunds", otherAddr)
		b.call(usdt, thief, notOwner, "destroyBlackFunds", thiefAddr)
		held := b.view(usdt, nil, "balanceOf", thiefAddr).(*big.Int)
		supply := b.view(usdt, nil, "totalSupply").(*big.Int)
		if held.Sign() == 0 {
			t.Fatal("thief holds nothing to destroy")
		}
		l := oneLog(t, b.call(usdt, issuer, "", "destroyBlackFunds", thiefAddr), usdt, "DestroyedBlackFunds")
		want := append(common.LeftPadBytes(thiefAddr.Bytes(), 32), common.LeftPadBytes(held.Bytes(), 32)...)
		if len(l.Topics) != 1 || !bytes.Equal(l.Data, want) {
			t.Errorf("topics %v, data %x: want (%s, %v) in the data", l.Topics, l.Data, thiefAddr, held)
		}
		vs, err := usdt.abi.Unpack("DestroyedBlackFunds", l.Data)
		if err != nil || len(vs) != 2 || vs[0] != thiefAddr || vs[1].(*big.Int).Cmp(held) != 0 {
			t.Errorf("DestroyedBlackFunds decodes to %v (%v), want [%s %v]", vs, err, thiefAddr, held)
		}
		if got := b.view(usdt, nil, "balanceOf", thiefAddr).(*big.Int); got.Sign() != 0 {
			t.Errorf("thief holds %v after destroyBlackFunds, want 0", got)
		}
		if got, want := b.view(usdt, nil, "totalSupply").(*big.Int), new(big.Int).Sub(supply, held); got.Cmp(want) != 0 {
			t.Errorf("totalSupply %v after destroyBlackFunds, want %v", got, want)
		}
	})

	t.Run("Removed", func(t *testing.T) {
		b := b.with(t)
		b.call(usdt, thief, notOwner, "removeBlackList", thiefAddr)
		b.call(usdc, thief, notOwner, "unBlacklist", thiefAddr)
		l := oneLog(t, b.call(usdt, issuer, "", "removeBlackList", thiefAddr), usdt, "RemovedBlackList")
		if len(l.Topics) != 1 || !bytes.Equal(l.Data, common.LeftPadBytes(thiefAddr.Bytes(), 32)) {
			t.Errorf("RemovedBlackList topics %v, data %x: want the address in the data", l.Topics, l.Data)
		}
		l = oneLog(t, b.call(usdc, issuer, "", "unBlacklist", thiefAddr), usdc, "UnBlacklisted")
		if len(l.Topics) != 2 || l.Topics[1] != common.BytesToHash(thiefAddr.Bytes()) || len(l.Data) != 0 {
			t.Errorf("UnBlacklisted topics %v, data %x: want the address as topic 1", l.Topics, l.Data)
		}
		for _, tc := range []struct {
			s      stablecoin
			method string
		}{{usdt, "isBlackListed"}, {usdt, "getBlackListStatus"}, {usdc, "isBlacklisted"}} {
			if got := b.view(tc.s, nil, tc.method, thiefAddr); got != false {
				t.Errorf("%s.%s(thief) after removal: %v, want false", tc.s.name, tc.method, got)
			}
			if got := b.view(tc.s, blacklisted, tc.method, thiefAddr); got != true {
				t.Errorf("%s.%s(thief) at block %v: %v, want true", tc.s.name, tc.method, blacklisted, got)
			}
		}
		b.call(usdc, thief, "", "transfer", otherAddr, one)
	})
}
