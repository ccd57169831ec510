package moderation

import (
	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/talks"
)

// The channel rule (see the package doc): what qa and threads emit goes to
// a talk's staff channel always, and to its public channel when the public
// may see the item and the talk.

// Publish emits an event about subject by the channel rule of this package:
// always on the talk's staff channel with staffData, and on its public
// channel with publicData unless that is nil or the public may not see the
// talk (a draft emits nothing in public).
func Publish(tx *live.Tx, talk talks.Access, typ, subject string, staffData, publicData any) error {
	return tx.EmitAll(Drafts(talk, typ, subject, staffData, publicData)...)
}

// Drafts are the events Publish emits, for a change written in one
// statement (live.Write). The staff channel comes first: every writer locks
// the two channels' counters in this order.
func Drafts(talk talks.Access, typ, subject string, staffData, publicData any) []realtime.Draft {
	staff := realtime.Draft{Channel: live.StaffChannel(talk.TalkID), Type: typ, Subject: subject, Data: staffData}
	if publicData == nil || talk.TalkStatus == talks.StatusDraft {
		return []realtime.Draft{staff}
	}
	return []realtime.Draft{staff, {Channel: live.TalkChannel(talk.TalkID), Type: typ, Subject: subject, Data: publicData}}
}

// IfPublic is the public data of an event (Publish): data when the public
// sees the item, nil (nothing in public) when it does not.
func IfPublic(public bool, data any) any {
	if public {
		return data
	}
	return nil
}

// PublishPublic emits an event on the talk's public channel only, unless
// the talk is a draft (the public does not see it, whoever acts).
func PublishPublic(tx *live.Tx, talk talks.Access, typ, subject string, data any) error {
	if talk.TalkStatus == talks.StatusDraft {
		return nil
	}
	return tx.Emit(live.TalkChannel(talk.TalkID), typ, subject, data)
}
