package accounts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/i18n"
	"github.com/hubtalks/hubtalks/server/outbox"
)

// The account messages of the outbox. Their payload holds the address the
// token was made for and the token itself under "secret", which the outbox
// removes once the message is sent.
const (
	MessageVerify = "account.verify"
	MessageReset  = "account.reset"
)

// How long a link works.
const (
	VerifyTTL = 48 * time.Hour
	ResetTTL  = time.Hour
)

type accountMessage struct {
	Email  string `json:"email"`
	Secret string `json:"secret"`
}

// Composer writes the account messages: the links to BaseURL's
// /account/verify and /account/reset pages.
type Composer struct{ BaseURL string }

var _ outbox.Composer = Composer{}

// Kinds maps the kinds Composer writes to it, for outbox.ByKind.
func (c Composer) Kinds() map[string]outbox.Composer {
	return map[string]outbox.Composer{MessageVerify: c, MessageReset: c}
}

// Compose renders one account message. A message whose account is gone,
// or whose address has changed since it was written, is dropped: its link
// would not work.
func (c Composer) Compose(ctx context.Context, q sqlx.ExtContext, m outbox.Message) (outbox.Mail, error) {
	var p accountMessage
	if err := json.Unmarshal(m.Payload, &p); err != nil || m.UserID == nil || p.Secret == "" {
		return outbox.Mail{}, fmt.Errorf("message %d (%s) has no user or link: %w", m.ID, m.Kind, outbox.ErrDrop)
	}
	to, err := (&Store{}).messageRecipient(ctx, q, *m.UserID, p.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return outbox.Mail{}, fmt.Errorf("user %d at the address of message %d: %w", *m.UserID, m.ID, outbox.ErrDrop)
	}
	if err != nil {
		return outbox.Mail{}, err
	}
	base := strings.TrimRight(c.BaseURL, "/")
	mail := outbox.Mail{MessageID: fmt.Sprintf("<outbox-%d@%s>", m.ID, c.host()), To: p.Email, ToName: to.Name, Language: to.Locale}
	var link, body string
	switch m.Kind {
	case MessageVerify:
		mail.Subject = i18n.T(to.Locale, "account.verify.subject", nil)
		link = base + "/account/verify?token=" + url.QueryEscape(p.Secret)
		body = i18n.N(to.Locale, "account.verify.body", int(VerifyTTL/time.Hour), i18n.Data{"Link": link})
	case MessageReset:
		mail.Subject = i18n.T(to.Locale, "account.reset.subject", nil)
		link = base + "/account/reset?token=" + url.QueryEscape(p.Secret)
		body = i18n.N(to.Locale, "account.reset.body", int(ResetTTL/time.Hour), i18n.Data{"Link": link})
	default:
		return outbox.Mail{}, fmt.Errorf("message %d has unknown kind %q: %w", m.ID, m.Kind, outbox.ErrDrop)
	}
	mail.Text = outbox.Letter(to.Locale, to.Name, body)
	return mail, nil
}

func (c Composer) host() string {
	if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "hubtalks"
}
