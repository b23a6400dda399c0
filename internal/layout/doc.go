// Package layout holds the test that keeps the dependency direction of
// ../shared/DESIGN.md: cmd wires everything; report depends on trace and
// chains; trace on chains; every adapter under chains/ on chains only; no
// production package on internal/ or fixtures/.
package layout
