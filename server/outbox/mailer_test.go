package outbox_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/hubtalks/hubtalks/server/outbox"
)

// Without SMTP, messages go to the log: never their bodies (verification and
// reset links open accounts) unless the demo set-up asks for them.
func TestLogMailerPrintsBodiesOnlyWhenAsked(t *testing.T) {
	m := outbox.Mail{To: "ada@example.org", Subject: "Reset your password", Text: "Open https://talks.example.org/account/reset?token=s3cr3t-t0ken"}
	for _, bodies := range []bool{false, true} {
		var buf bytes.Buffer
		if err := (outbox.LogMailer{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Bodies: bodies}).Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "s3cr3t-t0ken"); got != bodies {
			t.Fatalf("bodies %v: the token is in the log: %v\n%s", bodies, got, buf.String())
		}
		if !strings.Contains(buf.String(), "Reset your password") {
			t.Fatalf("the subject is missing: %s", buf.String())
		}
	}
}
