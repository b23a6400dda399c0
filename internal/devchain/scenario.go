package devchain

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"freezetrace/chains"
)

// Step kinds.
const (
	KindToken   = "token"   // From sends Amount of Token to To
	KindMint    = "mint"    // the token's owner mints Amount of Token to To
	KindETH     = "eth"     // From sends Amount wei to To
	KindForward = "forward" // From calls forwarder-1.forward{Amount}(Recipients, Amounts)
	KindRelay   = "relay"   // From calls forwarder-1.relay{Amount}(forwarder-2, Recipients, Amounts)
	// The issuer's steps: the owner of Token (a Tether or Circle one)
	// freezes To, unfreezes it, or destroys its frozen balance (Tether
	// only). They move no tokens: Played lists them in Freezes, not in
	// Transfers.
	KindFreeze   = "freeze"   // addBlackList(To) / blacklist(To)
	KindUnfreeze = "unfreeze" // removeBlackList(To) / unBlacklist(To)
	KindDestroy  = "destroy"  // destroyBlackFunds(To)
)

// Token kinds: which contract stands for a token.
const (
	Plain  = ""       // Token.sol: an ERC-20 nobody can freeze
	Tether = "tether" // TetherToken.sol: Tether's blacklist (isBlackListed, AddedBlackList)
	Circle = "circle" // FiatToken.sol: Circle's blacklist (isBlacklisted, Blacklisted)
)

// The two Forwarder contracts every scenario has; their names can be used
// as recipients. A Forwarder refuses plain ether, so paying one reverts.
const (
	Forwarder1 = "forwarder-1"
	Forwarder2 = "forwarder-2"
)

// Token is an ERC-20 placed at Address from genesis, whose owner (the only
// one who may mint, and freeze) is the actor Owner. Kind chooses the
// contract: Token.sol (Plain), TetherToken.sol or FiatToken.sol, which
// share Token.sol's constructor and storage layout.
type Token struct {
	Name     string // the scenario's name for it; also the ERC-20 name
	Symbol   string
	Decimals uint8
	Address  common.Address
	Owner    string
	Kind     string // Plain, Tether or Circle
}

// Step is one transaction of a scenario. Amounts are base units (the
// token's, or wei).
type Step struct {
	// Block is the block the transaction lands in; the chain seals empty
	// blocks up to it. Consecutive steps with the same Block share it. 0
	// means the next block (or, after a step with SameBlock, that one).
	Block      uint64
	Kind       string
	Token      string // KindToken, KindMint and the issuer's steps: the token's Name
	From       string
	To         string
	Amount     *big.Int
	Recipients []string   // forward, relay
	Amounts    []*big.Int // forward, relay
	Victim     bool       // a victim's payment: its hash starts the trace
	SameBlock  bool       // the next step lands in the same block
	// WaitBlocks empty blocks spanning WaitFor are sealed after the step.
	WaitBlocks uint64
	WaitFor    time.Duration
}

// Scenario is what to play on a dev chain.
type Scenario struct {
	Name   string
	Tokens []Token
	// Contracts are actors that hold code from genesis (a contract that
	// accepts every call), e.g. a labeled mixer.
	Contracts []string
	Steps     []Step
	// BlockSeconds is the time between empty blocks (default 12).
	BlockSeconds uint64
	// Key derives an actor's key from its name.
	Key func(name string) *ecdsa.PrivateKey
}

// Actors lists every actor the scenario names (forwarders excluded, token
// owners and code-holding actors included), sorted.
func (sc Scenario) Actors() []string {
	set := map[string]bool{}
	add := func(n string) {
		if n != "" && n != Forwarder1 && n != Forwarder2 {
			set[n] = true
		}
	}
	for _, t := range sc.Tokens {
		add(t.Owner)
	}
	for _, n := range sc.Contracts {
		add(n)
	}
	for _, s := range sc.Steps {
		add(s.From)
		add(s.To)
		for _, r := range s.Recipients {
			add(r)
		}
	}
	return slices.Sorted(func(yield func(string) bool) {
		for n := range set {
			if !yield(n) {
				return
			}
		}
	})
}

