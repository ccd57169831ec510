package threads

import (
	"context"
	"database/sql"
	"errors"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/talks"
)

// The rules of posts: replying, editing, hiding and flagging.

// visible: a hidden post, a reply to one and a post of a hidden thread are
// for staff of the talk only.
func (a postAccess) visible() bool {
	return a.Visible() && (a.Staff() || !(a.Hidden || a.ThreadHidden || a.ParentHidden))
}

// post loads post id for u; one u may not see is not found.
func (s *Service) post(ctx context.Context, id int64, u *domain.User) (postAccess, error) {
	a, err := s.store.PostAccess(ctx, s.db, id, u)
	if err == nil && !a.visible() {
		err = moderation.NotFound("post", id)
	}
	return a, err
}

// Post stores u's post in thread threadID in txn, with its log entry and
// events; one holding a blocked word is hidden.
func (s *Service) Post(ctx context.Context, u *domain.User, threadID int64, n NewPost, txn moderation.Txn[Post]) (Post, error) {
	a, err := moderation.TakingPart(s.thread(ctx, threadID, u))
	if err != nil {
		return Post{}, err
	}
	var v domain.Checker
	body := moderation.Text(&v, "body", n.Body, MaxBody)
	if n.ParentID != nil {
		if err := s.checkParent(ctx, &v, a, *n.ParentID); err != nil {
			return Post{}, err
		}
	}
	if err := v.Err(); err != nil {
		return Post{}, err
	}
	if a.Locked {
		return Post{}, ErrLocked
	}
	if err := s.mod.Allow(ctx, "post", u.ID, s.mod.Cfg.PostRate); err != nil {
		return Post{}, err
	}
	r := postRow{Post: Post{ThreadID: threadID, ParentID: n.ParentID, Body: body, Hidden: s.mod.Blocked(body)}, Authored: moderation.Authored{AuthorID: u.ID}}
	return txn.Run(func(tx *live.Tx) (Post, error) { return s.insertPost(ctx, tx, a, r) })
}

// checkParent checks that a reply's parent is a top-level post of the
// thread that the caller sees.
func (s *Service) checkParent(ctx context.Context, v *domain.Checker, a threadAccess, parentID int64) error {
	p, err := s.store.Parent(ctx, s.db, parentID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		v.Add("parent_id", "must be a post of this thread")
	case err != nil:
		return err
	case p.ThreadID != a.ID || (p.Hidden && !a.Staff()):
		v.Add("parent_id", "must be a post of this thread")
	case p.ParentID.Valid:
		v.Add("parent_id", "must be a top-level post: replies are one level deep")
	}
	return nil
}

// insertPost stores a new post with its log entry and events.
func (s *Service) insertPost(ctx context.Context, tx *live.Tx, a threadAccess, r postRow) (Post, error) {
	// The lock check again under the thread's row lock: a lock that commits
	// first wins.
	th, err := s.store.LockThread(ctx, tx, a.ID)
	if err != nil {
		return Post{}, err
	}
	if th.Locked {
		return Post{}, ErrLocked
	}
	// A reply under a hidden post is hidden from the public with it.
	parentHidden := false
	if r.ParentID != nil {
		parent, err := s.store.LockParent(ctx, tx, *r.ParentID)
		if err != nil {
			return Post{}, err
		}
		parentHidden = parent.Hidden
	}
	r.CreatedAt = s.mod.Now()
	id, err := s.store.InsertPost(ctx, tx, r)
	if err != nil {
		return Post{}, err
	}
	if r.Hidden {
		err = s.mod.Record(ctx, tx, moderation.HiddenForWords(a.TalkID, moderation.Target{Type: "post", ID: id}))
	} else {
		err = s.store.TouchThread(ctx, tx, a.ID, r.CreatedAt)
	}
	if err != nil {
		return Post{}, err
	}
	out, err := s.store.Post(ctx, tx, id)
	if err != nil {
		return Post{}, err
	}
	return out, moderation.Publish(tx, a.Access, "post.created", live.Subject("post", id), out, moderation.IfPublic(!r.Hidden && !th.Hidden && !parentHidden, out))
}

// EditPost applies the author's edit of the body or a moderator's hiding
// or unhiding.
func (s *Service) EditPost(ctx context.Context, u *domain.User, id int64, ch PostChange) (Post, error) {
	p, err := moderation.TakingPart(s.post(ctx, id, u))
	if err != nil {
		return Post{}, err
	}
	if ch.Hidden != nil && !u.IsModerator() {
		return Post{}, domain.Forbidden("only moderators hide posts")
	}
	if ch.Body != nil && p.AuthorID != u.ID {
		return Post{}, domain.Forbidden("only the author edits a post")
	}
	var v domain.Checker
	v.Check(ch.Body != nil || ch.Hidden != nil, "body", "give body or hidden")
	body := moderation.OptionalText(&v, "body", ch.Body, MaxBody)
	reason := moderation.Reason(&v, ch.Reason)
	if err := v.Err(); err != nil {
		return Post{}, err
	}
	return live.TxnOf[Post](ctx, s.rec).Run(func(tx *live.Tx) (Post, error) {
		return s.editPost(ctx, tx, u, p, ch, body, reason)
	})
}

// editPost is EditPost's change, under the post's row lock.
func (s *Service) editPost(ctx context.Context, tx *live.Tx, u *domain.User, p postAccess, ch PostChange, body, reason string) (Post, error) {
	lp, err := s.store.LockPost(ctx, tx, p.ID)
	if err != nil {
		return Post{}, err
	}
	if ch.Body != nil {
		if err := s.editable(lp.CreatedAt); err != nil {
			return Post{}, err
		}
		if lp.Locked {
			return Post{}, ErrLocked
		}
	}
	log := changes{talkID: lp.TalkID, target: moderation.Target{Type: "post", ID: p.ID}, reason: reason}
	hidden, newBody, edited := lp.Hidden, lp.Body, false
	log.flip(&hidden, ch.Hidden, u.ID, "hide", "unhide")
	if ch.Body != nil && body != lp.Body {
		newBody, edited = body, true
		log.screen(&hidden, s.mod.Blocked(body))
	}
	if hidden == lp.Hidden && !edited {
		return s.store.Post(ctx, tx, p.ID)
	}
	if err := s.mod.Record(ctx, tx, log.actions...); err != nil {
		return Post{}, err
	}
	if err := s.store.UpdatePost(ctx, tx, p.ID, newBody, hidden, sql.NullTime{Time: s.mod.Now(), Valid: edited}); err != nil {
		return Post{}, err
	}
	out, err := s.store.Post(ctx, tx, p.ID)
	if err != nil {
		return Post{}, err
	}
	pub := publicPost(out, lp.Hidden, lp.ThreadHidden || lp.ParentHidden)
	if err := moderation.Publish(tx, p.Access, "post.updated", live.Subject("post", p.ID), out, pub); err != nil {
		return Post{}, err
	}
	return out, s.restatePost(ctx, tx, out, lp.TalkID, lp.ThreadHidden)
}

// Flag files u's report on a post u sees.
func (s *Service) Flag(ctx context.Context, u *domain.User, id int64, r moderation.Report) (moderation.Flag, bool, error) {
	return s.mod.Flag(ctx, u, moderation.Target{Type: "post", ID: id}, r, func(ctx context.Context, id int64, u *domain.User) (talks.Access, error) {
		p, err := s.post(ctx, id, u)
		return p.Access, err
	})
}
