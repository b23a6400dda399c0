// Package crash is the crash harness: its tests build the freezetrace
// binary, run a command of each crash-prone kind, SIGKILL it at random
// points, restart it, and check that nothing was lost, duplicated or left
// looking complete when it is not. The scenarios:
//
//   - import: `freezetrace import` of the shared ethereum-etl files
//     (tokens, token transfers, transactions);
//   - labels-import: `freezetrace labels import` of the shared GraphSense
//     TagPacks and OFAC lists;
//   - trace-rpc: `freezetrace trace` fetching over JSON-RPC (127.0.0.1)
//     from the dev chain playing the pigbutcher fixture in this process;
//   - report-fresh, report-over-earlier: `freezetrace report` into a new
//     --out folder, and into one holding the report of another case.
//
// Each scenario runs uninterrupted twice (the reference outputs, which
// both runs must give, and the run time), then kills runs until
// CRASH_KILLS were killed, every other one on the state the previous
// killed run left. Half the kills come after a random delay within the
// run time. The other half are timed by the writes: the harness polls the
// folder the command writes into (the database's files, the --out
// folder) and kills right after a random one of the changes the
// uninterrupted run made there (three in eight kills), or after the last
// of them (one in eight, with a delay within the time the uninterrupted
// run took from then to its end), so that kills land between and inside
// commits and file writes.
// After each kill:
//
//   - the database passes PRAGMA integrity_check and holds no duplicate
//     transfer (tx, asset, position), label, address, asset or tx_coverage
//     row;
//   - every coverage range (coverage, pair_coverage, tx_coverage) has
//     exactly the transfers the uninterrupted run stored in it (coverage
//     and data are written in one transaction);
//   - an import left whole files or nothing: the database is in one of the
//     states between two files;
//   - a report --out folder is absent or a complete report (every file
//     MANIFEST.sha256 lists, with its hash, and no other), the earlier one
//     or the new one.
//
// After the restart, besides those, the outputs must be the uninterrupted
// run's: the database dumped canonically (surrogate ids replaced by what
// they stand for, run-dependent retrieved_at and imported_at left out,
// imports summed per file, coverage as the union of its ranges), trace.json
// (with provenance[].retrieved and holdings[].checked, documented as times
// of the run, normalised), ledger.csv and the report folder byte for byte.
//
// CRASH_KILLS sets the kills per scenario (default 3: the quick subset
// `go test ./...` runs; `make crash` runs 50) and CRASH_SEED the seed
// (default: the time). Each scenario logs its seed; CRASH_SEED=N go test
// -run 'TestCrash/NAME' -v ./internal/crash draws the same kill points
// (the delays scale with the run time measured again). The shared data
// (../shared/data) must be there: the scenarios that read it fail, not
// skip, without it.
package crash