// ForwarderAddress is where Forwarder name sits from genesis.
func ForwarderAddress(name string) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte("freezetrace/devchain/" + name))[12:])
}

// Address is the address of an actor, forwarder or token of the scenario.
func (sc Scenario) Address(name string) common.Address {
	switch name {
	case Forwarder1, Forwarder2:
		return ForwarderAddress(name)
	}
	for _, t := range sc.Tokens {
		if t.Name == name {
			return t.Address
		}
	}
	return crypto.PubkeyToAddress(sc.Key(name).PublicKey)
}

// Genesis returns the accounts the scenario needs at genesis: every actor
// with 1,000 ETH (code-holding actors with code instead), the tokens and
// the forwarders.
func (sc Scenario) Genesis() (types.GenesisAlloc, error) {
	alloc := types.GenesisAlloc{}
	code := map[string]bool{}
	for _, n := range sc.Contracts {
		code[n] = true
	}
	for _, n := range sc.Actors() {
		if code[n] {
			alloc[sc.Address(n)] = types.Account{Code: []byte{0x00}, Balance: new(big.Int)} // STOP: accepts every call
			continue
		}
		alloc[sc.Address(n)] = types.Account{Balance: new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))}
	}
	for _, t := range sc.Tokens {
		acct, _, err := tokenAccount(t.Kind, t.Name, t.Symbol, t.Decimals, sc.Address(t.Owner))
		if err != nil {
			return nil, err
		}
		alloc[t.Address] = acct
	}
	fw, _, err := forwarderAccount()
	if err != nil {
		return nil, err
	}
	alloc[ForwarderAddress(Forwarder1)] = fw
	alloc[ForwarderAddress(Forwarder2)] = fw
	return alloc, nil
}

// Run starts a chain for sc (cfg.Alloc is replaced by sc.Genesis) and plays
// it. Close the chain when done.
func Run(ctx context.Context, cfg Config, sc Scenario) (*Chain, *Played, error) {
	alloc, err := sc.Genesis()
	if err != nil {
		return nil, nil, err
	}
	cfg.Alloc = alloc
	c, err := Start(cfg)
	if err != nil {
		return nil, nil, err
	}
	p, err := c.Play(ctx, sc)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, p, nil
}

// Played is what playing a scenario did, in the chain's own terms.
type Played struct {
	Scenario string                    `json:"scenario"`
	RPC      string                    `json:"rpc"`
	ChainID  uint64                    `json:"chain_id"`
	Tokens   map[string]chains.Asset   `json:"tokens"`
	Actors   map[string]chains.Address `json:"actors"`
	// VictimTxs are the victims' payments, in the order played.
	VictimTxs []chains.TxHash `json:"victim_txs"`
	// Freezes are the issuers' steps (freezes, unfreezes, destroyed
	// funds), in the order played.
	Freezes []FreezeInfo `json:"freezes,omitempty"`
	// Transfers is every transfer the scenario made, of the tokens and of
	// ether, internal ones included, in canonical order, built from what
	// each step meant to do and checked against the receipts.
	Transfers []chains.Transfer `json:"transfers"`
	Head      uint64            `json:"head"` // newest block after the play
	// Blocks are the blocks that hold the scenario's transfers.
	Blocks []BlockInfo `json:"blocks"`
	// Txs are the scenario's transactions in order.
	Txs []TxInfo `json:"-"`
}

// BlockInfo is a block the scenario wrote to.
type BlockInfo struct {
	Number uint64      `json:"number"`
	Hash   common.Hash `json:"hash"`
	Parent common.Hash `json:"parent_hash"`
	Time   time.Time   `json:"time"`
	TxN    int         `json:"transaction_count"`
}

