package domain

import (
	"errors"
	"fmt"
	"time"
)

// The errors domain code returns. Each domain declares the sentinels of its
// own rules next to its types (var ErrQAClosed = errors.New("…")); their
// text is what people read. server/errors.go maps every sentinel, and the
// kinds below, to an HTTP status and a problem code, in one table.
var (
	// ErrNotFound: the resource does not exist, or the caller may not know
	// that it does.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the caller may not do this.
	ErrForbidden = errors.New("not allowed")
)

// Denial is ErrForbidden with the reason a person reads.
type Denial struct {
	Reason string
	Msg    *Msg // the reason with its values, if it holds some
}

func (e *Denial) Error() string { return e.Reason }
func (e *Denial) Unwrap() error { return ErrForbidden }

// Forbidden refuses the caller with a reason.
func Forbidden(reason string) error { return &Denial{Reason: reason} }

// ForbiddenMsg refuses the caller with a reason that holds values.
func ForbiddenMsg(m Msg) error { return &Denial{Reason: m.String(), Msg: &m} }

// Missing is ErrNotFound with what a person reads ("no such talk").
type Missing struct {
	What string
	Msg  *Msg // What with its values, if it holds some
}

func (e *Missing) Error() string { return e.What }
func (e *Missing) Unwrap() error { return ErrNotFound }

// NotFound says that what a person asked for is not there.
func NotFound(detail string) error { return &Missing{What: detail} }

// NotFoundMsg is NotFound with a detail that holds values.
func NotFoundMsg(m Msg) error { return &Missing{What: m.String(), Msg: &m} }

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"` // English
	// Msg is the message with its values when it holds some (Message is
	// then its English); the error handler renders it in the request's
	// language. Never sent: the JSON is field and message.
	Msg *Msg `json:"-"`
}

// Invalid names every invalid field of a request.
type Invalid struct{ Fields []FieldError }

func (e *Invalid) Error() string {
	if len(e.Fields) == 1 {
		return e.Fields[0].Field + ": " + e.Fields[0].Message
	}
	return fmt.Sprintf("%d invalid fields", len(e.Fields))
}

// InvalidField is an Invalid for one field.
func InvalidField(field, message string) error {
	return &Invalid{Fields: []FieldError{{Field: field, Message: message}}}
}

// InvalidMsg is an Invalid for one field, its message holding values.
func InvalidMsg(field string, m Msg) error { return &Invalid{Fields: []FieldError{m.Field(field)}} }

// Checker collects field errors so a request reports every bad field at once.
type Checker struct{ errs []FieldError }

// Check records message for field when ok is false.
func (v *Checker) Check(ok bool, field, message string) {
	if !ok {
		v.errs = append(v.errs, FieldError{Field: field, Message: message})
	}
}

// Add records a field error unconditionally.
func (v *Checker) Add(field, message string) { v.Check(false, field, message) }

// CheckMsg records m for field when ok is false: a message with values.
func (v *Checker) CheckMsg(ok bool, field string, m Msg) {
	if !ok {
		v.errs = append(v.errs, m.Field(field))
	}
}

// AddMsg records a field error with values unconditionally.
func (v *Checker) AddMsg(field string, m Msg) { v.CheckMsg(false, field, m) }

// Err is nil when every check passed, else an *Invalid naming the fields.
func (v *Checker) Err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return &Invalid{Fields: v.errs}
}

// Limited is a rate limit reached: try again after RetryAfter.
type Limited struct {
	Detail     string
	Msg        *Msg // Detail with its values, if it holds some
	RetryAfter time.Duration
}

func (e *Limited) Error() string { return e.Detail }

// TooMany reports a rate limit reached; retry is rounded up to seconds by
// the API.
func TooMany(detail string, retry time.Duration) error {
	return &Limited{Detail: detail, RetryAfter: retry}
}

// TooManyMsg is TooMany with a detail that holds values.
func TooManyMsg(m Msg, retry time.Duration) error {
	return &Limited{Detail: m.String(), Msg: &m, RetryAfter: retry}
}

// Detailed is an error that says what a person reads about it.
type Detailed interface{ Detail() string }

func (e *Denial) Detail() string  { return e.Reason }
func (e *Missing) Detail() string { return e.What }

// Worded is an error whose detail holds values: DetailMsg is it (nil when
// the detail is a fixed text).
type Worded interface{ DetailMsg() *Msg }

func (e *Denial) DetailMsg() *Msg  { return e.Msg }
func (e *Missing) DetailMsg() *Msg { return e.Msg }

// Because is a domain sentinel with the detail of this case ("a live talk
// cannot become draft" for ErrInvalidTransition), and the fields it is
// about, if any.
func Because(sentinel error, detail string, fields ...FieldError) error {
	return &because{sentinel: sentinel, detail: detail, fields: fields}
}

// BecauseMsg is Because with a detail that holds values.
func BecauseMsg(sentinel error, m Msg, fields ...FieldError) error {
	return &because{sentinel: sentinel, detail: m.String(), msg: &m, fields: fields}
}

type because struct {
	sentinel error
	detail   string
	msg      *Msg
	fields   []FieldError
}

func (e *because) DetailMsg() *Msg           { return e.msg }
func (e *because) Error() string             { return e.detail }
func (e *because) Unwrap() error             { return e.sentinel }
func (e *because) Detail() string            { return e.detail }
func (e *because) FieldErrors() []FieldError { return e.fields }
