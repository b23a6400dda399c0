package report

import (
	"context"
	"fmt"
	"time"
)

// Render turns a trace and a case file into every file, in memory; Write
// does the same into a directory.
func ExampleRender() {
	c, err := ParseCase("case.yaml", []byte(fixtureCaseText()))
	if err != nil {
		fmt.Println(err)
		return
	}
	formats, _ := ParseFormats("md,csv")
	_, sum, err := Render(context.Background(), fixtureResult(), c, Options{Formats: formats, At: time.Date(2024, 4, 3, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, rc := range sum.Recipients {
		fmt.Printf("%s %s: %d addresses, %d paths\n", rc.Kind, rc.Name, len(rc.Endpoints), len(rc.Paths))
	}
	fmt.Println(len(sum.Files), "files")
	// Output:
	// exchange Binance: 2 addresses, 2 paths
	// exchange OKX: 1 addresses, 1 paths
	// issuer Tether: 2 addresses, 3 paths
	// 27 files
}
