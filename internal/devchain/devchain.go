// Package devchain runs a real go-ethereum node in-process as a development
// chain: JSON-RPC over HTTP on 127.0.0.1, blocks mined on demand by a
// simulated beacon, an eth_getLogs range cap like a provider's, and the
// debug API with the callTracer. It deploys the contracts of
// fixtures/contracts and plays a pig-butchering scenario on them, so that
// the EVM adapter, the cache and the trace engine can be tested against a
// node rather than mocks.
//
// Runs are reproducible: keys derive from actor names, gas prices are
// fixed, the genesis time is fixed (GenesisTime, or Config.Start), and
// block times follow the scenario (an empty block BlockSeconds after its
// parent, a block with transactions one second after) rather than the
// wall clock, whether the genesis lies in the past or in the future. The
// same scenario gives the same addresses, transactions, block numbers and
// times on every run; block hashes differ, since each block's randomness
// is drawn afresh.
//
// It is for tests and demos only (hence under internal/, with the fixtures
// it plays); nothing in freezetrace's tracing path may depend on it.
package devchain

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/eth/tracers"
	_ "github.com/ethereum/go-ethereum/eth/tracers/native" // callTracer
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/miner"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
)

// GenesisTime is the time of block 0 unless Config.Start says otherwise.
var GenesisTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// Config configures a Chain. The zero value gives chain id 1 (so that the
// chain answers for "ethereum") and no range cap.
type Config struct {
	ChainID    uint64             // default 1
	RangeLimit uint64             // eth_getLogs block-range cap; 0 for none
	Alloc      types.GenesisAlloc // accounts at genesis (Scenario.Genesis gives them)
	Verbose    bool               // let go-ethereum log to stderr
	// Start is the time of block 0, the genesis, to the second; every
	// block after it is dated by the scenario's spacing from there. Zero
	// means GenesisTime. It may lie in the past: no block is dated by the
	// wall clock.
	Start time.Time
}

// Chain is a running development chain.
type Chain struct {
	URL     string // http://127.0.0.1:PORT
	ChainID *big.Int

	stack   *node.Node
	backend *eth.Ethereum
	beacon  *catalyst.SimulatedBeacon
	client  *ethclient.Client
	signer  types.Signer
	nonces  map[common.Address]uint64
	sent    []*types.Transaction // sent since the last block, in order
}

// Start starts a chain at genesis and serves JSON-RPC on 127.0.0.1 on a
// free port. Close it when done.
func Start(cfg Config) (*Chain, error) {
	if cfg.ChainID == 0 {
		cfg.ChainID = 1
	}
	if cfg.Start.IsZero() {
		cfg.Start = GenesisTime
	}
	if cfg.Start.Unix() < 0 {
		return nil, fmt.Errorf("devchain start %s: before 1970", cfg.Start.Format(time.RFC3339))
	}
	if !cfg.Verbose {
		log.SetDefault(log.NewLogger(log.DiscardHandler()))
	}
	nc := node.DefaultConfig
	nc.DataDir = ""
	nc.P2P = p2p.Config{NoDiscovery: true, MaxPeers: 0, ListenAddr: ""}
	nc.HTTPHost = "127.0.0.1"
	nc.HTTPPort = 0
	nc.HTTPVirtualHosts = []string{"*"}
	nc.HTTPModules = []string{"eth", "net", "web3", "debug"}
	nc.AuthAddr = "127.0.0.1"
	nc.AuthPort = 0
	nc.WSHost = ""
	nc.IPCPath = ""
	stack, err := node.New(&nc)
	if err != nil {
		return nil, fmt.Errorf("devchain node: %w", err)
	}
	cc := *params.AllDevChainProtocolChanges
	cc.ChainID = new(big.Int).SetUint64(cfg.ChainID)
	alloc := core.SystemContractAllocs()
	maps.Copy(alloc, cfg.Alloc)
	ec := ethconfig.Defaults
	ec.Genesis = &core.Genesis{
		Config:    &cc,
		GasLimit:  ethconfig.Defaults.Miner.GasCeil,
		Alloc:     alloc,
		Timestamp: uint64(cfg.Start.Unix()),
		BaseFee:   big.NewInt(params.InitialBaseFee),
	}
	ec.SyncMode = ethconfig.FullSync
	ec.TxPool.NoLocals = true
	ec.LogNoHistory = true
	ec.NoPruning = true // an archive node: every block can be traced and queried
	ec.StateScheme = rawdb.HashScheme
	backend, err := eth.New(stack, &ec)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain eth: %w", err)
	}
	fs := filters.NewFilterSystem(backend.APIBackend, filters.Config{RangeLimit: cfg.RangeLimit})
	stack.RegisterAPIs(append([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(fs)}},
		tracers.APIs(backend.APIBackend)...))
	if err := stack.Start(); err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain start: %w", err)
	}
	beacon, err := catalyst.NewSimulatedBeacon(0, common.Address{}, backend)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain beacon: %w", err)
	}
	if err := beacon.Fork(backend.BlockChain().GetCanonicalHash(0)); err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain beacon: %w", err)
	}
	// Let the pool settle on the genesis head before the first transaction.
	if err := backend.TxPool().Sync(); err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain pool: %w", err)
	}
	return &Chain{
		URL:     stack.HTTPEndpoint(),
		ChainID: cc.ChainID,
		stack:   stack,
		backend: backend,
		beacon:  beacon,
		client:  ethclient.NewClient(stack.Attach()),
		signer:  types.LatestSignerForChainID(cc.ChainID),
		nonces:  map[common.Address]uint64{},
	}, nil
}

