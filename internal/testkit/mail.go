package testkit

import (
	"bytes"
	"encoding/base64"
	"fmt"
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

// MailSink is a real SMTP server on loopback that keeps every message it
// receives, raw.
type MailSink struct {
	// Addr is where it listens (host:port).
	Addr string
	mu   sync.Mutex
	msgs [][]byte
	srv  *smtp.Server
}

// StartMailSink serves on addr ("127.0.0.1:0" for any port) until the test ends.
func StartMailSink(t testing.TB, addr string) *MailSink {
	t.Helper()
	s := &MailSink{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Received is every message received so far, raw.
func (s *MailSink) Received() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.msgs...)
}

type sinkSession struct{ s *MailSink }

func (ss sinkSession) Reset()                               {}
func (ss sinkSession) Logout() error                        { return nil }
func (ss sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Auth(string) (interface {
	Next([]byte) ([]byte, bool, error)
}, error) {
	return nil, smtp.ErrAuthUnsupported
}
func (ss sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, b)
	ss.s.mu.Unlock()
	return nil
}

// MailPart parses a raw message and finds its first part of mediaType
// (text/plain, text/calendar …), decoded; body is nil when there is none.
func MailPart(raw []byte, mediaType string) (msg *mail.Message, contentType string, body []byte, err error) {
	msg, err = mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, "", nil, fmt.Errorf("read message: %w", err)
	}
	var find func(ct string, body io.Reader, enc string) (string, []byte, error)
	find = func(ct string, body io.Reader, enc string) (string, []byte, error) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			return "", nil, fmt.Errorf("content type %q: %w", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return "", nil, nil
				}
				c, b, err := find(p.Header.Get("Content-Type"), p, p.Header.Get("Content-Transfer-Encoding"))
				if err != nil || b != nil {
					return c, b, err
				}
			}
		}
		if mt != mediaType {
			return "", nil, nil
		}
		var r io.Reader = body
		switch strings.ToLower(enc) {
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			r = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(r)
		return ct, b, err
	}
	contentType, body, err = find(msg.Header.Get("Content-Type"), msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
	return msg, contentType, body, err
}
