package chains

import (
	"context"
	"testing"
	"time"
)

func TestFirstBlockAt(t *testing.T) {
	// Blocks 0..9 at 100, 110, …, 190 s; blocks 4 and 5 share a time.
	times := []int64{100, 110, 120, 130, 140, 140, 160, 170, 180, 190}
	bt := func(_ context.Context, n uint64) (time.Time, error) { return time.Unix(times[n], 0), nil }
	for _, tc := range []struct {
		at   int64
		lo   uint64
		want uint64
	}{
		{50, 0, 0}, {100, 0, 0}, {101, 0, 1}, {140, 0, 4}, {141, 0, 6}, {190, 0, 9}, {191, 0, 10}, {100, 3, 3},
	} {
		got, err := FirstBlockAt(context.Background(), tc.lo, 9, time.Unix(tc.at, 0), bt)
		if err != nil || got != tc.want {
			t.Errorf("FirstBlockAt(%d, [%d,9]) = %d, %v; want %d", tc.at, tc.lo, got, err, tc.want)
		}
	}
}
