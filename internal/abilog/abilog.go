// Package abilog packs EVM event logs the way the EVM writes them, from an
// event declared as a protocol's source declares it, for the tests of the
// decoders that read them back (chains/evmlog, chains/evm).
package abilog

import (
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// Event is an event's name, argument types and which arguments are
// indexed, in declaration order.
type Event struct {
	Name    string
	Types   []string
	Indexed []bool
}

// Indexed marks the indexed arguments (by position) of an event of n
// arguments.
func Indexed(n int, positions ...int) []bool {
	out := make([]bool, n)
	for _, i := range positions {
		out[i] = true
	}
	return out
}

// ABI is e as go-ethereum's abi package declares it.
func (e Event) ABI(t testing.TB) abi.Event {
	t.Helper()
	var args abi.Arguments
	for i, ty := range e.Types {
		typ, err := abi.NewType(ty, "", nil)
		if err != nil {
			t.Fatalf("%s: type %s: %v", e.Name, ty, err)
		}
		args = append(args, abi.Argument{Name: string(rune('a' + i)), Type: typ, Indexed: e.Indexed[i]})
	}
	return abi.NewEvent(e.Name, e.Name, false, args)
}

// Pack returns the topics (the event's id, then the indexed values) and
// the data (the other values, ABI-encoded) of a log of e with values, one
// per argument in declaration order.
func (e Event) Pack(t testing.TB, values ...any) ([]common.Hash, []byte) {
	t.Helper()
	ev := e.ABI(t)
	topics := []common.Hash{ev.ID}
	var data []any
	for i, v := range values {
		if !e.Indexed[i] {
			data = append(data, v)
			continue
		}
		ts, err := abi.MakeTopics([]any{v})
		if err != nil {
			t.Fatalf("%s: topic %d: %v", e.Name, i, err)
		}
		topics = append(topics, ts[0][0])
	}
	packed, err := ev.Inputs.NonIndexed().Pack(data...)
	if err != nil {
		t.Fatalf("%s: pack: %v", e.Name, err)
	}
	return topics, packed
}
