package outbox

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// LogMailer "sends" mail to the log: the default when SMTP_URL is unset.
// Bodies hold verification and reset links, which would let whoever reads
// the logs into the accounts: they are printed only when Bodies is set (the
// local demo, MAIL_LOG_BODIES=1).
type LogMailer struct {
	Log    *slog.Logger
	Bodies bool
}

// Send logs the message.
func (l LogMailer) Send(_ context.Context, m Mail) error {
	attrs := []any{"message_id", m.MessageID, "to", m.To, "subject", m.Subject, "language", m.Language, "calendar_method", m.Method}
	if l.Bodies {
		attrs = append(attrs, "body", m.Text)
	} else {
		attrs = append(attrs, "body", "(not logged: set MAIL_LOG_BODIES=1 to see it)")
	}
	l.Log.Info("mail", attrs...)
	return nil
}

// SMTPMailer sends mail through an SMTP server with go-mail, one connection
// per message (the outbox sends few messages; no pool to keep healthy).
type SMTPMailer struct {
	host string
	opts []mail.Option
	from string
}

// NewSMTPMailer reads smtp://user:pass@host:port (STARTTLS when offered) or
// smtps://… (TLS from the start). The sender is ?from=, else
// defaultFrom.
func NewSMTPMailer(u *url.URL, defaultFrom string) (*SMTPMailer, error) {
	if u == nil || u.Hostname() == "" {
		return nil, fmt.Errorf("SMTP_URL has no host")
	}
	opts := []mail.Option{mail.WithTimeout(20 * time.Second)}
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, mail.WithTLSPortPolicy(mail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, mail.WithSSL())
	default:
		return nil, fmt.Errorf("SMTP_URL scheme %q: want smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("SMTP_URL port %q: %w", p, err)
		}
		port = n
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	from := u.Query().Get("from")
	if from == "" {
		from = defaultFrom
	}
	return &SMTPMailer{host: u.Hostname(), opts: opts, from: from}, nil
}

// From is the sender address.
func (s *SMTPMailer) From() string { return s.from }

// Send delivers one message.
func (s *SMTPMailer) Send(ctx context.Context, m Mail) error {
	msg := mail.NewMsg()
	if err := msg.FromFormat("Hub Talks", s.from); err != nil {
		return fmt.Errorf("from %q: %w", s.from, err)
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(strings.Trim(m.MessageID, "<>"))
	} else {
		msg.SetMessageID()
	}
	if m.Language != "" {
		msg.SetGenHeader(mail.HeaderContentLang, m.Language)
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if len(m.Calendar) > 0 {
		ct := mail.ContentType("text/calendar; charset=utf-8; method=" + m.Method)
		if err := msg.AttachReader("invite.ics", bytes.NewReader(m.Calendar), mail.WithFileContentType(ct)); err != nil {
			return fmt.Errorf("attach calendar: %w", err)
		}
	}
	client, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return nil
}