// Close stops the chain.
func (c *Chain) Close() error {
	c.client.Close()
	err := c.beacon.Stop()
	return errors.Join(err, c.stack.Close())
}

// Client is an in-process (not HTTP) client of the chain.
func (c *Chain) Client() *ethclient.Client { return c.client }

// Head is the number of the newest block.
func (c *Chain) Head() uint64 { return c.backend.BlockChain().CurrentBlock().Number.Uint64() }

// Mine seals one block with the transactions sent since the last block,
// one second after the head.
func (c *Chain) Mine() error { return c.seal() }

// seal seals one block one second after the head, holding the
// transactions sent since the last block, in the order they were sent. The
// simulated beacon's Commit would date it by the wall clock whenever that
// is later than the head (always, on a chain that starts in the past), so
// the block is built and inserted here with its time given, as the
// testing_commitBlockV1 API of go-ethereum does. Empty blocks still go
// through the beacon (Wait, AdjustTime), which takes a time relative to
// the head and picks up the blocks inserted here.
//
// The block holds c.sent rather than what the pool would pick: the pool
// decides which transactions are executable in a background reorg, and a
// reorg that resets the pool to a new head in the same run as it promotes
// a just-added transaction leaves that transaction queued behind its
// pending predecessor until the next block. Building from c.sent keeps the
// pool out of what a block holds; it only validates what Send adds.
func (c *Chain) seal() error {
	bc := c.backend.BlockChain()
	parent := bc.CurrentBlock()
	args := &miner.BuildPayloadArgs{
		Parent:      parent.Hash(),
		Timestamp:   parent.Time + 1,
		Withdrawals: types.Withdrawals{},
		BeaconRoot:  &common.Hash{},
	}
	rand.Read(args.Random[:])
	if bc.Config().IsAmsterdam(new(big.Int).Add(parent.Number, common.Big1), args.Timestamp) {
		args.SlotNum = new(uint64)
	}
	// With no transactions given, BuildTestingPayload would fill the
	// block from the pool; an empty block is asked for as such.
	block, _, err := c.backend.Miner().BuildTestingPayload(args, c.sent, len(c.sent) == 0, nil)
	if err != nil {
		return fmt.Errorf("devchain seal block %d: %w", parent.Number.Uint64()+1, err)
	}
	if _, err := bc.InsertBlockWithoutSetHead(context.Background(), block, false); err != nil {
		return fmt.Errorf("devchain seal block %d: %w", block.NumberU64(), err)
	}
	if _, err := bc.SetCanonical(block); err != nil {
		return fmt.Errorf("devchain seal block %d: %w", block.NumberU64(), err)
	}
	c.sent = nil
	if err := c.settle(); err != nil {
		return fmt.Errorf("devchain seal block %d: %w", block.NumberU64(), err)
	}
	return nil
}

