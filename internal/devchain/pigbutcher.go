package devchain

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
	"freezetrace/fixtures"
)

// Key derives an actor's key the way the fixtures do:
// keccak256("freezetrace/fixture/" + name).
func Key(name string) *ecdsa.PrivateKey { return fixtures.PrivateKey(name) }

func usdt(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1_000_000)) }

func milliEther(n int64) *big.Int {
	return new(big.Int).Mul(big.NewInt(n), big.NewInt(1_000_000_000_000_000))
}

// USDT is where the scenarios' USDT sits: Tether's mainnet address, so that
// reports name Tether as the issuer who can freeze it.
var USDT = common.Address(chains.USDTEthereum.Contract.Bytes())

// PigButcher is the dev chain's own small scenario: two victims pay USDT to
// fresh collection addresses, the funds mix with clean money, split, pool
// and land at an exchange deposit address that sweeps to the exchange's
// hot wallet; a third victim pays ether that a contract splits through
// internal calls (one of which reverts) and relays through a second
// contract. Waits make it span a few hundred blocks, well past a 50-block
// eth_getLogs cap. The USDT is Tether's contract (TetherToken.sol), and
// after everything else the issuer freezes the pool, which still holds
// 3,000 of the stolen USDT.
func PigButcher() Scenario {
	return Scenario{
		Name: "devchain-pigbutcher", Key: Key,
		Tokens: []Token{{Name: "usdt", Symbol: "USDT", Decimals: 6, Address: USDT, Owner: "issuer", Kind: Tether}},
		Steps: []Step{
			{Kind: KindMint, Token: "usdt", To: "victim-alice", Amount: usdt(10_000), SameBlock: true},
			{Kind: KindMint, Token: "usdt", To: "victim-bob", Amount: usdt(5_000), SameBlock: true},
			{Kind: KindMint, Token: "usdt", To: "clean-funder", Amount: usdt(7_000), WaitBlocks: 40, WaitFor: 8 * time.Hour},
			{Kind: KindToken, Token: "usdt", From: "victim-alice", To: "collect-1", Amount: usdt(3_000), Victim: true, WaitBlocks: 30, WaitFor: 2 * time.Hour},
			{Kind: KindToken, Token: "usdt", From: "clean-funder", To: "collect-1", Amount: usdt(7_000), WaitBlocks: 25, WaitFor: time.Hour},
			{Kind: KindToken, Token: "usdt", From: "collect-1", To: "hop-a", Amount: usdt(4_000), SameBlock: true},
			{Kind: KindToken, Token: "usdt", From: "collect-1", To: "hop-b", Amount: usdt(6_000), WaitBlocks: 60, WaitFor: 20 * time.Hour},
			{Kind: KindToken, Token: "usdt", From: "victim-bob", To: "collect-2", Amount: usdt(5_000), Victim: true},
			{Kind: KindToken, Token: "usdt", From: "poisoner", To: "collect-2", Amount: new(big.Int), WaitBlocks: 35, WaitFor: 3 * time.Hour},
			{Kind: KindToken, Token: "usdt", From: "collect-2", To: "pool", Amount: usdt(5_000)},
			{Kind: KindToken, Token: "usdt", From: "hop-b", To: "pool", Amount: usdt(6_000), WaitBlocks: 20, WaitFor: time.Hour},
			{Kind: KindToken, Token: "usdt", From: "hop-a", To: "deposit-x", Amount: usdt(4_000)},
			{Kind: KindToken, Token: "usdt", From: "deposit-x", To: "exchange-hot", Amount: usdt(4_000)},
			{Kind: KindToken, Token: "usdt", From: "pool", To: "deposit-x", Amount: usdt(8_000), WaitBlocks: 30, WaitFor: 6 * time.Hour},
			{Kind: KindETH, From: "victim-carol", To: "scam-eth", Amount: milliEther(3_000), Victim: true, WaitBlocks: 5, WaitFor: 10 * time.Minute},
			{Kind: KindForward, From: "scam-eth", Amount: milliEther(2_000),
				Recipients: []string{"hop-c", "hop-d", Forwarder2}, Amounts: []*big.Int{milliEther(1_200), milliEther(500), milliEther(300)}},
			{Kind: KindRelay, From: "scam-eth", Amount: milliEther(600),
				Recipients: []string{"deposit-x", "hop-c"}, Amounts: []*big.Int{milliEther(400), milliEther(200)}, WaitBlocks: 10, WaitFor: time.Hour},
			{Kind: KindETH, From: "hop-c", To: "deposit-x", Amount: milliEther(1_000), WaitBlocks: 10, WaitFor: time.Hour},
			{Kind: KindFreeze, Token: "usdt", To: "pool"},
		},
	}
}

