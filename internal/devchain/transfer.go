package devchain

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"freezetrace/fixtures/contracts"
)

// gasPay is the gas of a plain ether payment to an account without code.
const gasPay = 21_000

// TransferToken has key's account send amount of token to to, in a block
// of its own, and returns the receipt.
func (c *Chain) TransferToken(ctx context.Context, key *ecdsa.PrivateKey, token, to common.Address, amount *big.Int) (*types.Receipt, error) {
	_, a, err := loadABI(contracts.Token)
	if err != nil {
		return nil, err
	}
	h, err := c.transact(ctx, key, token, nil, gasToken, a, "transfer", to, amount)
	if err != nil {
		return nil, err
	}
	rs, err := c.mined(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("transfer of %s: %w", token.Hex(), err)
	}
	return rs[0], nil
}

// Pay has key's account send wei of ether to to, in a block of its own,
// and returns the receipt.
func (c *Chain) Pay(ctx context.Context, key *ecdsa.PrivateKey, to common.Address, wei *big.Int) (*types.Receipt, error) {
	h, err := c.Send(ctx, key, &to, wei, nil, gasPay)
	if err != nil {
		return nil, err
	}
	rs, err := c.mined(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("payment to %s: %w", to.Hex(), err)
	}
	return rs[0], nil
}
