// Command synth writes a generated benchmark dataset:
//
//	go run ./internal/synth/cmd/synth -n 1000000 -seed 1 -out DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"freezetrace/internal/synth"
)

func main() {
	n := flag.Int("n", 1_000_000, "transfers to generate")
	seed := flag.Uint64("seed", 1, "seed")
	out := flag.String("out", "", "directory to write")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "synth: -out DIR is required")
		os.Exit(2)
	}
	c, err := synth.Generate(*out, *n, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d transfers, blocks %d-%d, %d laundering addresses, hot wallet %s in %d transfers\n",
		*out, c.Transfers, c.FirstBlock, c.LastBlock, c.Laundering, c.HotWallet, c.HotTransfers)
}
