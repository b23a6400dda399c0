package explorer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
	"freezetrace/chains/transport"
)

// DefaultBaseURL is Etherscan's API v2 endpoint, which serves every chain it
// indexes through the chainid parameter.
const DefaultBaseURL = "https://api.etherscan.io/v2/api"

// The position rules PositionRule reports.
const (
	RuleReceipt  = "receipt"
	RuleExplorer = "explorer order"
)

// cacheLimit bounds each in-memory cache; a full cache starts again empty.
const cacheLimit = 200_000

var (
	_ chains.Source      = (*Source)(nil)
	_ chains.BlockFinder = (*Source)(nil)
	_ chains.PairFinder  = (*Source)(nil)
	_ chains.Requester   = (*Source)(nil)
	_ chains.HeadReader  = (*Source)(nil)
	_ chains.EventReader = (*Source)(nil)
)

// BatchPositionSource is a PositionSource that can also give the token
// transfers of many transactions at once, with their log indices (a
// JSON-RPC node batching receipts). Token positions are then fetched with
// one call per explorer answer instead of one per transaction.
type BatchPositionSource interface {
	PositionSource
	TokenTransfersOf(ctx context.Context, chain chains.Chain, txs []chains.TxHash) (map[chains.TxHash][]chains.Transfer, error)
}

// headTTL is how long a head read from the explorer is reused.
const headTTL = 30 * time.Second

// PositionSource gives the exact transfers of a transaction, with their
// log indices and trace positions: a JSON-RPC node, for example.
type PositionSource interface {
	TxTransfers(ctx context.Context, chain chains.Chain, tx chains.TxHash) ([]chains.Transfer, error)
}

// Options configure a Source. The zero value reads Ethereum from Etherscan
// at the free tier's 3 requests per second (a key is still required there).
type Options struct {
	// BaseURL is the API endpoint (default DefaultBaseURL): Etherscan v2,
	// a Blockscout-style /api or a mirror. chainid is always sent.
	BaseURL string
	// APIKey is sent as the apikey parameter. It is a secret: it never
	// appears in errors, Name or anything returned.
	APIKey string
	// Chain is the EVM chain served (default chains.Ethereum); its chain id
	// comes from the chain table.
	Chain chains.Chain
	// Rate is the most requests per second, shared by every call of the
	// Source; 0 means 3 (Etherscan's free tier), negative means no limit.
	Rate float64
	// Retries is how often a request is retried after a rate-limit answer,
	// a 429, a 5xx or a dropped connection; 0 means 5, negative means never.
	Retries int
	// PageSize is the offset sent with list actions; 0 means 1,000, the
	// most explorers answer (and the most allowed here).
	PageSize int
	// MaxWindow is the most rows one startblock can page through
	// (page × offset); 0 means 10,000. An explorer answering the window
	// error earlier lowers it for the Source's lifetime.
	MaxWindow int
	// MinBackoff and MaxBackoff bound the wait between retries; 0 means
	// one second and 30 seconds.
	MinBackoff, MaxBackoff time.Duration
	// HTTPClient sends the requests; nil means a client with a 60s timeout.
	HTTPClient *http.Client
	// Clock and Sleep drive the rate limit and the backoff; nil means the
	// wall clock and a timer.
	Clock func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Positions, when set, gives exact positions (see the package doc).
	Positions PositionSource
	// ExactPositions takes exact positions from the explorer's own
	// eth_getTransactionReceipt when Positions is nil: one more request per
	// transaction (plus one internal-transactions lookup for native history).
	ExactPositions bool
	// Wrappers are the native-coin wrappers (WETH9-like contracts, which
	// log no Transfer when they mint or burn) whose Deposit and Withdrawal
	// logs in a receipt count as transfers of their token in TxTransfers
	// and as wraps and unwraps in TxEvents (see evmlog.DecodeWrap); nil
	// means evmlog.DefaultWrappers(Chain), an empty slice none. Transfers
	// is not affected: the explorer's tokentx lists show no deposits or
	// withdrawals.
	Wrappers []chains.Address
}

// Source is a chains.Source over an Etherscan-compatible explorer API for one
// EVM chain. It is safe for concurrent use.
type Source struct {
	chain     chains.Chain
	base      *url.URL
	key       string
	http      *transport.Client
	pageSize  int
	now       func() time.Time
	positions PositionSource // external, or nil
	exact     bool
	wrappers  []chains.Address

	rateLimited atomic.Int64

	mu       sync.Mutex
	window   int
	assets   map[chains.Address]chains.Asset
	times    map[uint64]time.Time
	txIndex  map[chains.TxHash]uint32
	receipts map[chains.TxHash][]chains.Transfer
	// rawReceipts holds the receipts read from the explorer, so that
	// TxTransfers and TxEvents of one transaction share one request.
	rawReceipts map[chains.TxHash]rpcReceipt
	// batched holds token transfers per transaction from a
	// BatchPositionSource (no native ones).
	batched map[chains.TxHash][]chains.Transfer
	head    uint64
	headAt  time.Time
}

