package talks

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/keyset"
)

// DecodeChange reads a request body strictly and records which fields it
// holds (so PATCH can tell "absent" from "null").
func DecodeChange(body []byte) (Change, error) {
	var in Change
	if err := httpx.DecodeBytes(body, &in); err != nil {
		return in, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return in, httpx.BadRequest("malformed_json", "the request body must be a JSON object")
	}
	in.present = map[string]bool{}
	for k := range raw {
		in.present[k] = true
	}
	in.qaPresent = map[string]bool{}
	if q, ok := raw["qa"]; ok {
		var qraw map[string]json.RawMessage
		if json.Unmarshal(q, &qraw) == nil {
			for k := range qraw {
				in.qaPresent[k] = true
			}
		}
	}
	return in, nil
}

var languageRe = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// Limits of a talk's fields.
const (
	maxTitle    = 200
	minTitle    = 3
	maxAbstract = 20000
	maxTags     = 10
	maxTag      = 40
	maxLocation = 500
	maxURL      = 2000
	maxSpeakers = 20
	maxCapacity = 1_000_000
)

// apply writes the present fields of in over t, checking each; the checks
// that involve several fields run afterwards in checkTalk.
func (in Change) apply(t *Talk, v *domain.Checker, speakers *[]int64) {
	p := in.present
	notNull := func(field string, isNil bool) bool {
		if p[field] && isNil {
			v.Add(field, "must not be null")
			return false
		}
		return p[field]
	}
	if notNull("title", in.Title == nil) {
		t.Title = *in.Title
	}
	if notNull("abstract", in.Abstract == nil) {
		t.Abstract = *in.Abstract
	}
	if notNull("starts_at", in.StartsAt == nil) {
		if at, ok := parseTime(*in.StartsAt); ok {
			t.StartsAt = at
		} else {
			v.Add("starts_at", "must be an RFC 3339 time")
		}
	}
	if notNull("ends_at", in.EndsAt == nil) {
		if at, ok := parseTime(*in.EndsAt); ok {
			t.EndsAt = at
		} else {
			v.Add("ends_at", "must be an RFC 3339 time")
		}
	}
	if notNull("status", in.Status == nil) {
		if *in.Status != StatusDraft && *in.Status != StatusScheduled {
			v.Add("status", `must be "draft" or "scheduled" (use /cancel and /status for the others)`)
		} else {
			t.Status = *in.Status
		}
	}
	if notNull("tags", in.Tags == nil) {
		t.Tags = in.Tags
	}
	if notNull("language", in.Language == nil) {
		t.Language = *in.Language
	}
	if notNull("format", in.Format == nil) {
		t.Format = *in.Format
	}
	if notNull("location", in.Location == nil) {
		t.Location = *in.Location
	}
	if p["stream_url"] {
		t.StreamURL = in.StreamURL
		if t.StreamURL != nil && *t.StreamURL == "" {
			t.StreamURL = nil
		}
	}
	if p["capacity"] {
		t.Capacity = in.Capacity
	}
	if notNull("certificate_min_share", in.CertificateMinShare == nil) {
		t.CertificateMinShare = *in.CertificateMinShare
	}
	if p["registration_closes_at"] {
		t.RegistrationClosesAt = nil
		if in.RegistrationClosesAt != nil {
			if at, ok := parseTime(*in.RegistrationClosesAt); ok {
				t.RegistrationClosesAt = &at
			} else {
				v.Add("registration_closes_at", "must be an RFC 3339 time or null")
			}
		}
	}
	if notNull("speakers", in.Speakers == nil) {
		seen := map[int64]bool{}
		ids := []int64{}
		for _, s := range in.Speakers {
			if s.ID <= 0 {
				v.Add("speakers", "must be users given as {\"id\": …}")
				break
			}
			if !seen[s.ID] {
				seen[s.ID] = true
				ids = append(ids, s.ID)
			}
		}
		if len(ids) > maxSpeakers {
			v.Add("speakers", "must be at most 20 users")
		}
		*speakers = ids
	}
	if notNull("recording", in.Recording == nil) && in.Recording.OffsetSeconds != nil {
		if o := *in.Recording.OffsetSeconds; o < -MaxRecordingOffset || o > MaxRecordingOffset {
			v.Add("recording.offset_seconds", "must be from -86400 to 86400 seconds")
		} else {
			t.RecordingOffset = o
			if t.Recording != nil {
				t.Recording.OffsetSeconds = o
			}
		}
	}
	if notNull("qa", in.QA == nil) {
		q := in.qaPresent
		if q["moderation"] {
			if in.QA.Moderation == nil || (*in.QA.Moderation != "pre" && *in.QA.Moderation != "post") {
				v.Add("qa.moderation", `must be "pre" or "post"`)
			} else {
				t.QA.Moderation = *in.QA.Moderation
			}
		}
		for _, f := range []struct {
			name string
			in   *bool
			out  *bool
		}{
			{"allow_anonymous", in.QA.AllowAnonymous, &t.QA.AllowAnonymous},
			{"allow_guests", in.QA.AllowGuests, &t.QA.AllowGuests},
			{"open", in.QA.Open, &t.QA.Open},
		} {
			if !q[f.name] {
				continue
			}
			if f.in == nil {
				v.Add("qa."+f.name, "must be true or false")
			} else {
				*f.out = *f.in
			}
		}
	}
}

