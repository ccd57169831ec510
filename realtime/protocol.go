package realtime

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Event is one stored, sequenced event of a channel. On the wire it is
// {"op":"event","channel","seq","type","at","data"}.
type Event struct {
	Channel string
	Seq     int64
	Type    string
	At      time.Time
	Data    json.RawMessage
}

// Principal is who holds a connection. UserID 0 is an anonymous viewer.
// Addr is the client's address, for the per-address socket cap.
type Principal struct {
	UserID int64
	Role   string
	Addr   string
}

// ErrForbidden is what an Authorize hook wraps to refuse a channel; any
// other error means authorisation could not be decided now (the database
// is unavailable) and takes nothing away.
var ErrForbidden = errors.New("forbidden")

// PresenceType is an event type without a seq: it is never stored (nor is
// ReactionsType).
const PresenceType = "presence"

// Error codes of error frames; they match the HTTP API's error codes where
// the two overlap.
const (
	CodeForbidden            = "forbidden"
	CodeBadChannel           = "bad_channel"
	CodeBadRequest           = "bad_request"
	CodeUnknownOp            = "unknown_op"
	CodeRateLimited          = "rate_limited"
	CodeAlreadySubscribed    = "already_subscribed"
	CodeNotSubscribed        = "not_subscribed"
	CodeTooManySubscriptions = "too_many_subscriptions"
	CodeUnavailable          = "unavailable"
)

// ValidChannel reports whether name is talk:{id} or talk:{id}:staff with a
// positive decimal id without leading zeros.
func ValidChannel(name string) bool {
	_, _, ok := ParseChannel(name)
	return ok
}

// ParseChannel splits a channel name into its talk id and whether it is the
// staff channel.
func ParseChannel(name string) (talkID int64, staff bool, ok bool) {
	rest, found := strings.CutPrefix(name, "talk:")
	if !found {
		return 0, false, false
	}
	if r, isStaff := strings.CutSuffix(rest, ":staff"); isStaff {
		rest, staff = r, true
	}
	if rest == "" || len(rest) > 18 || rest[0] == '0' {
		return 0, false, false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return 0, false, false
		}
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return 0, false, false
	}
	return id, staff, true
}

// timeLayout is RFC 3339 with milliseconds, always UTC ("Z").
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			simple = false
			break
		}
	}
	if simple {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	enc, _ := json.Marshal(s)
	return append(b, enc...)
}

// encodeEvent builds the wire frame of ev once; every subscriber gets these
// same bytes. A presence event (Seq 0) has no seq field.
func encodeEvent(ev Event) []byte {
	b := make([]byte, 0, 96+len(ev.Channel)+len(ev.Type)+len(ev.Data))
	b = append(b, `{"op":"event","channel":`...)
	b = appendJSONString(b, ev.Channel)
	if ev.Seq > 0 {
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, ev.Seq, 10)
	}
	b = append(b, `,"type":`...)
	b = appendJSONString(b, ev.Type)
	b = append(b, `,"at":"`...)
	b = ev.At.UTC().AppendFormat(b, timeLayout)
	b = append(b, `","data":`...)
	if len(ev.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, ev.Data...)
	}
	return append(b, '}')
}

func encodeSubscribed(channel string, seq int64, recovered *bool) []byte {
	b := make([]byte, 0, 80+len(channel))
	b = append(b, `{"op":"subscribed","channel":`...)
	b = appendJSONString(b, channel)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	if recovered != nil {
		b = append(b, `,"recovered":`...)
		b = strconv.AppendBool(b, *recovered)
	}
	return append(b, '}')
}

func encodeError(code, message, channel string) []byte {
	b := make([]byte, 0, 64+len(message)+len(channel))
	b = append(b, `{"op":"error","code":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message)
	if channel != "" {
		b = append(b, `,"channel":`...)
		b = appendJSONString(b, channel)
	}
	return append(b, '}')
}

var pongFrame = []byte(`{"op":"pong"}`)

// clientFrame is what a client may send.
type clientFrame struct {
	Op      string `json:"op"`
	Channel string `json:"channel"`
	Since   *int64 `json:"since"`
}