// FreezeInfo is an issuer's step as the chain recorded it.
type FreezeInfo struct {
	Kind    string         `json:"kind"`  // KindFreeze, KindUnfreeze or KindDestroy
	Token   string         `json:"token"` // the token's Name
	Actor   string         `json:"actor"`
	Address chains.Address `json:"address"`
	Tx      chains.TxHash  `json:"tx"`
	Block   uint64         `json:"block"`
	Time    time.Time      `json:"time"`
	// Amount is the balance destroyed (KindDestroy).
	Amount *chains.Amount `json:"amount,omitempty"`
}

// TxInfo is a transaction the scenario sent, as ethereum-etl exports it.
type TxInfo struct {
	Hash     common.Hash
	Nonce    uint64
	Block    uint64
	Index    uint
	From     common.Address
	To       common.Address
	Value    *big.Int
	Gas      uint64
	GasPrice *big.Int
	Input    []byte
	Status   uint64
}

// player plays one scenario on one chain.
type player struct {
	c        *Chain
	sc       Scenario
	tokenABI abi.ABI
	kindABI  map[string]abi.ABI // by Token.Kind
	fwdABI   abi.ABI
	played   *Played
	blocks   map[uint64]BlockInfo
}

type pendingStep struct {
	index int
	step  Step
	hash  common.Hash
}