// settle waits until the pool has caught up with the head. A new head
// makes the pool reset itself to it in the background; left running, that
// reset could meet the next Send's transaction in one reorg run, which
// resets the pool's nonces to the head's state and only then looks for
// queued transactions to promote, so that a transaction whose predecessor
// of the same sender is already pending stays queued. Every block the
// chain makes is followed by settle, so no reset runs while Send adds.
func (c *Chain) settle() error {
	if err := c.backend.TxPool().Sync(); err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	return nil
}

// MineAll seals one block holding the n transactions sent since the last
// block, and fails if n is not how many were sent or if the pool still
// holds any transaction afterwards.
func (c *Chain) MineAll(n int) error {
	if len(c.sent) != n {
		return fmt.Errorf("devchain mine: %d transactions sent since the last block, want %d", len(c.sent), n)
	}
	if err := c.seal(); err != nil {
		return err
	}
	if pending, queued := c.backend.TxPool().Stats(); pending+queued != 0 {
		return fmt.Errorf("devchain mine: %d transactions pending and %d queued after block %d, want none", pending, queued, c.Head())
	}
	return nil
}

// Wait seals n empty blocks whose times advance by d in total (at least one
// second each).
func (c *Chain) Wait(n uint64, d time.Duration) error {
	if n == 0 {
		return nil
	}
	if len(c.sent) != 0 {
		return fmt.Errorf("devchain wait: %d transactions sent and not mined", len(c.sent))
	}
	step := max(d/time.Duration(n), time.Second)
	for range n {
		if err := c.beacon.AdjustTime(step); err != nil {
			return fmt.Errorf("devchain wait: %w", err)
		}
		if err := c.settle(); err != nil {
			return fmt.Errorf("devchain wait: %w", err)
		}
	}
	return nil
}

// Gas settings: fixed, so that transactions (and their hashes) are the
// same on every run.
var (
	gasTip = big.NewInt(params.GWei)
	gasCap = big.NewInt(50 * params.GWei)
)

// Send signs and submits a transaction with key; it is mined by the next
// Mine or MineAll. to nil deploys data as a contract.
func (c *Chain) Send(ctx context.Context, key *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte, gas uint64) (common.Hash, error) {
	addr := crypto.PubkeyToAddress(key.PublicKey)
	nonce := c.nonces[addr]
	if value == nil {
		value = new(big.Int)
	}
	tx, err := types.SignNewTx(key, c.signer, &types.DynamicFeeTx{
		ChainID: c.ChainID, Nonce: nonce, GasTipCap: gasTip, GasFeeCap: gasCap,
		Gas: gas, To: to, Value: value, Data: data,
	})
	if err != nil {
		return common.Hash{}, fmt.Errorf("sign tx of %s: %w", addr.Hex(), err)
	}
	// Into the pool, which validates it against the head's state (settle
	// has brought the pool up to the head) and shows it over RPC until it
	// is mined; the next block holds it whatever the pool makes of it.
	if errs := c.backend.TxPool().Add([]*types.Transaction{tx}, true); len(errs) != 1 || errs[0] != nil {
		return common.Hash{}, fmt.Errorf("send tx of %s: %v", addr.Hex(), errs)
	}
	c.nonces[addr] = nonce + 1
	c.sent = append(c.sent, tx)
	return tx.Hash(), nil
}

// Receipt returns the receipt of a mined transaction and fails if it
// reverted.
func (c *Chain) Receipt(ctx context.Context, h common.Hash) (*types.Receipt, error) {
	r, err := c.client.TransactionReceipt(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("receipt %s: %w", h.Hex(), err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		var frame struct {
			Error        string `json:"error"`
			RevertReason string `json:"revertReason"`
		}
		_ = c.client.Client().CallContext(ctx, &frame, "debug_traceTransaction", h, map[string]any{"tracer": "callTracer"})
		return nil, fmt.Errorf("transaction %s reverted (gas used %d): %s %s", h.Hex(), r.GasUsed, frame.Error, frame.RevertReason)
	}
	return r, nil
}
