package devchain

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm/runtime"
	"github.com/ethereum/go-ethereum/params"

	"freezetrace/fixtures/contracts"
)

// constructed runs a contract's constructor in a scratch EVM and returns
// the runtime code and storage it leaves, so that the contract can be
// placed at any address in the genesis block (a token at USDT's mainnet
// address, say) with owner as its deployer.
func constructed(c contracts.Contract, args []byte, owner common.Address) (types.Account, error) {
	st, err := state.New(types.EmptyRootHash, state.NewDatabaseForTesting())
	if err != nil {
		return types.Account{}, err
	}
	cfg := &runtime.Config{ChainConfig: params.AllDevChainProtocolChanges, Origin: owner, State: st, GasLimit: 30_000_000,
		BlockNumber: big.NewInt(0), BaseFee: big.NewInt(0)}
	code, addr, _, err := runtime.Create(append(append([]byte{}, c.Bytecode...), args...), cfg)
	if err != nil {
		return types.Account{}, fmt.Errorf("construct %s: %w", c.Name, err)
	}
	storage := map[common.Hash]common.Hash{}
	// Token.sol keeps name and symbol in slots 0 and 1 (short strings
	// inline), and so do TetherToken.sol and FiatToken.sol (their
	// blacklist is the mapping at slot 5); nothing else is set by a
	// constructor here.
	for slot := int64(0); slot < 8; slot++ {
		k := common.BigToHash(big.NewInt(slot))
		if v := st.GetState(addr, k); v != (common.Hash{}) {
			storage[k] = v
		}
	}
	return types.Account{Code: code, Storage: storage, Balance: new(big.Int)}, nil
}

// tokenAccount is the contract of a token kind (Token.sol, TetherToken.sol
// or FiatToken.sol) constructed with (name, symbol, decimals).
func tokenAccount(kind, name, symbol string, decimals uint8, owner common.Address) (types.Account, abi.ABI, error) {
	load := map[string]func() (contracts.Contract, error){
		Plain: contracts.Token, Tether: contracts.TetherToken, Circle: contracts.FiatToken}[kind]
	if load == nil {
		return types.Account{}, abi.ABI{}, fmt.Errorf("token %s: unknown kind %q (want %q, %q or %q)", name, kind, Plain, Tether, Circle)
	}
	tk, err := load()
	if err != nil {
		return types.Account{}, abi.ABI{}, err
	}
	a, err := abi.JSON(strings.NewReader(tk.ABI))
	if err != nil {
		return types.Account{}, abi.ABI{}, fmt.Errorf("token abi: %w", err)
	}
	args, err := a.Pack("", name, symbol, decimals)
	if err != nil {
		return types.Account{}, abi.ABI{}, fmt.Errorf("token constructor: %w", err)
	}
	if len(name) > 31 || len(symbol) > 31 {
		return types.Account{}, abi.ABI{}, fmt.Errorf("token %s: name and symbol must be under 32 bytes", name)
	}
	acct, err := constructed(tk, args, owner)
	return acct, a, err
}

// forwarderAccount is Forwarder.sol.
func forwarderAccount() (types.Account, abi.ABI, error) {
	fw, err := contracts.Forwarder()
	if err != nil {
		return types.Account{}, abi.ABI{}, err
	}
	a, err := abi.JSON(strings.NewReader(fw.ABI))
	if err != nil {
		return types.Account{}, abi.ABI{}, fmt.Errorf("forwarder abi: %w", err)
	}
	acct, err := constructed(fw, nil, common.Address{})
	return acct, a, err
}
