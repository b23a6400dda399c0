package devchain

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/fixtures/contracts"
)

// DEX is Uniswap V2 deployed on a chain by transactions: WETH9, a factory
// and a router (fixtures/contracts), which emit mainnet's events. Its
// methods act as a given account the way a wallet does (approve the
// router, then call it), and each mines the block(s) holding its own
// transactions: call them with no transaction pending.
type DEX struct {
	WETH    common.Address
	Factory common.Address
	Router  common.Address

	c                                       *Chain
	wethABI, pairABI, factoryABI, routerABI abi.ABI
	erc20                                   abi.ABI // Token.sol's, for approve and mint
}

// Gas limits of the DEX's transactions, about twice what they use on the
// dev chain, whose Amsterdam rules price new storage far above mainnet's
// (a first mint uses ~245k gas, an approval ~135k).
const (
	gasDeploy = 10_000_000
	gasToken  = 500_000    // approve, mint
	gasPool   = 10_000_000 // addLiquidity* may create the pair
	gasSwap   = 2_000_000
)

// swapDeadline is how long after the head the router's deadline lies, as
// a wallet sets it.
const swapDeadline = 30 * 60

func loadABI(load func() (contracts.Contract, error)) (contracts.Contract, abi.ABI, error) {
	c, err := load()
	if err != nil {
		return contracts.Contract{}, abi.ABI{}, err
	}
	a, err := abi.JSON(strings.NewReader(c.ABI))
	if err != nil {
		return contracts.Contract{}, abi.ABI{}, fmt.Errorf("%s abi: %w", c.Name, err)
	}
	return c, a, nil
}

// Deploy deploys a contract with constructor arguments args by a
// transaction of key's in a block of its own, and returns its address.
func (c *Chain) Deploy(ctx context.Context, key *ecdsa.PrivateKey, load func() (contracts.Contract, error), args ...any) (common.Address, error) {
	ct, a, err := loadABI(load)
	if err != nil {
		return common.Address{}, err
	}
	packed, err := a.Pack("", args...)
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy %s: constructor: %w", ct.Name, err)
	}
	h, err := c.Send(ctx, key, nil, nil, append(append([]byte{}, ct.Bytecode...), packed...), gasDeploy)
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy %s: %w", ct.Name, err)
	}
	rs, err := c.mined(ctx, h)
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy %s: %w", ct.Name, err)
	}
	return rs[0].ContractAddress, nil
}

// DeployToken deploys a token of a kind (Plain, Tether or Circle), owned
// by owner, in a block of its own.
func (c *Chain) DeployToken(ctx context.Context, owner *ecdsa.PrivateKey, kind, name, symbol string, decimals uint8) (common.Address, error) {
	load := map[string]func() (contracts.Contract, error){
		Plain: contracts.Token, Tether: contracts.TetherToken, Circle: contracts.FiatToken}[kind]
	if load == nil {
		return common.Address{}, fmt.Errorf("token %s: unknown kind %q (want %q, %q or %q)", name, kind, Plain, Tether, Circle)
	}
	return c.Deploy(ctx, owner, load, name, symbol, decimals)
}

// Mint has a token's owner mint amount to to, in a block of its own.
func (c *Chain) Mint(ctx context.Context, owner *ecdsa.PrivateKey, token, to common.Address, amount *big.Int) error {
	_, a, err := loadABI(contracts.Token)
	if err != nil {
		return err
	}
	h, err := c.transact(ctx, owner, token, nil, gasToken, a, "mint", to, amount)
	if err != nil {
		return err
	}
	_, err = c.mined(ctx, h)
	return err
}

// DeployDEX deploys WETH9 and the factory in one block, then the router
// (constructed with their addresses) in the next, all from deployer.
func DeployDEX(ctx context.Context, c *Chain, deployer *ecdsa.PrivateKey) (*DEX, error) {
	d := &DEX{c: c}
	var err error
	var weth, factory, router contracts.Contract
	if weth, d.wethABI, err = loadABI(contracts.WETH9); err != nil {
		return nil, err
	}
	if _, d.pairABI, err = loadABI(contracts.UniswapV2Pair); err != nil {
		return nil, err
	}
	if factory, d.factoryABI, err = loadABI(contracts.UniswapV2Factory); err != nil {
		return nil, err
	}
	if router, d.routerABI, err = loadABI(contracts.UniswapV2Router02); err != nil {
		return nil, err
	}
	if _, d.erc20, err = loadABI(contracts.Token); err != nil {
		return nil, err
	}
	hw, err := c.Send(ctx, deployer, nil, nil, weth.Bytecode, gasDeploy)
	if err != nil {
		return nil, fmt.Errorf("deploy WETH9: %w", err)
	}
	hf, err := c.Send(ctx, deployer, nil, nil, factory.Bytecode, gasDeploy)
	if err != nil {
		return nil, fmt.Errorf("deploy factory: %w", err)
	}
	rs, err := c.mined(ctx, hw, hf)
	if err != nil {
		return nil, fmt.Errorf("deploy WETH9 and factory: %w", err)
	}
	d.WETH, d.Factory = rs[0].ContractAddress, rs[1].ContractAddress
	args, err := d.routerABI.Pack("", d.Factory, d.WETH)
	if err != nil {
		return nil, fmt.Errorf("deploy router: constructor: %w", err)
	}
	hr, err := c.Send(ctx, deployer, nil, nil, append(append([]byte{}, router.Bytecode...), args...), gasDeploy)
	if err != nil {
		return nil, fmt.Errorf("deploy router: %w", err)
	}
	if rs, err = c.mined(ctx, hr); err != nil {
		return nil, fmt.Errorf("deploy router: %w", err)
	}
	d.Router = rs[0].ContractAddress
	return d, nil
}

