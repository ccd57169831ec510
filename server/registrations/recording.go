package registrations

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/dbx"
)

// MessageRecordingUp tells a confirmed registrant that the talk's recording
// is online (a per-user setting turns it off; the outbox honours it).
const MessageRecordingUp = "recording.up"

// notifyRecording claims the talk's one "recording is up" notice (only when
// it has a recording and was never told) and writes a message to each
// confirmed registrant; the dedupe key keeps it to one per person even if
// the claim were ever reset.
const notifyRecording = `WITH claimed AS (
		UPDATE talks SET recording_notified_at = now()
		WHERE id = $1 AND recording_notified_at IS NULL AND recording_video_id IS NOT NULL
		RETURNING id)
	INSERT INTO outbox (kind, talk_id, user_id, dedupe_key)
	SELECT $2, r.talk_id, r.user_id, $2 || ':' || r.talk_id || ':' || r.user_id
	FROM registrations r JOIN claimed c ON c.id = r.talk_id
	WHERE r.status = 'confirmed'
	ORDER BY r.seq
	ON CONFLICT (dedupe_key) DO NOTHING`

// RecordingLinked runs in the transaction that links a recording to a talk
// (playlists, whichever way the link came: by hand, an import or a sync):
// the first time the talk has a recording, its confirmed registrants are
// told, once per talk; a changed or repeated link tells nobody again.
func RecordingLinked(ctx context.Context, tx sqlx.ExecerContext, talkID int64) error {
	return dbx.Exec(ctx, tx, "notify recording", notifyRecording, talkID, MessageRecordingUp)
}
