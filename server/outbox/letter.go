package outbox

import (
	"strings"

	"github.com/hubtalks/hubtalks/server/i18n"
)

// Letter is the text of an email in locale: the greeting of name, the body
// and the series' signature.
func Letter(locale, name, body string) string {
	var b strings.Builder
	b.WriteString(i18n.T(locale, "mail.greeting", i18n.Data{"Name": name}))
	b.WriteString("\n\n")
	b.WriteString(strings.TrimRight(body, "\n"))
	b.WriteString("\n\n")
	b.WriteString(i18n.T(locale, "mail.signature", nil))
	b.WriteString("\n")
	return b.String()
}
