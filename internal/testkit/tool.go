package testkit

import (
	"os"
	"os/exec"
	"testing"
)

// Tool is the path of the command name (a validator such as xmllint). When
// it is not installed the test is skipped, or fails under
// HUBTALKS_TEST_REQUIRE_SERVICES=1 (make test, where scripts/deps.sh
// installs it).
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := name + " is not installed (Debian package " + pkg + "; scripts/deps.sh test installs it)"
	if os.Getenv("HUBTALKS_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
