package i18n

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/i18n/catalog"
)

// Source reads the raw messages of locale's catalog: a string, or a table
// of plural forms. The catalog check reads it too.
func Source(locale string) (map[string]any, error) { return catalog.Source(locale) }

// problemPrefix names the catalog's problem details and field messages. A
// fixed one's English text is the server's own (a sentinel error's, a
// refusal's), and it is localized when its text is one of them, word for
// word; one with values (domain.Msg) is named by its id in the code.
const problemPrefix = "problem."

var problemIDs = func() map[string]string {
	en, err := Source(Default)
	if err != nil {
		panic("i18n: " + err.Error())
	}
	ids := map[string]string{}
	for id, v := range en {
		if s, ok := v.(string); ok && strings.HasPrefix(id, problemPrefix) {
			ids[s] = id
		}
	}
	return ids
}()

// ProblemIDs is the English text of every problem detail the catalogs
// translate, with its message id.
func ProblemIDs() map[string]string { return problemIDs }

// Detail is a fixed English detail in locale when the catalogs have it,
// else as it is (TestEveryProblemMessageIsInTheCatalogs keeps that from
// happening to the server's own details).
func Detail(locale, english string) string {
	if id, ok := problemIDs[english]; ok {
		return T(locale, id, nil)
	}
	return english
}

// LocalizeProblem puts p's title, detail and field messages in locale;
// its code and fields stay as they are. A message with values is rendered
// from its id; a fixed one is found by its English text.
func LocalizeProblem(locale string, p *httpx.Problem) {
	if locale == Default || !Supported(locale) {
		return
	}
	if t := T(locale, "status."+strconv.Itoa(p.Status), nil); !strings.HasPrefix(t, "status.") {
		p.Title = t // else a status with no title in the catalogs keeps its English one
	}
	switch {
	case p.DetailMsg != nil:
		p.Detail = p.DetailMsg.In(locale)
	case len(p.Errors) == 1 && p.Detail == p.Errors[0].Field+": "+p.Errors[0].Message:
		p.Detail = p.Errors[0].Field + ": " + fieldMessage(locale, p.Errors[0])
	case p.Detail == http.StatusText(p.Status):
		p.Detail = T(locale, "status."+strconv.Itoa(p.Status), nil) // Fiber's own detail: its status's text
	default:
		p.Detail = Detail(locale, p.Detail)
	}
	if len(p.Errors) > 0 {
		errs := append(p.Errors[:0:0], p.Errors...)
		for i := range errs {
			errs[i].Message = fieldMessage(locale, errs[i])
		}
		p.Errors = errs
	}
}

func fieldMessage(locale string, e domain.FieldError) string {
	if e.Msg != nil {
		return e.Msg.In(locale)
	}
	return Detail(locale, e.Message)
}
