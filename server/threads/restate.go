package threads

import (
	"context"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/live"
)

// What the live channels show of threads and posts. A replay of a talk's
// channel shows what HTTP shows now: when a thread or post is hidden,
// unhidden or edited, its earlier stored events are rewritten
// (live.Tx.Restate) to what each channel's viewers see of it now.

// publicThread is what the public channel gets for a thread change: the
// thread while visible; when it just became hidden, its tombstone, so
// clients drop it; nothing while it stays hidden.
func publicThread(t Thread, wasHidden bool) any {
	switch {
	case !t.Hidden:
		return t
	case !wasHidden:
		return threadTombstone(t)
	}
	return nil
}

// publicPost is what the public channel gets for a post change: nothing
// while its thread or parent is hidden (hiddenAbove); else the post while
// visible, its tombstone when it just became hidden, nothing while it
// stays hidden.
func publicPost(p Post, wasHidden, hiddenAbove bool) any {
	switch {
	case hiddenAbove:
		return nil
	case !p.Hidden:
		return p
	case !wasHidden:
		return postTombstone(p)
	}
	return nil
}

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

// restatePost rewrites the stored events of post p after a change, and
// those of its replies, whose visibility follows it: the staff channel
// shows p as it is; the public one, what restatePublicPosts says.
func (s *Service) restatePost(ctx context.Context, tx *live.Tx, p Post, talkID int64, threadHidden bool) error {
	if err := tx.Restate(live.StaffChannel(talkID), realtime.Restatement{Subject: live.Subject("post", p.ID), Data: p}); err != nil {
		return err
	}
	return s.restatePublicPosts(ctx, tx, talkID, p.ThreadID, threadHidden, &p.ID)
}

// restatePublicPosts rewrites the stored public events of the posts under a
// change of visibility (every post of the thread, or only post `only` and
// its replies): each shows the post, or its tombstone when it, its parent
// or its thread is hidden. Visible posts are rewritten too: they may be
// coming back (unhide) from a tombstone.
func (s *Service) restatePublicPosts(ctx context.Context, tx *live.Tx, talkID, threadID int64, threadHidden bool, only *int64) error {
	rows, err := s.store.PostsUnder(ctx, tx, threadID, only)
	if err != nil {
		return err
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
