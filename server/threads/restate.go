package threads

import (
	"context"
	"fmt"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/live"
)

// A replay of a talk's channel shows what HTTP shows now. When a thread or
// post is hidden, unhidden or edited, its earlier stored events are
// rewritten (live.Tx.Restate) to what each channel's viewers see of it now.

// restateThread rewrites the stored events of thread t: the staff channel
// shows it as it is; the public channel shows it, or its tombstone (text
// emptied) while it is hidden.
func restateThread(tx *live.Tx, t Thread) error {
	if err := tx.Restate(live.StaffChannel(t.TalkID), realtime.Restatement{Subject: live.Subject("thread", t.ID), Data: t}); err != nil {
		return err
	}
	public := realtime.Restatement{Subject: live.Subject("thread", t.ID), Data: t}
	if t.Hidden {
		public.Type, public.Data = "thread.updated", threadTombstone(t)
	}
	return tx.Restate(live.TalkChannel(t.TalkID), public)
}

// restatePublicPosts rewrites the stored public events of the posts under a
// change of visibility (every post of the thread, or only post `only` and
// its replies): each shows the post, or its tombstone when it, its parent
// or its thread is hidden. Visible posts are rewritten too: they may be
// coming back (unhide) from a tombstone.
func restatePublicPosts(ctx context.Context, tx *live.Tx, talkID, threadID int64, threadHidden bool, only *int64) error {
	var rows []struct {
		postRow
		ParentHidden bool `db:"parent_hidden"`
	}
	if err := tx.SelectContext(ctx, &rows, selectPostsUnder, threadID, only); err != nil {
		return fmt.Errorf("load posts of thread %d: %w", threadID, err)
	}
	rs := make([]realtime.Restatement, len(rows))
	for i, r := range rows {
		p := r.post()
		rs[i] = realtime.Restatement{Subject: live.Subject("post", p.ID), Data: p}
		if p.Hidden || r.ParentHidden || threadHidden {
			rs[i].Type, rs[i].Data = "post.updated", postTombstone(p)
		}
	}
	return tx.Restate(live.TalkChannel(talkID), rs...)
}

// threadTombstone is a hidden thread as the public sees it: without its text.
func threadTombstone(t Thread) Thread {
	t.Title, t.Body, t.Hidden = "", "", true
	return t
}

// postTombstone is a hidden post as the public sees it: without its text.
func postTombstone(p Post) Post {
	p.Body, p.Hidden = "", true
	return p
}