// Pair is the pair of two tokens (the zero address if there is none).
func (d *DEX) Pair(ctx context.Context, tokenA, tokenB common.Address) (common.Address, error) {
	out, err := d.c.view(ctx, d.Factory, d.factoryABI, "getPair", tokenA, tokenB)
	if err != nil {
		return common.Address{}, err
	}
	return out[0].(common.Address), nil
}

// Reserves are the reserves of the pair of tokenA and tokenB, in that
// order (whichever is the pair's token0).
func (d *DEX) Reserves(ctx context.Context, tokenA, tokenB common.Address) (reserveA, reserveB *big.Int, err error) {
	pair, err := d.Pair(ctx, tokenA, tokenB)
	if err != nil {
		return nil, nil, err
	}
	if pair == (common.Address{}) {
		return nil, nil, fmt.Errorf("reserves: no pair of %s and %s", tokenA.Hex(), tokenB.Hex())
	}
	out, err := d.c.view(ctx, pair, d.pairABI, "getReserves")
	if err != nil {
		return nil, nil, err
	}
	r0, r1 := out[0].(*big.Int), out[1].(*big.Int)
	if tokenA.Cmp(tokenB) > 0 {
		return r1, r0, nil
	}
	return r0, r1, nil
}

// AmountsOut is the router's getAmountsOut(amountIn, path).
func (d *DEX) AmountsOut(ctx context.Context, amountIn *big.Int, path []common.Address) ([]*big.Int, error) {
	out, err := d.c.view(ctx, d.Router, d.routerABI, "getAmountsOut", amountIn, path)
	if err != nil {
		return nil, err
	}
	return out[0].([]*big.Int), nil
}

// AddLiquidity has provider approve the router for amountA of tokenA and
// amountB of tokenB and add them to their pair (created if need be),
// minting the liquidity tokens to provider, in one block. It returns the
// pair. The pool takes the amounts as given when it is empty, and at its
// price otherwise (up to the amounts given).
func (d *DEX) AddLiquidity(ctx context.Context, provider *ecdsa.PrivateKey, tokenA, tokenB common.Address, amountA, amountB *big.Int) (common.Address, error) {
	from := crypto.PubkeyToAddress(provider.PublicKey)
	h1, err := d.c.transact(ctx, provider, tokenA, nil, gasToken, d.erc20, "approve", d.Router, amountA)
	if err != nil {
		return common.Address{}, err
	}
	h2, err := d.c.transact(ctx, provider, tokenB, nil, gasToken, d.erc20, "approve", d.Router, amountB)
	if err != nil {
		return common.Address{}, err
	}
	h3, err := d.c.transact(ctx, provider, d.Router, nil, gasPool, d.routerABI, "addLiquidity",
		tokenA, tokenB, amountA, amountB, new(big.Int), new(big.Int), from, d.deadline())
	if err != nil {
		return common.Address{}, err
	}
	if _, err := d.c.mined(ctx, h1, h2, h3); err != nil {
		return common.Address{}, fmt.Errorf("add liquidity: %w", err)
	}
	return d.Pair(ctx, tokenA, tokenB)
}

// AddLiquidityETH has provider approve the router for amount of token and
// add it with wei of ether (wrapped by the router) to the token's WETH
// pair, created if need be, in one block. It returns the pair.
func (d *DEX) AddLiquidityETH(ctx context.Context, provider *ecdsa.PrivateKey, token common.Address, amount, wei *big.Int) (common.Address, error) {
	from := crypto.PubkeyToAddress(provider.PublicKey)
	h1, err := d.c.transact(ctx, provider, token, nil, gasToken, d.erc20, "approve", d.Router, amount)
	if err != nil {
		return common.Address{}, err
	}
	h2, err := d.c.transact(ctx, provider, d.Router, wei, gasPool, d.routerABI, "addLiquidityETH",
		token, amount, new(big.Int), new(big.Int), from, d.deadline())
	if err != nil {
		return common.Address{}, err
	}
	if _, err := d.c.mined(ctx, h1, h2); err != nil {
		return common.Address{}, fmt.Errorf("add liquidity: %w", err)
	}
	return d.Pair(ctx, token, d.WETH)
}

