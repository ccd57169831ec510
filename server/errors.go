package server

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/attendance"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/i18n"
	"github.com/hubtalks/hubtalks/server/playlists"
	"github.com/hubtalks/hubtalks/server/polls"
	"github.com/hubtalks/hubtalks/server/qa"
	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/speakers"
	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/threads"
)

// codeForStatus names the errors Fiber itself raises (routing, body limit).
var codeForStatus = map[int]string{
	http.StatusBadRequest:                  "bad_request",
	http.StatusNotFound:                    "not_found",
	http.StatusMethodNotAllowed:            "method_not_allowed",
	http.StatusRequestEntityTooLarge:       "payload_too_large",
	http.StatusUnsupportedMediaType:        "unsupported_media_type",
	http.StatusTooManyRequests:             "rate_limited",
	http.StatusRequestTimeout:              "request_timeout",
	http.StatusRequestHeaderFieldsTooLarge: "headers_too_large",
}

var detailForStatus = map[int]string{
	http.StatusNotFound:              "there is nothing at this address",
	http.StatusMethodNotAllowed:      "this address does not take that method",
	http.StatusRequestEntityTooLarge: "the request body is over 64 KiB",
}

// errorHandler answers every error as application/problem+json. It is the one
// place where errors are logged: 5xx with the request id, never to the client.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	err = s.unknownAPIPath(c, err)
	p := s.problemFor(c, err)
	locale := i18n.Request(c)
	i18n.LocalizeProblem(locale, p)
	c.Set(fiber.HeaderContentLanguage, locale)
	c.Vary(fiber.HeaderAcceptLanguage)
	if rid, ok := c.Locals("requestid").(string); ok {
		p.Instance = "urn:request:" + rid
	}
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, httpx.RetryAfterHeader(p.RetryAfter))
	}
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	err = c.JSON(p, "application/problem+json")
	if s.metrics.recordUnseen(c) {
		s.log.Info("request", "method", c.Method(), "status", p.Status, "answered", "before routing")
	}
	return err
}