// FromFixture turns a fixtures scenario into one the dev chain plays: the
// same actors (same keys, so the same addresses), tokens at the fixture's
// addresses with the gas station as their minter, each step in the
// fixture's block. A token whose address is a known stablecoin's
// (chains.SchemeOf) gets its issuer's contract: Tether's USDT, Circle's
// USDC. The fixture has no internal transfers, so the gas station then
// funds wallets through the forwarders (one payment reverts), and ten empty
// blocks follow. Last, when the case's asset can be frozen, its issuer
// freezes the scam wallet that ends up holding the most of it (FrozenActor).
// Circle's USDC is placed too, without transfers, when the fixture has
// none. None of these additions is a token transfer, so what the fixture's
// transfers trace to is unchanged.
func FromFixture(s *fixtures.Scenario) (Scenario, error) {
	sc := Scenario{Name: s.Name + "-devchain", Key: Key, BlockSeconds: uint64(s.BlockSeconds)}
	infos := s.AssetInfos()
	native := map[string]bool{}
	for i, a := range s.Assets {
		if a.Native {
			native[a.Name] = true
			continue
		}
		kind := Plain
		if scheme, ok := chains.SchemeOf(infos[i].ID); ok {
			kind = map[string]string{chains.TetherScheme.Issuer: Tether, chains.CircleScheme.Issuer: Circle}[scheme.Issuer]
		}
		sc.Tokens = append(sc.Tokens, Token{Name: a.Name, Symbol: infos[i].Symbol, Decimals: infos[i].Decimals,
			Address: common.Address(infos[i].ID.Contract.Bytes()), Owner: "gas-station", Kind: kind})
	}
	// Mainnet has both issuers' contracts: a dev chain without Circle's
	// USDC would answer "no such token" where mainnet answers a balance.
	usdc := common.Address(chains.USDCEthereum.Contract.Bytes())
	if !slices.ContainsFunc(sc.Tokens, func(t Token) bool { return t.Address == usdc }) {
		sc.Tokens = append(sc.Tokens, Token{Name: "usdc", Symbol: "USDC", Decimals: 6, Address: usdc, Owner: "gas-station", Kind: Circle})
	}
	for _, a := range s.Actors {
		if a.Contract {
			sc.Contracts = append(sc.Contracts, a.Name)
		}
		if want := crypto.PubkeyToAddress(Key(a.Name).PublicKey); common.Address(s.MustAddress(a.Name).Bytes()) != want {
			return Scenario{}, fmt.Errorf("actor %s: fixture address differs from the derived key's", a.Name)
		}
	}
	victims, deposits := map[string]bool{}, map[string]bool{}
	for _, v := range s.Case.Victims {
		victims[v] = true
	}
	for _, d := range s.Case.Deposits {
		deposits[d] = true
	}
	var last uint64
	for _, x := range s.Txs() {
		st := x.Step
		step := Step{Block: st.Block, From: st.From, To: st.To, Amount: x.Transfer.Amount.Big(), Token: st.Asset,
			Victim: victims[st.From] && deposits[st.To] && st.Asset == s.Case.Asset}
		switch {
		case native[st.Asset]:
			step.Kind, step.Token = KindETH, ""
		case st.From == fixtures.Mint:
			step.Kind, step.From = KindMint, ""
		default:
			step.Kind = KindToken
		}
		sc.Steps = append(sc.Steps, step)
		last = st.Block
	}
	sc.Steps = append(sc.Steps,
		Step{Block: last + 5, Kind: KindForward, From: "gas-station", Amount: milliEther(300),
			Recipients: []string{"collect-1", "peel-2", Forwarder2}, Amounts: []*big.Int{milliEther(100), milliEther(150), milliEther(50)}},
		Step{Block: last + 6, Kind: KindRelay, From: "gas-station", Amount: milliEther(200),
			Recipients: []string{"fan-a", "fan-b"}, Amounts: []*big.Int{milliEther(120), milliEther(80)}, WaitBlocks: 10, WaitFor: 120 * time.Second},
	)
	for _, t := range sc.Tokens {
		if t.Name == s.Case.Asset && t.Kind != Plain {
			if name := FrozenActor(s); name != "" {
				sc.Steps = append(sc.Steps, Step{Kind: KindFreeze, Token: t.Name, To: name})
			}
		}
	}
	return sc, nil
}

// FrozenActor is the actor FromFixture has the issuer freeze: of the fixture's
// scam wallets, the one holding the most of the case's asset once every
// step is played (the first by name of equals); "" when none holds any.
func FrozenActor(s *fixtures.Scenario) string {
	asset, err := s.Asset(s.Case.Asset)
	if err != nil {
		return ""
	}
	held := map[chains.Address]*big.Int{}
	for _, t := range s.Transfers() {
		if t.Asset != asset {
			continue
		}
		for _, a := range []chains.Address{t.From, t.To} {
			if held[a] == nil {
				held[a] = new(big.Int)
			}
		}
		held[t.From].Sub(held[t.From], t.Amount.Big())
		held[t.To].Add(held[t.To], t.Amount.Big())
	}
	best, most := "", new(big.Int)
	for _, a := range s.Actors {
		v := held[s.MustAddress(a.Name)]
		if a.Role != "scam" || v == nil {
			continue
		}
		if c := v.Cmp(most); c > 0 || (c == 0 && v.Sign() > 0 && a.Name < best) {
			best, most = a.Name, v
		}
	}
	return best
}