// SwapExactTokensForETH has trader approve the router for amountIn of
// path[0] and swap it along path (which must end in WETH) for at least
// amountOutMin wei paid to to, in one block (the approval first). It
// returns the swap's receipt.
func (d *DEX) SwapExactTokensForETH(ctx context.Context, trader *ecdsa.PrivateKey, amountIn, amountOutMin *big.Int, path []common.Address, to common.Address) (*types.Receipt, error) {
	return d.approveAndSwap(ctx, trader, "swapExactTokensForETH", amountIn, amountOutMin, path, to)
}

// SwapExactTokensForTokens has trader approve the router for amountIn of
// path[0] and swap it along path for at least amountOutMin of the last
// token, paid to to, in one block (the approval first). It returns the
// swap's receipt.
func (d *DEX) SwapExactTokensForTokens(ctx context.Context, trader *ecdsa.PrivateKey, amountIn, amountOutMin *big.Int, path []common.Address, to common.Address) (*types.Receipt, error) {
	return d.approveAndSwap(ctx, trader, "swapExactTokensForTokens", amountIn, amountOutMin, path, to)
}

// SwapExactETHForTokens has trader swap wei of ether along path (which
// must start with WETH) for at least amountOutMin of the last token, paid
// to to, in a block of its own. It returns the swap's receipt.
func (d *DEX) SwapExactETHForTokens(ctx context.Context, trader *ecdsa.PrivateKey, wei, amountOutMin *big.Int, path []common.Address, to common.Address) (*types.Receipt, error) {
	h, err := d.c.transact(ctx, trader, d.Router, wei, gasSwap, d.routerABI, "swapExactETHForTokens", amountOutMin, path, to, d.deadline())
	if err != nil {
		return nil, err
	}
	rs, err := d.c.mined(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("swapExactETHForTokens: %w", err)
	}
	return rs[0], nil
}

func (d *DEX) approveAndSwap(ctx context.Context, trader *ecdsa.PrivateKey, method string, amountIn, amountOutMin *big.Int, path []common.Address, to common.Address) (*types.Receipt, error) {
	if len(path) < 2 {
		return nil, fmt.Errorf("%s: path of %d tokens, want at least 2", method, len(path))
	}
	h1, err := d.c.transact(ctx, trader, path[0], nil, gasToken, d.erc20, "approve", d.Router, amountIn)
	if err != nil {
		return nil, err
	}
	h2, err := d.c.transact(ctx, trader, d.Router, nil, gasSwap, d.routerABI, method, amountIn, amountOutMin, path, to, d.deadline())
	if err != nil {
		return nil, err
	}
	rs, err := d.c.mined(ctx, h1, h2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	return rs[1], nil
}

// deadline is the router deadline for a transaction in the next block.
func (d *DEX) deadline() *big.Int {
	return new(big.Int).SetUint64(d.c.backend.BlockChain().CurrentBlock().Time + swapDeadline)
}

// transact sends method(args...) of a to the contract at to, with value
// wei, for the next block.
func (c *Chain) transact(ctx context.Context, key *ecdsa.PrivateKey, to common.Address, value *big.Int, gas uint64, a abi.ABI, method string, args ...any) (common.Hash, error) {
	data, err := a.Pack(method, args...)
	if err != nil {
		return common.Hash{}, fmt.Errorf("%s: %w", method, err)
	}
	h, err := c.Send(ctx, key, &to, value, data, gas)
	if err != nil {
		return common.Hash{}, fmt.Errorf("%s: %w", method, err)
	}
	return h, nil
}

// mined mines one block holding exactly the transactions hs (sent since
// the last block, in that order) and returns their receipts; it fails if
// any reverted.
func (c *Chain) mined(ctx context.Context, hs ...common.Hash) ([]*types.Receipt, error) {
	if err := c.MineAll(len(hs)); err != nil {
		return nil, err
	}
	rs := make([]*types.Receipt, len(hs))
	for i, h := range hs {
		r, err := c.Receipt(ctx, h)
		if err != nil {
			return nil, err
		}
		rs[i] = r
	}
	return rs, nil
}

// view is eth_call of method(args...) of a at the head.
func (c *Chain) view(ctx context.Context, to common.Address, a abi.ABI, method string, args ...any) ([]any, error) {
	data, err := a.Pack(method, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	out, err := c.client.CallContract(ctx, ethereum.CallMsg{To: &to, Data: data}, nil)
	if err != nil {
		return nil, fmt.Errorf("call %s of %s: %w", method, to.Hex(), err)
	}
	vs, err := a.Unpack(method, out)
	if err != nil {
		return nil, fmt.Errorf("call %s of %s: %w", method, to.Hex(), err)
	}
	return vs, nil
}