// New returns a Source. It sends nothing.
func New(o Options) (*Source, error) {
	if o.Chain == "" {
		o.Chain = chains.Ethereum
	}
	if o.Chain.Family() != chains.FamilyEVM {
		return nil, chains.Invalid(fmt.Errorf("explorer: chain %q is not an EVM chain", o.Chain))
	}
	raw := o.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, chains.Invalid(fmt.Errorf("explorer URL %s: want http(s)://host/path", transport.Origin(raw)))
	}
	// Parameters are built per call; a key in the given URL is kept as the
	// key.
	if k := u.Query().Get("apikey"); k != "" && o.APIKey == "" {
		o.APIKey = k
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	s := &Source{
		chain: o.Chain, base: u, key: o.APIKey, http: newTransport(o),
		pageSize: o.PageSize, window: o.MaxWindow,
		now: o.Clock, positions: o.Positions, exact: o.ExactPositions,
		assets: map[chains.Address]chains.Asset{}, times: map[uint64]time.Time{},
		txIndex: map[chains.TxHash]uint32{}, receipts: map[chains.TxHash][]chains.Transfer{},
		rawReceipts: map[chains.TxHash]rpcReceipt{}, batched: map[chains.TxHash][]chains.Transfer{},
		wrappers: slices.Clone(o.Wrappers),
	}
	if s.wrappers == nil {
		s.wrappers = evmlog.DefaultWrappers(o.Chain)
	}
	if s.pageSize <= 0 || s.pageSize > 1000 {
		s.pageSize = 1000
	}
	if s.window <= 0 {
		s.window = 10000
	}
	if s.window < s.pageSize {
		s.window = s.pageSize
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Name names the source for coverage rows and provenance: "explorer" and
// the endpoint's scheme and host, never the key (nor a label of the host
// name that looks like one: transport.Origin).
func (s *Source) Name() string { return "explorer " + transport.Origin(s.base.String()) }

// Chain is the chain this source serves.
func (s *Source) Chain() chains.Chain { return s.chain }

// Requests counts every HTTP request sent, retries included.
func (s *Source) Requests() int64 { return s.http.Requests() }

// RateLimited counts the rate-limit answers received.
func (s *Source) RateLimited() int64 { return s.rateLimited.Load() }

// PositionRule says how positions are taken: RuleReceipt or RuleExplorer.
func (s *Source) PositionRule() string {
	if s.positions != nil || s.exact {
		return RuleReceipt
	}
	return RuleExplorer
}

func (s *Source) check(chain chains.Chain) error {
	if chain != s.chain {
		return fmt.Errorf("%w: this explorer source serves %s, not %s", chains.ErrUnsupported, s.chain, chain)
	}
	return nil
}

// Head returns the number of the newest block (eth_blockNumber).
func (s *Source) Head(ctx context.Context, chain chains.Chain) (uint64, error) {
	if err := s.check(chain); err != nil {
		return 0, err
	}
	s.mu.Lock()
	h, at := s.head, s.headAt
	s.mu.Unlock()
	if !at.IsZero() && s.now().Sub(at) < headTTL {
		return h, nil
	}
	var n hexutil.Uint64
	ok, err := s.proxy(ctx, "eth_blockNumber", nil, &n)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, errors.New("eth_blockNumber: null result")
	}
	s.mu.Lock()
	s.head, s.headAt = uint64(n), s.now()
	s.mu.Unlock()
	return uint64(n), nil
}

// IsContract reports whether addr holds code now (eth_getCode at latest).
func (s *Source) IsContract(ctx context.Context, chain chains.Chain, addr chains.Address) (bool, error) {
	if err := s.check(chain); err != nil {
		return false, err
	}
	var code hexutil.Bytes
	ok, err := s.proxy(ctx, "eth_getCode", url.Values{"address": {addr.Hex()}, "tag": {"latest"}}, &code)
	if err != nil {
		return false, fmt.Errorf("code of %s: %w", addr, err)
	}
	return ok && len(code) > 0, nil
}

// Balance answers an error wrapping chains.ErrUnsupported: historical
// balances need a paid explorer plan, so callers rebuild them from history.
func (s *Source) Balance(ctx context.Context, chain chains.Chain, addr chains.Address, asset chains.AssetID, block uint64) (chains.Amount, error) {
	return chains.Amount{}, fmt.Errorf("balance of %s at block %d from the explorer: %w (historical balances need a paid plan)",
		addr, block, chains.ErrUnsupported)
}

type rpcBlock struct {
	Number    hexutil.Uint64 `json:"number"`
	Timestamp hexutil.Uint64 `json:"timestamp"`
}

// BlockTime returns the time of a block (eth_getBlockByNumber), from memory
// when a row or an earlier call gave it.
func (s *Source) BlockTime(ctx context.Context, chain chains.Chain, block uint64) (time.Time, error) {
	if err := s.check(chain); err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	t, ok := s.times[block]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	var b rpcBlock
	ok, err := s.proxy(ctx, "eth_getBlockByNumber", url.Values{"tag": {hexutil.EncodeUint64(block)}, "boolean": {"false"}}, &b)
	if err != nil {
		return time.Time{}, fmt.Errorf("block %d: %w", block, err)
	}
	if !ok {
		return time.Time{}, fmt.Errorf("block %d: %w", block, chains.ErrNotFound)
	}
	if uint64(b.Number) != block {
		return time.Time{}, fmt.Errorf("asked for block %d, the explorer answered block %d", block, uint64(b.Number))
	}
	t = time.Unix(int64(b.Timestamp), 0).UTC()
	s.rememberTimes(map[uint64]time.Time{block: t})
	return t, nil
}

func (s *Source) rememberTimes(m map[uint64]time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.times)+len(m) > cacheLimit {
		clear(s.times)
	}
	for b, t := range m {
		s.times[b] = t
	}
}

