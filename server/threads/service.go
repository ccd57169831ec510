package threads

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
)

// Service holds the threads' rules.
type Service struct {
	mod   *moderation.Service
	db    *sqlx.DB
	rec   *live.Recorder
	store Store
}

// New builds the threads on the shared moderation service.
func New(mod *moderation.Service) *Service {
	return &Service{mod: mod, db: mod.DB, rec: mod.Recorder}
}

// visible: a hidden thread is for staff of the talk only.
func (a threadAccess) visible() bool { return a.Visible() && (a.Staff() || !a.Hidden) }

// thread loads thread id for u; one u may not see is not found.
func (s *Service) thread(ctx context.Context, id int64, u *domain.User) (threadAccess, error) {
	a, err := s.store.ThreadAccess(ctx, s.db, id, u)
	if err == nil && !a.visible() {
		err = moderation.NotFound("thread", id)
	}
	return a, err
}

// editable refuses an author's edit after the edit window.
func (s *Service) editable(createdAt time.Time) error {
	if s.mod.Now().Sub(createdAt) > s.mod.Cfg.EditWindow {
		return ErrEditWindow
	}
	return nil
}

// List is a page of a talk's threads: pinned first, then by last activity.
func (s *Service) List(ctx context.Context, u *domain.User, talkID int64, page keyset.Page) (keyset.List[Thread], error) {
	p := threadParams{TalkID: talkID}
	var err error
	if p.Bound, err = keyset.BoundOf(page, &p.threadCursor); err != nil {
		return keyset.List[Thread]{}, err
	}
	t, err := s.mod.TalkFor(ctx, talkID, u)
	if err != nil {
		return keyset.List[Thread]{}, err
	}
	p.Staff = t.Staff()
	rows, err := s.store.Threads(ctx, s.db, p)
	return keyset.Of(rows, page.Limit, threadRow.thread, func(r threadRow) any {
		c := threadCursor{Position: keyset.Position{At: r.LastActivityAt, ID: r.ID}}
		if r.Pinned {
			c.Pinned = 1
		}
		return c
	}), err
}

// Create starts a thread; one holding a blocked word starts hidden.
func (s *Service) Create(ctx context.Context, u *domain.User, talkID int64, n NewThread) (Thread, error) {
	t, err := moderation.TakingPart(s.mod.TalkFor(ctx, talkID, u))
	if err != nil {
		return Thread{}, err
	}
	var v domain.Checker
	title := moderation.Text(&v, "title", n.Title, MaxTitle)
	body := moderation.Text(&v, "body", n.Body, MaxBody)
	if err := v.Err(); err != nil {
		return Thread{}, err
	}
	if err := s.mod.Allow(ctx, "post", u.ID, s.mod.Cfg.PostRate); err != nil {
		return Thread{}, err
	}
	hidden := s.mod.Blocked(title, body)
	return live.TxnOf[Thread](ctx, s.rec).Run(func(tx *live.Tx) (Thread, error) {
		r := threadRow{Thread: Thread{TalkID: talkID, Title: title, Body: body, Hidden: hidden, CreatedAt: s.mod.Now()}, Authored: moderation.Authored{AuthorID: u.ID}}
		id, err := s.store.InsertThread(ctx, tx, r)
		if err != nil {
			return Thread{}, err
		}
		if hidden {
			if err := s.mod.Record(ctx, tx, moderation.HiddenForWords(talkID, moderation.Target{Type: "thread", ID: id})); err != nil {
				return Thread{}, err
			}
		}
		out, err := s.store.Thread(ctx, tx, id)
		if err != nil {
			return Thread{}, err
		}
		return out, moderation.Publish(tx, t.Access, "thread.created", live.Subject("thread", id), out, moderation.IfPublic(!hidden, out))
	})
}

// Get is the thread and one page of its posts in order (oldest first);
// the thread's fields come with every page.
func (s *Service) Get(ctx context.Context, u *domain.User, id int64, page keyset.Page) (ThreadPage, error) {
	p := postParams{ThreadID: id}
	var err error
	if p.Bound, err = keyset.BoundOf(page, &p.Position); err != nil {
		return ThreadPage{}, err
	}
	a, err := s.thread(ctx, id, u)
	if err != nil {
		return ThreadPage{}, err
	}
	t, err := s.store.Thread(ctx, s.db, id)
	if err != nil {
		return ThreadPage{}, err
	}
	p.Staff = a.Staff()
	rows, err := s.store.Posts(ctx, s.db, p)
	if err != nil {
		return ThreadPage{}, err
	}
	l := keyset.Of(rows, page.Limit, postRow.post, func(r postRow) any { return keyset.Position{At: r.CreatedAt, ID: r.ID} })
	return ThreadPage{Thread: t, Posts: l.Items, NextCursor: l.NextCursor}, nil
}

