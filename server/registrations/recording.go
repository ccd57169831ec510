package registrations

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// MessageRecordingUp tells a confirmed registrant that the talk's recording
// is online (a per-user setting turns it off; the outbox honours it).
const MessageRecordingUp = "recording.up"

// RecordingLinked runs in the transaction that links a recording to a talk
// (playlists, whichever way the link came: by hand, an import or a sync):
// the first time the talk has a recording, its confirmed registrants are
// told, once per talk; a changed or repeated link tells nobody again.
func RecordingLinked(ctx context.Context, tx sqlx.ExecerContext, talkID int64) error {
	return Store{}.notifyRecording(ctx, tx, talkID)
}
