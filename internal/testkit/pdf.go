package testkit

import (
	"bytes"
	"os/exec"
	"testing"
)

// PDFText is the text of a PDF as poppler's pdftotext reads it (skipped,
// or failed under make test, when pdftotext is not installed).
func PDFText(t testing.TB, pdf []byte) string {
	t.Helper()
	cmd := exec.Command(Tool(t, "pdftotext", "poppler-utils"), "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