// BlockAt returns the first block at or after t (getblocknobytime with
// closest=after). ErrNotFound when no block is that new.
func (s *Source) BlockAt(ctx context.Context, chain chains.Chain, t time.Time) (uint64, error) {
	if err := s.check(chain); err != nil {
		return 0, err
	}
	if t.Unix() < 0 {
		return 0, nil
	}
	q := url.Values{"module": {"block"}, "action": {"getblocknobytime"},
		"timestamp": {strconv.FormatInt(t.Unix(), 10)}, "closest": {"after"}}
	what := "getblocknobytime " + t.UTC().Format(time.RFC3339)
	res, err := s.call(ctx, q, what)
	var ae *apiError
	if errors.As(err, &ae) && strings.Contains(strings.ToLower(ae.msg), "no closest block") {
		return 0, fmt.Errorf("no block at or after %s: %w", t.UTC().Format(time.RFC3339), chains.ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	var n field
	if err := n.UnmarshalJSON(res); err != nil {
		return 0, fmt.Errorf("%s: malformed result: %s", what, s.scrub(snippet(res)))
	}
	b, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: not a block number: %q", what, s.scrub(snippet([]byte(n))))
	}
	return b, nil
}

// Asset returns a token's symbol and decimals from the tokentx rows already
// seen, else from one tokentx row of the contract; the chain's native coin
// for the native asset. ErrNotFound when the explorer knows no transfer of
// the contract.
func (s *Source) Asset(ctx context.Context, id chains.AssetID) (chains.Asset, error) {
	if err := s.check(id.Chain); err != nil {
		return chains.Asset{}, err
	}
	if id.IsNative() {
		return s.chain.Native(), nil
	}
	s.mu.Lock()
	a, ok := s.assets[id.Contract]
	s.mu.Unlock()
	if ok {
		return a, nil
	}
	q := url.Values{"module": {"account"}, "action": {"tokentx"}, "contractaddress": {id.Contract.Hex()},
		"page": {"1"}, "offset": {"1"}, "sort": {"asc"}}
	res, err := s.call(ctx, q, "tokentx of contract "+id.Contract.String())
	if err != nil {
		return chains.Asset{}, err
	}
	rows, err := parseRows(res)
	if err != nil {
		return chains.Asset{}, fmt.Errorf("tokentx of contract %s: %w", id.Contract, err)
	}
	if len(rows) == 0 {
		return chains.Asset{}, fmt.Errorf("asset %s: %w", id, chains.ErrNotFound)
	}
	a, err = rowAsset(s.chain, rows[0])
	if err != nil {
		return chains.Asset{}, fmt.Errorf("asset %s: %w", id, err)
	}
	s.mu.Lock()
	s.assets[id.Contract] = a
	s.mu.Unlock()
	return a, nil
}
