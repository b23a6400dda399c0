package evm

import (
	"context"
	"errors"
	"fmt"
	"freezetrace/chains/transport"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/rpc"
)

// The eth_getLogs (and trace_filter) range adapts to the provider. A Source
// starts with the widest range allowed (the whole query when MaxRange is 0)
// and reads the provider's refusals:
//
//   - a named block cap ("exceed maximum block range: 5000", "eth_getLogs is
//     limited to a 10,000 range", "up to a 10 block range") is remembered for
//     the Source's lifetime and never exceeded again;
//   - a hinted range ("Try with this block range [0x.., 0x..]") that starts
//     at the window asked is used for the next window only: it is a limit on
//     the number of results in that window, not a block cap;
//   - a message offering both a block cap and a result cap ("up to a 2K block
//     range ... or any block range with a cap of 10K logs") limits results,
//     so its block figure is not learnt as a cap;
//   - any other "too many results" answer (result counts, response size,
//     query timeout, HTTP 413) halves the window.
//
// After growAfter successes in a row the span doubles, up to the learnt cap
// and MaxRange, or without bound when there is neither. eth_getLogs and
// trace_filter each keep their own span, cap and streak (window): a
// provider limits them apart (Infura: 10,000 results for one, 100 blocks
// for the other), so what one answer teaches never narrows the other.

// unbounded is the span when nothing limits the range.
const unbounded = math.MaxUint64

// growAfter is how many windows in a row must succeed before the range is
// doubled again; growing after every success would make every other call
// fail against a provider that caps results rather than blocks.
const growAfter = 4

// window is one method's adaptive range: the span of the next window,
// the block cap the node named (0 if none) and the windows in a row that
// succeeded. Its fields are guarded by the Source's mu.
type window struct {
	span, cap *uint64
	streak    *int
}

// logWindow is eth_getLogs' range (also freeze.go's); traceWindow is
// trace_filter's.
func (s *Source) logWindow() window   { return window{&s.span, &s.cap, &s.streak} }
func (s *Source) traceWindow() window { return window{&s.trSpan, &s.trCap, &s.trStreak} }

// limitLocked is the widest range allowed now in w: MaxRange and the learnt
// cap, unbounded when neither is set. s.mu must be held.
func (s *Source) limitLocked(w window) uint64 {
	l := uint64(unbounded)
	if s.opts.MaxRange > 0 {
		l = s.opts.MaxRange
	}
	if *w.cap > 0 {
		l = min(l, *w.cap)
	}
	return l
}

// currentSpan is the width of eth_getLogs' next window.
func (s *Source) currentSpan() uint64 { return s.spanOf(s.logWindow()) }

func (s *Source) spanOf(w window) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(min(*w.span, s.limitLocked(w)), 1)
}

// grow widens w again after growAfter successes in a row, up to MaxRange
// and any hard cap the node named.
func (s *Source) grow(w window) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*w.streak++
	if *w.streak < growAfter {
		return
	}
	*w.streak = 0
	l := s.limitLocked(w)
	if *w.span >= l/2 {
		*w.span = l
	} else {
		*w.span = max(*w.span*2, 1)
	}
}

var (
	// geth: "exceed maximum block range 50"; BSC, Ankr: "exceed maximum block
	// range: 5000"; QuickNode: "eth_getLogs is limited to a 10,000 range";
	// Alchemy: "up to a 10 block range"; others: "block range limit (1000)",
	// "range exceeds 10000 blocks", "max range: 5".
	capRe = regexp.MustCompile(`(?i)(?:maximum block range|block range limit|range exceeds|max(?:imum)? range|limited to a|up to a)\D{0,12}?(\d{1,3}(?:,\d{3})+|\d+)\s?(k?)`)
	// Alchemy: "... or you can request any block range with a cap of 10K
	// logs in the response": the limit is on results, whatever the blocks.
	resultCapRe = regexp.MustCompile(`(?i)any block range|cap of [\d,]+\s?k?\s+(?:logs|results)|no limit on the response size`)
	hintRe      = regexp.MustCompile(`\[\s*(0x[0-9a-fA-F]+)\s*,\s*(0x[0-9a-fA-F]+)\s*\]`)
)

