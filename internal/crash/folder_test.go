package crash

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"strings"
)

// manifestName is the report's list of its files with their SHA-256.
const manifestName = "MANIFEST.sha256"

// checkReportFolder checks a report --out folder a killed run left: it
// must be absent, or a complete report — every file MANIFEST.sha256 lists
// present with that hash and no file it does not list — and that report
// must be the new one (want) or the one the folder held before (earlier,
// nil when it held none). Anything else is a folder that may look like a
// report and is not.
func checkReportFolder(dir string, want, earlier tree) []problem {
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil
	}
	got, err := readTree(dir)
	if err != nil {
		return []problem{{"report folder after a kill", err.Error()}}
	}
	if msg := manifestProblem(got); msg != "" {
		return []problem{{"report folder after a kill", msg}}
	}
	if maps.EqualFunc(got, want, bytes.Equal) || (earlier != nil && maps.EqualFunc(got, earlier, bytes.Equal)) {
		return nil
	}
	return []problem{{"report folder after a kill", fmt.Sprintf("a complete report by its manifest (%d files), but neither the new report nor the earlier one", len(got))}}
}

// manifestProblem says why the files are not a complete report by their
// manifest, "" when they are.
func manifestProblem(files tree) string {
	m, ok := files[manifestName]
	if !ok {
		return fmt.Sprintf("the folder holds %d files and no %s", len(files), manifestName)
	}
	if len(bytes.TrimSpace(m)) == 0 {
		return fmt.Sprintf("the folder holds %d files and an empty %s", len(files), manifestName)
	}
	listed := map[string]bool{manifestName: true}
	var missing, wrong []string
	for _, line := range strings.Split(strings.TrimSuffix(string(m), "\n"), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			return fmt.Sprintf("%s line %q is not \"HASH  NAME\"", manifestName, clip(line))
		}
		listed[name] = true
		b, ok := files[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		s := sha256.Sum256(b)
		if hex.EncodeToString(s[:]) != sum {
			wrong = append(wrong, name)
		}
	}
	var unlisted []string
	for _, name := range sortedKeys(files) {
		if !listed[name] {
			unlisted = append(unlisted, name)
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d listed files missing (e.g. %s)", len(missing), missing[0]))
	}
	if len(wrong) > 0 {
		parts = append(parts, fmt.Sprintf("%d files with another hash than listed (e.g. %s)", len(wrong), wrong[0]))
	}
	if len(unlisted) > 0 {
		parts = append(parts, fmt.Sprintf("%d files not listed (e.g. %s)", len(unlisted), unlisted[0]))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("the folder has a %s of %d files but %s", manifestName, len(listed)-1, strings.Join(parts, ", "))
}
