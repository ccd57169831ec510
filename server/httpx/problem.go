// Package httpx holds what every HTTP handler of Hub Talks shares: the
// problem+json error vocabulary, strict JSON decoding, validation, the
// signed-in user, pagination cursors and request-scoped timeouts.
package httpx

import (
	"net/http"
	"strconv"

	"github.com/hubtalks/hubtalks/server/domain"
)

// Problem is an RFC 9457 problem detail; returning one from a handler makes
// the error handler answer with it as application/problem+json.
type Problem struct {
	Type       string              `json:"type"`
	Title      string              `json:"title"`
	Status     int                 `json:"status"`
	Code       string              `json:"code"`
	Detail     string              `json:"detail,omitempty"`
	Instance   string              `json:"instance,omitempty"`
	Errors     []domain.FieldError `json:"errors,omitempty"`
	RetryAfter int                 `json:"-"` // seconds; sent as the Retry-After header when > 0
	// DetailMsg is Detail with its values when it holds some (Detail is
	// then its English), for the error handler to render in the request's
	// language; a fixed detail is localized by its text.
	DetailMsg *domain.Msg `json:"-"`
}

func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// NewProblem builds a problem with the standard title of its status.
func NewProblem(status int, code, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// NewProblemMsg is NewProblem with a detail that holds values.
func NewProblemMsg(status int, code string, m domain.Msg) *Problem {
	p := NewProblem(status, code, m.String())
	p.DetailMsg = &m
	return p
}

// BadRequest is a 400 for a request that cannot be read at all.
func BadRequest(code, detail string) *Problem { return NewProblem(http.StatusBadRequest, code, detail) }

// Unauthorized is the answer to a request that needs a signed-in user.
func Unauthorized(detail string) *Problem {
	return NewProblem(http.StatusUnauthorized, "unauthorized", detail)
}

// Invalid is a 422 naming every bad field.
func Invalid(errs ...domain.FieldError) *Problem {
	p := NewProblem(http.StatusUnprocessableEntity, "validation_failed", "the request has invalid fields")
	if len(errs) == 1 {
		p.Detail = errs[0].Field + ": " + errs[0].Message
	}
	p.Errors = errs
	return p
}

// TooManyRequests is a 429 telling the client when to come back.
func TooManyRequests(detail string, retryAfterSeconds int) *Problem {
	if retryAfterSeconds < 1 {
		retryAfterSeconds = 1
	}
	p := NewProblem(http.StatusTooManyRequests, "rate_limited", detail)
	p.RetryAfter = retryAfterSeconds
	return p
}

// Unavailable is a 503 for a dependency that is down; the client may retry.
func Unavailable(detail string) *Problem {
	p := NewProblem(http.StatusServiceUnavailable, "service_unavailable", detail)
	p.RetryAfter = 2
	return p
}

// RetryAfterHeader formats seconds for the Retry-After header.
func RetryAfterHeader(seconds int) string { return strconv.Itoa(seconds) }
