package chains

import "time"

// Provenance says where the data of one chain came from: which source
// brought it, up to which block, and when. The cache reports it per source
// and trace.json carries it, so a reader can tell how fresh a result is.
type Provenance struct {
	Chain     Chain     `json:"chain"`
	Source    string    `json:"source"`           // "file import" or a source's name ("rpc", "trongrid"); never a URL with secrets
	Block     uint64    `json:"block"`            // the newest block that source brought
	Retrieved time.Time `json:"retrieved"`        // the newest retrieval or import time
	Detail    string    `json:"detail,omitempty"` // for imports, the imported file names (base names, sorted)
}