// problems is the one table from the errors of domain rules to the API's
// answers: status and problem code. The detail is the error's own text (a
// sentinel's, or the case's given with domain.Because). Every sentinel a
// domain declares is here; a domain error missing from it would be a 500.
var problems = []struct {
	err    error
	status int
	code   string
}{
	{domain.ErrNotFound, http.StatusNotFound, "not_found"},
	{domain.ErrForbidden, http.StatusForbidden, "forbidden"},
	{accounts.ErrEmailTaken, http.StatusConflict, "email_taken"},
	{accounts.ErrInvalidCredentials, http.StatusUnauthorized, "invalid_credentials"},
	{accounts.ErrInvalidToken, http.StatusUnprocessableEntity, "invalid_token"},
	{accounts.ErrAlreadyVerified, http.StatusConflict, "already_verified"},
	{accounts.ErrNoEmail, http.StatusConflict, "no_email"},
	{accounts.ErrNoPassword, http.StatusConflict, "no_password"},
	{accounts.ErrNotGuest, http.StatusConflict, "not_guest"},
	{accounts.ErrGuestRole, http.StatusConflict, "guest_has_no_email"},
	{talks.ErrGuestsNotAllowed, http.StatusForbidden, "guests_not_allowed"},
	{registrations.ErrEmailRequired, http.StatusForbidden, "email_required"},
	{talks.ErrEnded, http.StatusConflict, "talk_ended"},
	{talks.ErrInvalidTransition, http.StatusConflict, "invalid_transition"},
	{registrations.ErrClosed, http.StatusConflict, "registration_closed"},
	{qa.ErrQAClosed, http.StatusConflict, "qa_closed"},
	{qa.ErrNotVotable, http.StatusConflict, "not_votable"},
	{qa.ErrNotPinnable, http.StatusConflict, "not_pinnable"},
	{qa.ErrQuestionDismissed, http.StatusConflict, "question_dismissed"},
	{qa.ErrEditWindow, http.StatusForbidden, "edit_window_closed"},
	{qa.ErrQuestionTaken, http.StatusConflict, "question_taken"},
	{threads.ErrLocked, http.StatusLocked, "thread_locked"},
	{threads.ErrEditWindow, http.StatusForbidden, "edit_window_closed"},
	{polls.ErrAlreadyOpen, http.StatusConflict, "poll_already_open"},
	{polls.ErrClosed, http.StatusConflict, "poll_closed"},
	{polls.ErrNotDraft, http.StatusConflict, "poll_not_draft"},
	{polls.ErrInvalidTransition, http.StatusConflict, "invalid_transition"},
	{polls.ErrTalkOver, http.StatusConflict, "talk_ended"},
	{playlists.ErrDuplicateVideo, http.StatusConflict, "duplicate_video"},
	{playlists.ErrInvalidFeed, http.StatusUnprocessableEntity, "invalid_feed"},
	{playlists.ErrPlaylistMismatch, http.StatusUnprocessableEntity, "playlist_mismatch"},
	{playlists.ErrNoYouTubePlaylist, http.StatusUnprocessableEntity, "no_youtube_playlist"},
	{playlists.ErrFeedUnavailable, http.StatusBadGateway, "feed_unavailable"},
	{attendance.ErrNotAttended, http.StatusForbidden, "not_attended"},
	{attendance.ErrNotOver, http.StatusConflict, "talk_not_ended"},
	{speakers.ErrPhotoTooLarge, http.StatusRequestEntityTooLarge, "payload_too_large"},
	{speakers.ErrPhotoType, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	{speakers.ErrNotAnImage, http.StatusUnprocessableEntity, "invalid_image"},
	{speakers.ErrPhotoPixelSize, http.StatusUnprocessableEntity, "image_too_large"},
}

func (s *Server) problemFor(c *fiber.Ctx, err error) *httpx.Problem {
	var p *httpx.Problem
	if errors.As(err, &p) {
		cp := *p
		return &cp
	}
	if p := domainProblem(err); p != nil {
		return p
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code, ok := codeForStatus[fe.Code]
		if !ok {
			code = "error"
		}
		if fe.Code == http.StatusRequestEntityTooLarge && playlists.IsImportRequest(c.Method(), c.OriginalURL()) {
			return httpx.NewProblemMsg(fe.Code, code, domain.Count("problem.feed_too_large", playlists.MaxFeedBytes>>20, nil))
		}
		detail := detailForStatus[fe.Code]
		if fe.Code == http.StatusRequestEntityTooLarge && speakers.IsPhotoUpload(c.Method(), c.OriginalURL()) {
			detail = speakers.ErrPhotoTooLarge.Error()
		}
		if detail == "" && fe.Code < 500 {
			detail = fe.Message
		}
		if fe.Code >= 500 {
			s.logError(c, err)
			detail = "something went wrong on our side"
		}
		return httpx.NewProblem(fe.Code, code, detail)
	}
	switch {
	case isBadText(err):
		return httpx.Invalid(domain.FieldError{Field: "body", Message: "holds characters the database cannot store"})
	case isUnavailable(err):
		s.log.Warn("dependency unavailable", "request_id", c.Locals("requestid"), "route", c.Route().Path, "err", err)
		return httpx.Unavailable("the service is briefly unavailable; retry shortly")
	}
	s.logError(c, err)
	return httpx.NewProblem(http.StatusInternalServerError, "internal_error", "something went wrong on our side")
}

// domainProblem answers an error of a domain rule, or nil for any other.
func domainProblem(err error) *httpx.Problem {
	var invalid *domain.Invalid
	if errors.As(err, &invalid) {
		return httpx.Invalid(invalid.Fields...)
	}
	var limited *domain.Limited
	if errors.As(err, &limited) {
		p := httpx.TooManyRequests(limited.Detail, int((limited.RetryAfter+time.Second-1)/time.Second))
		p.DetailMsg = limited.Msg
		return p
	}
	for _, e := range problems {
		if !errors.Is(err, e.err) {
			continue
		}
		detail := e.err.Error()
		var d domain.Detailed
		if errors.As(err, &d) {
			detail = d.Detail()
		}
		p := httpx.NewProblem(e.status, e.code, detail)
		var w domain.Worded
		if errors.As(err, &w) {
			p.DetailMsg = w.DetailMsg()
		}
		var f interface{ FieldErrors() []domain.FieldError }
		if errors.As(err, &f) {
			p.Errors = f.FieldErrors()
		}
		return p
	}
	return nil
}

func (s *Server) logError(c *fiber.Ctx, err error) {
	s.log.Error("request failed", "request_id", c.Locals("requestid"), "method", c.Method(), "route", c.Route().Path, "err", err)
}

// isBadText reports text PostgreSQL refuses (NUL, invalid encoding): the
// client's data, so a 422 rather than a 500. Decode catches most first.
func isBadText(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "22021" || pqErr.Code == "22P05")
}

// isUnavailable tells a database or network outage (retryable: 503) from a bug.
func isUnavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code.Class() {
		case "08", "53", "57": // connection exception, insufficient resources, operator intervention
			return true
		}
		switch pqErr.Code {
		case "40001", "40P01": // serialization failure, deadlock: retrying helps
			return true
		}
	}
	return errors.Is(err, sql.ErrConnDone)
}