// Play plays the scenario's steps on a chain started with sc.Genesis().
func (c *Chain) Play(ctx context.Context, sc Scenario) (*Played, error) {
	if sc.Key == nil {
		return nil, fmt.Errorf("scenario %s: no key derivation", sc.Name)
	}
	if sc.BlockSeconds == 0 {
		sc.BlockSeconds = 12
	}
	p := &player{c: c, sc: sc, blocks: map[uint64]BlockInfo{}, kindABI: map[string]abi.ABI{}}
	var err error
	for _, k := range []string{Plain, Tether, Circle} {
		if _, p.kindABI[k], err = tokenAccount(k, "x", "x", 0, common.Address{}); err != nil {
			return nil, err
		}
	}
	p.tokenABI = p.kindABI[Plain]
	if _, p.fwdABI, err = forwarderAccount(); err != nil {
		return nil, err
	}
	p.played = &Played{Scenario: sc.Name, RPC: c.URL, ChainID: c.ChainID.Uint64(),
		Tokens: map[string]chains.Asset{}, Actors: map[string]chains.Address{}}
	for _, t := range sc.Tokens {
		p.played.Tokens[t.Name] = chains.Asset{
			ID:     chains.AssetID{Chain: chains.Ethereum, Contract: chains.NewAddress(chains.FamilyEVM, t.Address)},
			Symbol: t.Symbol, Decimals: t.Decimals,
		}
	}
	for _, n := range append(sc.Actors(), Forwarder1, Forwarder2) {
		p.played.Actors[n] = chains.NewAddress(chains.FamilyEVM, sc.Address(n))
	}
	var pending []pendingStep
	for i, st := range sc.Steps {
		if st.Block != 0 && len(pending) == 0 {
			for c.Head()+1 < st.Block {
				if err := c.Wait(1, time.Duration(sc.BlockSeconds)*time.Second); err != nil {
					return nil, err
				}
			}
			if c.Head()+1 != st.Block {
				return nil, fmt.Errorf("step %d: block %d is not after the head %d", i, st.Block, c.Head())
			}
		}
		h, err := p.send(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("step %d (%s %s→%s): %w", i, st.Kind, st.From, st.To, err)
		}
		pending = append(pending, pendingStep{i, st, h})
		if i+1 < len(sc.Steps) && (st.SameBlock || (st.Block != 0 && sc.Steps[i+1].Block == st.Block)) {
			continue
		}
		if err := c.MineAll(len(pending)); err != nil {
			return nil, fmt.Errorf("step %d: %w", i, err)
		}
		for _, ps := range pending {
			if err := p.record(ctx, ps); err != nil {
				return nil, fmt.Errorf("step %d: %w", ps.index, err)
			}
		}
		pending = nil
		if err := c.Wait(st.WaitBlocks, st.WaitFor); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(p.played.Transfers, chains.Compare)
	p.played.Head = c.Head()
	for _, b := range p.blocks {
		p.played.Blocks = append(p.played.Blocks, b)
	}
	slices.SortFunc(p.played.Blocks, func(a, b BlockInfo) int { return cmpU64(a.Number, b.Number) })
	return p.played, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (p *player) token(name string) (Token, error) {
	for _, t := range p.sc.Tokens {
		if t.Name == name {
			return t, nil
		}
	}
	return Token{}, fmt.Errorf("unknown token %q", name)
}

func (p *player) send(ctx context.Context, st Step) (common.Hash, error) {
	addr := p.sc.Address
	switch st.Kind {
	case KindMint, KindToken:
		tk, err := p.token(st.Token)
		if err != nil {
			return common.Hash{}, err
		}
		var data []byte
		from := st.From
		if st.Kind == KindMint {
			from = tk.Owner
			data, err = p.tokenABI.Pack("mint", addr(st.To), st.Amount)
		} else {
			data, err = p.tokenABI.Pack("transfer", addr(st.To), st.Amount)
		}
		if err != nil {
			return common.Hash{}, err
		}
		return p.c.Send(ctx, p.sc.Key(from), &tk.Address, nil, data, 1_000_000)
	case KindETH:
		to := addr(st.To)
		return p.c.Send(ctx, p.sc.Key(st.From), &to, st.Amount, nil, 100_000)
	case KindForward, KindRelay:
		to := make([]common.Address, len(st.Recipients))
		for i, r := range st.Recipients {
			to[i] = addr(r)
		}
		var data []byte
		var err error
		if st.Kind == KindForward {
			data, err = p.fwdABI.Pack("forward", to, st.Amounts)
		} else {
			data, err = p.fwdABI.Pack("relay", addr(Forwarder2), to, st.Amounts)
		}
		if err != nil {
			return common.Hash{}, err
		}
		f1 := addr(Forwarder1)
		return p.c.Send(ctx, p.sc.Key(st.From), &f1, st.Amount, data, 2_000_000)
	case KindFreeze, KindUnfreeze, KindDestroy:
		tk, err := p.token(st.Token)
		if err != nil {
			return common.Hash{}, err
		}
		method, ok := issuerMethods[tk.Kind][st.Kind]
		if !ok {
			return common.Hash{}, fmt.Errorf("token %s (kind %q) has no %s", tk.Name, tk.Kind, st.Kind)
		}
		data, err := p.kindABI[tk.Kind].Pack(method, addr(st.To))
		if err != nil {
			return common.Hash{}, err
		}
		return p.c.Send(ctx, p.sc.Key(tk.Owner), &tk.Address, nil, data, 1_000_000)
	}
	return common.Hash{}, fmt.Errorf("unknown step kind %q", st.Kind)
}

// issuerMethods are the contract methods of the issuer's steps, by token
// kind and step kind, and issuerEvents the events they emit.
var (
	issuerMethods = map[string]map[string]string{
		Tether: {KindFreeze: "addBlackList", KindUnfreeze: "removeBlackList", KindDestroy: "destroyBlackFunds"},
		Circle: {KindFreeze: "blacklist", KindUnfreeze: "unBlacklist"},
	}
	issuerEvents = map[string]map[string]string{
		Tether: {KindFreeze: "AddedBlackList", KindUnfreeze: "RemovedBlackList", KindDestroy: "DestroyedBlackFunds"},
		Circle: {KindFreeze: "Blacklisted", KindUnfreeze: "UnBlacklisted"},
	}
)

// MarshalJSON writes p with each transfer's asset and transaction index,
// which chains.Transfer leaves out of its own JSON.
func (p *Played) MarshalJSON() ([]byte, error) {
	type transfer struct {
		chains.Transfer
		Asset   chains.AssetID `json:"asset"`
		TxIndex uint32         `json:"tx_index"`
	}
	type plain Played
	out := struct {
		*plain
		Transfers []transfer `json:"transfers"`
	}{plain: (*plain)(p)}
	for _, t := range p.Transfers {
		out.Transfers = append(out.Transfers, transfer{Transfer: t, Asset: t.Asset, TxIndex: t.TxIndex})
	}
	return json.Marshal(out)
}
