package testserver

import (
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/talks"
)

// At is the time d from now, in whole seconds, as the API takes it.
func At(d time.Duration) string {
	return time.Now().Add(d).UTC().Truncate(time.Second).Format(time.RFC3339)
}

// NewTalk creates a talk through the API as token's user: two days from
// now, an hour long, with fields overriding or adding to those defaults.
func NewTalk(t testing.TB, env *Env, token string, fields map[string]any) talks.Talk {
	t.Helper()
	body := map[string]any{"title": "Digital health literacy for all", "starts_at": At(48 * time.Hour), "ends_at": At(49 * time.Hour)}
	for k, v := range fields {
		body[k] = v
	}
	var out talks.Talk
	Must(t, env.Post("/api/v1/talks", token, body), 201).JSON(t, &out)
	return out
}

// AddSpeakers makes the users speakers of a talk inserted straight into the
// database, in the order given.
func AddSpeakers(t testing.TB, env *Env, talkID int64, userIDs ...int64) {
	t.Helper()
	for i, id := range userIDs {
		if _, err := env.DB.Exec(`INSERT INTO talk_speakers (talk_id, user_id, position) VALUES ($1, $2, $3)`, talkID, id, i); err != nil {
			t.Fatalf("add speaker %d to talk %d: %v", id, talkID, err)
		}
	}
}