// newTalk is the talk ch creates, over the defaults, with its speakers;
// title and times are required.
func (in Change) newTalk() (Talk, []int64, error) {
	t := Talk{Status: StatusScheduled, Tags: []string{}, Language: "en", Format: "online", CertificateMinShare: DefaultCertificateMinShare,
		QA: QA{Moderation: "post", AllowAnonymous: true, AllowGuests: true, Open: true}}
	var v domain.Checker
	for _, f := range []string{"title", "starts_at", "ends_at"} {
		v.Check(in.present[f], f, "is required")
	}
	speakers := []int64{}
	in.apply(&t, &v, &speakers)
	checkTalk(t, &v)
	return t, speakers, v.Err()
}

// filter checks a listing request and makes it the store's filter for
// viewer. A forged cursor is refused before the fields' errors are reported.
func (q Query) filter(viewer *domain.User) (filter, error) {
	f := filter{Viewer: viewer, Limit: q.Page.Limit}
	var v domain.Checker
	for _, p := range []struct {
		name, value string
		dst         **time.Time
	}{{"from", q.From, &f.From}, {"to", q.To, &f.To}} {
		if p.value != "" {
			at, ok := parseTime(p.value)
			v.Check(ok, p.name, "must be an RFC 3339 time")
			*p.dst = &at
		}
	}
	if s := q.Status; s != "" {
		v.Check(s == StatusDraft || s == StatusScheduled || s == StatusLive || s == StatusEnded || s == StatusCancelled,
			"status", "must be draft, scheduled, live, ended or cancelled")
		f.Status = &s
	}
	if s := q.Tag; s != "" {
		f.Tag = &s
	}
	if s := q.Speaker; s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		v.Check(err == nil && id > 0, "speaker", "must be a user id")
		f.Speaker = &id
	}
	if s := strings.TrimSpace(q.Q); s != "" {
		v.Check(len(s) <= 200, "q", "must be at most 200 characters")
		f.Q = &s
	}
	if q.Page.Cursor != "" {
		var cur cursor
		if err := keyset.DecodeCursor(q.Page.Cursor, &cur); err != nil {
			return f, err
		}
		f.After = &cur
	}
	return f, v.Err()
}

func parseTime(s string) (time.Time, bool) {
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return at.UTC(), true
}

// checkTalk checks a whole talk after the changes were applied.
func checkTalk(t Talk, v *domain.Checker) {
	n := utf8.RuneCountInString(strings.TrimSpace(t.Title))
	v.Check(n >= minTitle && n <= maxTitle, "title", "must be 3 to 200 characters")
	v.Check(utf8.RuneCountInString(t.Abstract) <= maxAbstract, "abstract", "must be at most 20000 characters")
	if !t.StartsAt.IsZero() && !t.EndsAt.IsZero() {
		v.Check(t.EndsAt.After(t.StartsAt), "ends_at", "must be after starts_at")
	}
	v.Check(!t.StartsAt.IsZero(), "starts_at", "is required")
	v.Check(!t.EndsAt.IsZero(), "ends_at", "is required")
	if len(t.Tags) > maxTags {
		v.Add("tags", "must be at most 10 tags")
	}
	for _, tag := range t.Tags {
		if n := utf8.RuneCountInString(strings.TrimSpace(tag)); n < 1 || n > maxTag {
			v.Add("tags", "each tag must be 1 to 40 characters")
			break
		}
	}
	v.Check(languageRe.MatchString(t.Language), "language", "must be a language code such as en or pt-BR")
	v.Check(t.Format == "online" || t.Format == "onsite" || t.Format == "hybrid", "format", `must be "online", "onsite" or "hybrid"`)
	v.Check(utf8.RuneCountInString(t.Location) <= maxLocation, "location", "must be at most 500 characters")
	if t.StreamURL != nil {
		v.Check(validURL(*t.StreamURL), "stream_url", "must be an http(s) URL")
	}
	if t.Capacity != nil {
		v.Check(*t.Capacity >= 0 && *t.Capacity <= maxCapacity, "capacity", "must be from 0 to 1000000, or null for unlimited")
	}
	v.Check(t.CertificateMinShare >= 0.01 && t.CertificateMinShare <= 1,
		"certificate_min_share", "must be a share from 0.01 to 1 (0.5 is half of the live session)")
	if t.RegistrationClosesAt != nil && !t.EndsAt.IsZero() {
		v.Check(!t.RegistrationClosesAt.After(t.EndsAt), "registration_closes_at", "must not be after ends_at")
	}
}

func validURL(s string) bool {
	if len(s) > maxURL {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\r\n")
}