// namedCap returns the block cap msg names, or 0 when it names none or
// limits results rather than blocks.
func namedCap(msg string) uint64 {
	if resultCapRe.MatchString(msg) {
		return 0
	}
	m := capRe.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.ReplaceAll(m[1], ",", ""), 10, 64)
	if err != nil {
		return 0
	}
	if m[2] != "" {
		if n > math.MaxUint64/1000 {
			return 0
		}
		n *= 1000
	}
	return n
}

// hintWidth returns the width of the range msg suggests, when that range
// starts at from; 0 otherwise.
func hintWidth(msg string, from uint64) uint64 {
	m := hintRe.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	a, e1 := strconv.ParseUint(m[1][2:], 16, 64)
	b, e2 := strconv.ParseUint(m[2][2:], 16, 64)
	if e1 != nil || e2 != nil || a != from || b < a || b-a == math.MaxUint64 {
		return 0
	}
	return b - a + 1
}

// shrink reads eth_getLogs' refusal of the window [from, to] (shrinkIn).
func (s *Source) shrink(err error, from, to uint64) bool {
	return s.shrinkIn(s.logWindow(), err, from, to)
}

// shrinkIn reads the refusal of the window [from, to] in w: a named cap, a
// hinted range, or just "too many". It narrows the span below the window's
// width and reports whether retrying makes sense.
func (s *Source) shrinkIn(w window, err error, from, to uint64) bool {
	msg := err.Error()
	width := to - from + 1
	if to-from == math.MaxUint64 {
		width = math.MaxUint64
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	*w.streak = 0
	next := uint64(0)
	if h := hintWidth(msg, from); h > 0 && h < width {
		next = h
	}
	if c := namedCap(msg); c > 0 && c < width {
		if *w.cap == 0 || c < *w.cap {
			*w.cap = c
		}
		if next == 0 || c < next {
			next = c
		}
	}
	if next == 0 && tooMuch(err) && width > 1 {
		next = width / 2
	}
	if next == 0 {
		return false
	}
	*w.span = next
	return true
}

// tooMuch reports whether err is a provider refusing a range as too wide or
// too full.
func tooMuch(err error) bool {
	if rpcCode(err) == -32005 {
		return true
	}
	var he rpc.HTTPError
	if errors.As(err, &he) && he.StatusCode == http.StatusRequestEntityTooLarge {
		return true
	}
	// A refusal for the rate ("429 Too Many Requests") is no range error:
	// halving the range would only ask more often.
	var se *transport.StatusError
	if (errors.As(err, &he) && he.StatusCode == http.StatusTooManyRequests) ||
		(errors.As(err, &se) && se.Code == http.StatusTooManyRequests) || transport.Retryable(err) {
		return false
	}
	m := strings.ToLower(err.Error())
	for _, s := range []string{"block range", "range too", "too many", "more than", "limit exceeded",
		"response size", "query timeout", "exceed", "too large", "result window"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// ranged runs f over [from, to] in eth_getLogs' windows (rangedIn).
func (s *Source) ranged(ctx context.Context, from, to uint64, f func(lo, hi uint64) error) error {
	return s.rangedIn(ctx, s.logWindow(), from, to, f)
}

// rangedIn runs f over [from, to] in windows of w's current span,
// narrowing the span on range errors and widening it after successes.
func (s *Source) rangedIn(ctx context.Context, w window, from, to uint64, f func(lo, hi uint64) error) error {
	for at := from; at <= to; {
		span := s.spanOf(w)
		end := to
		if to-at >= span {
			end = at + span - 1
		}
		if err := f(at, end); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if s.shrinkIn(w, err, at, end) {
				continue
			}
			return fmt.Errorf("blocks %d-%d: %w", at, end, err)
		}
		s.grow(w)
		if end == to {
			break
		}
		at = end + 1
	}
	return nil
}
