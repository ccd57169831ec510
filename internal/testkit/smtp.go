package testkit

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// SMTPSink is a real SMTP server on 127.0.0.1 that keeps every message it
// receives, for tests that read what the app sent.
type SMTPSink struct {
	addr string
	srv  *smtp.Server

	mu       sync.Mutex
	messages [][]byte
}

// StartSMTPSink serves on a free loopback port until the test ends.
func StartSMTPSink(t testing.TB) *SMTPSink {
	t.Helper()
	s := &SMTPSink{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }))
	s.srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Addr is the sink's host:port.
func (s *SMTPSink) Addr() string { return s.addr }

// Received returns the raw messages received so far, oldest first.
func (s *SMTPSink) Received() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.messages...)
}

type sinkSession struct{ s *SMTPSink }

func (sinkSession) Reset()                               {}
func (sinkSession) Logout() error                        { return nil }
func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, b)
	ss.s.mu.Unlock()
	return nil
}

// Mail is a received message as a person reads it.
type Mail struct {
	To      string // the address, without the name
	Subject string
	Text    string // the text/plain part, decoded
}

// ReadMail parses a raw message: its recipient, subject and decoded text.
func ReadMail(t testing.TB, raw []byte) Mail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	var m Mail
	if to, err := mail.ParseAddress(msg.Header.Get("To")); err == nil {
		m.To = to.Address
	}
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
	}
	m.Text = plainText(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m
}

// plainText finds the first text/plain part, multipart or not, and decodes it.
func plainText(t testing.TB, contentType, encoding string, body io.Reader) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		parts := multipart.NewReader(body, params["boundary"])
		for {
			p, err := parts.NextRawPart()
			if err != nil {
				return ""
			}
			if text := plainText(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); text != "" {
				return text
			}
		}
	}
	if mt != "text/plain" {
		return ""
	}
	switch strings.ToLower(encoding) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("read text part: %v", err)
	}
	return string(b)
}
