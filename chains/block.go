package chains

import "time"

// Block is what a source or a file says about one block: its number, its
// hash (zero when only the time is known) and its time.
type Block struct {
	Chain  Chain
	Number uint64
	Hash   [32]byte
	Time   time.Time
}