// changes collects the log entries of one change of a thread or post, in
// the order they happen, to be recorded once the change is known to change
// something.
type changes struct {
	talkID  int64
	target  moderation.Target
	reason  string
	actions []moderation.Action
}

func (c *changes) add(actorID int64, action string) {
	c.actions = append(c.actions, moderation.Action{TalkID: c.talkID, ActorID: actorID, Action: action, Target: c.target, Reason: c.reason})
}

// flip sets *field to *want when want is given and differs, logged as on
// or off.
func (c *changes) flip(field, want *bool, actorID int64, on, off string) {
	if want == nil || *want == *field {
		return
	}
	*field = *want
	if *want {
		c.add(actorID, on)
	} else {
		c.add(actorID, off)
	}
}

// screen hides edited text that holds a blocked word (logged as the
// system's), unless it is hidden already.
func (c *changes) screen(hidden *bool, blocked bool) {
	if blocked && !*hidden {
		*hidden = true
		c.actions = append(c.actions, moderation.HiddenForWords(c.talkID, c.target))
	}
}

// EditThread applies moderators' curation or a new title.
func (s *Service) EditThread(ctx context.Context, u *domain.User, id int64, ch ThreadChange) (Thread, error) {
	a, err := moderation.TakingPart(s.thread(ctx, id, u))
	if err != nil {
		return Thread{}, err
	}
	curating := ch.Pinned != nil || ch.Locked != nil || ch.Hidden != nil
	if curating && !u.IsModerator() {
		return Thread{}, domain.Forbidden("only moderators pin, lock and hide threads")
	}
	if ch.Title != nil && !u.IsModerator() {
		if a.AuthorID != u.ID {
			return Thread{}, domain.Forbidden("only the author retitles a thread")
		}
		if err := s.editable(a.CreatedAt); err != nil {
			return Thread{}, err
		}
	}
	var v domain.Checker
	v.Check(curating || ch.Title != nil, "title", "give title, pinned, locked or hidden")
	title := moderation.OptionalText(&v, "title", ch.Title, MaxTitle)
	reason := moderation.Reason(&v, ch.Reason)
	if err := v.Err(); err != nil {
		return Thread{}, err
	}
	return live.TxnOf[Thread](ctx, s.rec).Run(func(tx *live.Tx) (Thread, error) {
		return s.editThread(ctx, tx, u, a, ch, title, reason)
	})
}

// editThread is EditThread's change, under the thread's row lock.
func (s *Service) editThread(ctx context.Context, tx *live.Tx, u *domain.User, a threadAccess, ch ThreadChange, title, reason string) (Thread, error) {
	th, err := s.store.LockThread(ctx, tx, a.ID)
	if err != nil {
		return Thread{}, err
	}
	if ch.Title != nil && th.Locked && !u.IsModerator() {
		return Thread{}, ErrLocked
	}
	log := changes{talkID: th.TalkID, target: moderation.Target{Type: "thread", ID: a.ID}, reason: reason}
	next := th
	log.flip(&next.Pinned, ch.Pinned, u.ID, "pin", "unpin")
	log.flip(&next.Locked, ch.Locked, u.ID, "lock", "unlock")
	log.flip(&next.Hidden, ch.Hidden, u.ID, "hide", "unhide")
	if ch.Title != nil && title != th.Title {
		next.Title = title
		if u.ID != th.AuthorID {
			log.add(u.ID, "edit_title")
		}
		log.screen(&next.Hidden, s.mod.Blocked(title))
	}
	if next == th {
		return s.store.Thread(ctx, tx, a.ID)
	}
	if err := s.mod.Record(ctx, tx, log.actions...); err != nil {
		return Thread{}, err
	}
	next.UpdatedAt = s.mod.Now()
	if err := s.store.UpdateThread(ctx, tx, next); err != nil {
		return Thread{}, err
	}
	out, err := s.store.Thread(ctx, tx, a.ID)
	if err != nil {
		return Thread{}, err
	}
	if err := moderation.Publish(tx, a.Access, "thread.updated", live.Subject("thread", a.ID), out, publicThread(out, th.Hidden)); err != nil {
		return Thread{}, err
	}
	if next.Hidden != th.Hidden || next.Title != th.Title {
		if err := restateThread(tx, out); err != nil {
			return Thread{}, err
		}
	}
	if next.Hidden != th.Hidden {
		return out, s.restatePublicPosts(ctx, tx, th.TalkID, a.ID, next.Hidden, nil)
	}
	return out, nil
}

// Export is the threads' part of an account's data export. Erasure needs
// nothing here: threads and posts stay under the anonymised author.
func (s *Service) Export(ctx context.Context, db *sqlx.DB, userID int64) (any, error) {
	return s.store.Export(ctx, db, userID)
}
