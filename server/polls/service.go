package polls

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/talks"
)

// More errors of the polls' rules.
var (
	ErrInvalidTransition = errors.New("the poll cannot change to that status (draft → open → closed)")
	ErrTalkOver          = errors.New("the talk has ended or was cancelled: its polls cannot open")
)

// Reactions is where reactions go: the live hub, which sums them per
// talk per second over every instance.
type Reactions interface {
	React(ctx context.Context, channel, emoji string) error
}

// Service holds the polls' rules.
type Service struct {
	mod     *moderation.Service
	db      *sqlx.DB
	rec     *live.Recorder
	cfg     Config
	store   Store
	results *live.Coalescer
	rx      Reactions // nil: reactions go nowhere (no live hub)
}

// New builds the polls on the shared moderation service (clock, rate
// limits, talk access); rx may be nil.
func New(mod *moderation.Service, cfg Config, rx Reactions) *Service {
	s := &Service{mod: mod, db: mod.DB, rec: mod.Recorder, cfg: cfg.defaults(), rx: rx}
	s.results = live.NewCoalescer(s.cfg.ResultsWindow, s.flushResults, func(id int64, err error) {
		mod.Log.Warn("publish poll results failed", "poll_id", id, "err", err)
	})
	return s
}

// Close publishes the results still waiting for their window; the server
// calls it on shutdown.
func (s *Service) Close() error { return s.results.Close() }

// publicResults reports whether everyone may see a poll's results now.
func publicResults(results, status string) bool {
	switch results {
	case ResultsLive:
		return status != StatusDraft
	case ResultsClosed:
		return status == StatusClosed
	}
	return false
}

// poll loads poll id for u: a draft is not found for anyone but the
// talk's staff, nor is a poll of a talk u may not see.
func (s *Service) poll(ctx context.Context, id int64, u *domain.User) (access, error) {
	a, err := s.store.Access(ctx, s.db, id, u)
	if err == nil && (!a.Visible() || (a.Status == StatusDraft && !a.Staff())) {
		err = moderation.NotFound("poll", id)
	}
	return a, err
}

// staffPoll loads poll id for u, who must be staff of its talk.
func (s *Service) staffPoll(ctx context.Context, id int64, u *domain.User) (access, error) {
	a, err := s.poll(ctx, id, u)
	if err == nil && !a.Staff() {
		err = domain.Forbidden("only staff of this talk run its polls")
	}
	return a, err
}

// withResults fills p's results from q when seen (the caller may see
// them), and leaves them null otherwise.
func (s *Service) withResults(ctx context.Context, q sqlx.QueryerContext, p Poll, seen bool) (Poll, error) {
	r, err := s.tally(ctx, q, p.ID, p.Kind, len(p.Options))
	p.Ballots = r.Ballots
	if seen {
		p.Counts, p.Words, p.Average = r.Counts, r.Words, r.Average
	}
	return p, err
}

// tally reads a poll's results.
func (s *Service) tally(ctx context.Context, q sqlx.QueryerContext, id int64, kind string, options int) (Results, error) {
	limit := 0
	if kind == KindWords {
		limit = TopWords
	}
	n, rows, err := s.store.Tally(ctx, q, id, limit)
	if err != nil {
		return Results{}, err
	}
	return resultsOf(id, kind, options, n, rows), nil
}

// resultsOf turns a tally into results of the poll's kind.
func resultsOf(id int64, kind string, options, ballots int, rows []tallyRow) Results {
	r := Results{ID: id, Ballots: ballots}
	switch kind {
	case KindWords:
		r.Words = make([]WordCount, len(rows))
		for i, row := range rows {
			r.Words[i] = WordCount{Word: row.Key, Count: row.N}
		}
		return r
	case KindRating:
		options = 5
	}
	r.Counts = make([]int, options)
	sum := 0
	for _, row := range rows {
		i, err := strconv.Atoi(row.Key)
		if kind == KindRating {
			i--
		}
		if err == nil && i >= 0 && i < options {
			r.Counts[i] = row.N
			sum += (i + 1) * row.N
		}
	}
	if kind == KindRating && ballots > 0 {
		avg := math.Round(float64(sum)/float64(ballots)*100) / 100
		r.Average = &avg
	}
	return r
}

// List is a page of a talk's polls, newest first, with results where u
// may see them and u's own ballots; staff see drafts too.
func (s *Service) List(ctx context.Context, u *domain.User, talkID int64, page keyset.Page) (keyset.List[Poll], error) {
	t, err := s.mod.TalkFor(ctx, talkID, u)
	if err != nil {
		return keyset.List[Poll]{}, err
	}
	list, err := keyset.ByID(page, func(before int64, limit int) ([]pollRow, error) {
		return s.store.List(ctx, s.db, talkID, t.Staff(), before, limit)
	}, func(r pollRow) Poll { return r.poll(talkID) }, func(r pollRow) int64 { return r.ID })
	if err != nil {
		return list, err
	}
	ids := make([]int64, len(list.Items))
	for i, p := range list.Items {
		ids[i] = p.ID
	}
	var mine map[int64]Ballot
	if u != nil {
		if mine, err = s.store.Ballots(ctx, s.db, u.ID, ids); err != nil {
			return list, err
		}
	}
	for i, p := range list.Items {
		if p, err = s.withResults(ctx, s.db, p, t.Staff() || publicResults(p.Results, p.Status)); err != nil {
			return list, err
		}
		if b, ok := mine[p.ID]; ok {
			p.MyBallot = &b
		}
		list.Items[i] = p
	}
	return list, nil
}

// Create stores a new draft poll of a talk, by its staff.
func (s *Service) Create(ctx context.Context, u *domain.User, talkID int64, d Draft) (Poll, error) {
	t, err := s.mod.TalkFor(ctx, talkID, u)
	if err == nil && !t.Staff() {
		err = domain.Forbidden("only staff of this talk create its polls")
	}
	if err != nil {
		return Poll{}, err
	}
	row, err := checkDraft(draftRow{Kind: KindSingle, Results: ResultsLive, MaxChoices: 1}, d, true)
	if err != nil {
		return Poll{}, err
	}
	row.TalkID, row.CreatedBy, row.CreatedAt = talkID, u.ID, s.mod.Now()
	id, err := s.store.Insert(ctx, s.db, row)
	if err != nil {
		return Poll{}, err
	}
	return Poll{ID: id, TalkID: talkID, Question: row.Question, Kind: row.Kind, Options: row.Options, MaxChoices: row.MaxChoices,
		Results: row.Results, Status: StatusDraft, Counts: emptyCounts(row.Kind, len(row.Options)), Words: emptyWords(row.Kind)}, nil
}

func emptyCounts(kind string, options int) []int {
	return resultsOf(0, kind, options, 0, nil).Counts
}

func emptyWords(kind string) []WordCount {
	return resultsOf(0, kind, 0, 0, nil).Words
}

// checkDraft applies d to row (all fields required when create) and
// checks the result.
func checkDraft(row draftRow, d Draft, create bool) (draftRow, error) {
	var v domain.Checker
	if d.Question != nil || create {
		row.Question = moderation.Text(&v, "question", d.Question, MaxQuestion)
	}
	if d.Kind != nil {
		row.Kind = *d.Kind
	}
	if d.Results != nil {
		row.Results = *d.Results
	}
	kindChanged := d.Kind != nil
	if d.Options != nil {
		row.Options = make([]string, len(d.Options))
		for i := range d.Options {
			row.Options[i] = moderation.Text(&v, fmt.Sprintf("options[%d]", i), &d.Options[i], MaxOption)
		}
	} else if kindChanged && (row.Kind == KindWords || row.Kind == KindRating) {
		row.Options = nil
	}
	if d.MaxChoices != nil {
		row.MaxChoices = *d.MaxChoices
	} else if kindChanged || create {
		row.MaxChoices = 1
		if row.Kind == KindMultiple {
			row.MaxChoices = len(row.Options)
		}
	}
	v.Check(slices.Contains([]string{KindSingle, KindMultiple, KindWords, KindRating}, row.Kind), "kind", "must be single, multiple, words or rating")
	v.Check(slices.Contains([]string{ResultsLive, ResultsClosed, ResultsStaff}, row.Results), "results", "must be live, closed or staff")
	switch row.Kind {
	case KindSingle, KindMultiple:
		v.CheckMsg(len(row.Options) >= MinOptions && len(row.Options) <= MaxOptions, "options",
			domain.Say("problem.poll_options", map[string]any{"Kind": row.Kind, "Min": MinOptions, "Max": MaxOptions}))
		seen := map[string]bool{}
		for _, o := range row.Options {
			if key := strings.ToLower(o); seen[key] {
				v.Add("options", "must be distinct")
				break
			} else {
				seen[key] = true
			}
		}
	default:
		v.Check(len(row.Options) == 0, "options", "only single and multiple choice polls have options")
	}
	if row.Kind == KindMultiple {
		v.Check(row.MaxChoices >= 1 && row.MaxChoices <= max(len(row.Options), 1), "max_choices", "must be from 1 to the number of options")
	} else {
		v.Check(row.MaxChoices == 1, "max_choices", "must be 1 unless the poll is multiple choice")
	}
	if row.Options == nil {
		row.Options = []string{}
	}
	return row, v.Err()
}

// Change edits a draft's fields, opens or closes a poll (staff of its
// talk). Opening while another poll of the talk is open is ErrAlreadyOpen;
// setting the status a poll has changes nothing.
func (s *Service) Change(ctx context.Context, u *domain.User, id int64, c Change) (Poll, error) {
	a, err := s.staffPoll(ctx, id, u)
	if err != nil {
		return Poll{}, err
	}
	edits := c.Question != nil || c.Kind != nil || c.Options != nil || c.MaxChoices != nil || c.Results != nil
	if c.Status != nil && *c.Status != StatusOpen && *c.Status != StatusClosed {
		return Poll{}, domain.InvalidField("status", "must be open or closed")
	}
	if !edits && c.Status == nil {
		return Poll{}, domain.InvalidField("status", "give a status or draft fields to change")
	}
	return live.TxnOf[Poll](ctx, s.rec).Run(func(tx *live.Tx) (Poll, error) {
		p, err := s.store.Lock(ctx, tx, id)
		if err != nil {
			return Poll{}, err
		}
		talk := a.Access
		talk.TalkStatus = p.TalkStatus
		if edits {
			if p.Status != StatusDraft {
				return Poll{}, ErrNotDraft
			}
			row, err := checkDraft(draftRow{ID: id, Question: p.Question, Kind: p.Kind, Options: p.Options, MaxChoices: p.MaxChoices, Results: p.Results}, c.Draft, false)
			if err != nil {
				return Poll{}, err
			}
			if err := s.store.UpdateDraft(ctx, tx, row); err != nil {
				return Poll{}, err
			}
			p.Question, p.Kind, p.Options, p.MaxChoices, p.Results = row.Question, row.Kind, row.Options, row.MaxChoices, row.Results
		}
		if c.Status != nil && *c.Status != p.Status {
			if err := s.transition(ctx, tx, talk, &p, *c.Status); err != nil {
				return Poll{}, err
			}
		}
		return s.withResults(ctx, tx, p.poll(talk.TalkID), true)
	})
}

// transition opens or closes p in tx, with its event.
func (s *Service) transition(ctx context.Context, tx *live.Tx, talk talks.Access, p *locked, to string) error {
	now := s.mod.Now()
	var typ string
	switch {
	case to == StatusOpen && p.Status == StatusDraft:
		if p.TalkStatus != talks.StatusScheduled && p.TalkStatus != talks.StatusLive && p.TalkStatus != talks.StatusDraft {
			return ErrTalkOver
		}
		if err := s.store.Open(ctx, tx, p.ID, now); err != nil {
			return err
		}
		p.Status, p.OpenedAt, typ = StatusOpen, &now, "poll.opened"
	case to == StatusClosed && p.Status == StatusOpen:
		if err := s.store.Close(ctx, tx, p.ID, now); err != nil {
			return err
		}
		p.Status, p.ClosedAt, typ = StatusClosed, &now, "poll.closed"
	default:
		return ErrInvalidTransition
	}
	staff, err := s.withResults(ctx, tx, p.poll(talk.TalkID), true)
	if err != nil {
		return err
	}
	public := staff
	if !publicResults(p.Results, p.Status) {
		public.Counts, public.Words, public.Average = nil, nil, nil
	}
	return moderation.Publish(tx, talk, typ, live.Subject("poll", p.ID), staff, public)
}

// flushResults emits one poll.results with the poll's current results: on
// the staff channel always, on the public one when the public may see
// them now. It is the flush of the results' live.Coalescer.
func (s *Service) flushResults(ctx context.Context, id int64) error {
	return s.rec.InTx(ctx, func(tx *live.Tx) error {
		p, err := s.store.LockResults(ctx, tx, id)
		if errors.Is(err, domain.ErrNotFound) {
			return nil // deleted with its talk meanwhile
		}
		if err != nil {
			return err
		}
		r, err := s.tally(ctx, tx, id, p.Kind, len(p.Options))
		if err != nil {
			return err
		}
		talk := talks.Access{TalkID: p.TalkID, TalkStatus: p.TalkStatus}
		return moderation.Publish(tx, talk, "poll.results", live.Subject("poll", id), r, moderation.IfPublic(publicResults(p.Results, p.Status), r))
	})
}

// Cast adds or replaces u's ballot while the poll is open; the results go
// out in poll.results, coalesced. The ballot is one statement in its own
// transaction (PUT is idempotent by itself: repeating it changes nothing).
func (s *Service) Cast(ctx context.Context, u *domain.User, id int64, c Cast) (Ballot, error) {
	a, err := moderation.TakingPart(s.poll(ctx, id, u))
	if err != nil {
		return Ballot{}, err
	}
	row, err := checkBallot(a, c)
	if err != nil {
		return Ballot{}, err
	}
	if a.Status != StatusOpen {
		return Ballot{}, ErrClosed
	}
	if err := s.mod.Allow(ctx, "ballot", u.ID, s.cfg.BallotRate); err != nil {
		return Ballot{}, err
	}
	row.PollID, row.UserID, row.At = id, u.ID, s.mod.Now()
	if err := s.store.Cast(ctx, s.db, row); err != nil {
		return Ballot{}, err
	}
	s.results.Touch(id)
	return row.ballot(), nil
}

// checkBallot checks a ballot against its poll.
func checkBallot(a access, c Cast) (ballotRow, error) {
	var v domain.Checker
	var row ballotRow
	only := func(field string, given bool) {
		v.CheckMsg(!given, field, domain.Say("problem.poll_kind_field", map[string]any{"Kind": a.Kind}))
	}
	switch a.Kind {
	case KindSingle, KindMultiple:
		only("words", c.Words != nil)
		only("rating", c.Rating != nil)
		most := a.MaxChoices
		switch {
		case len(c.Choices) == 0:
			v.Add("choices", "choose at least one option")
		case len(c.Choices) > most:
			v.AddMsg("choices", domain.Count("problem.choose_at_most", most, nil))
		}
		seen := map[int]bool{}
		for _, i := range c.Choices {
			if i < 0 || i >= len(a.Options) {
				v.AddMsg("choices", domain.Say("problem.not_an_option", map[string]any{"Choice": i, "Last": len(a.Options) - 1}))
				break
			}
			if seen[i] {
				v.Add("choices", "must be distinct")
				break
			}
			seen[i] = true
			row.Choices = append(row.Choices, int64(i))
		}
	case KindWords:
		only("choices", c.Choices != nil)
		only("rating", c.Rating != nil)
		v.CheckMsg(len(c.Words) >= 1 && len(c.Words) <= MaxWords, "words", domain.Count("problem.words_between", MaxWords, nil))
		for i, w := range c.Words {
			w = strings.TrimSpace(w)
			n := utf8.RuneCountInString(w)
			switch {
			case n == 0 || n > MaxWordLength:
				v.AddMsg(fmt.Sprintf("words[%d]", i), domain.Count("problem.chars_between", MaxWordLength, map[string]any{"Min": 1}))
			case strings.IndexFunc(w, unicode.IsControl) >= 0:
				v.Add(fmt.Sprintf("words[%d]", i), "must not contain control characters")
			}
			row.Words = append(row.Words, w)
		}
		row.Terms = Terms(row.Words, a.Language)
	case KindRating:
		only("choices", c.Choices != nil)
		only("words", c.Words != nil)
		if c.Rating != nil && *c.Rating >= 1 && *c.Rating <= 5 {
			row.Rating.Int64, row.Rating.Valid = int64(*c.Rating), true
		} else {
			v.Add("rating", "must be from 1 to 5")
		}
	}
	return row, v.Err()
}

// ResultsCSV is a poll's anonymous results as CSV rows, for the staff of
// its talk: each option (or rating, or word) with its count.
func (s *Service) ResultsCSV(ctx context.Context, u *domain.User, id int64) ([][]string, error) {
	a, err := s.staffPoll(ctx, id, u)
	if err != nil {
		return nil, err
	}
	p := a.poll(a.TalkID)
	n, rows, err := s.store.Tally(ctx, s.db, id, 0)
	if err != nil {
		return nil, err
	}
	var out [][]string
	switch p.Kind {
	case KindWords:
		out = append(out, []string{"word", "count"})
		for _, r := range rows {
			out = append(out, []string{r.Key, strconv.Itoa(r.N)})
		}
	case KindRating:
		out = append(out, []string{"rating", "count"})
		for i, c := range resultsOf(id, p.Kind, 0, n, rows).Counts {
			out = append(out, []string{strconv.Itoa(i + 1), strconv.Itoa(c)})
		}
	default:
		out = append(out, []string{"option", "count"})
		for i, c := range resultsOf(id, p.Kind, len(p.Options), n, rows).Counts {
			out = append(out, []string{p.Options[i], strconv.Itoa(c)})
		}
	}
	return out, nil
}

// React hands u's reaction to the hub, unless u has reacted more than
// ReactionRate allows: then it is dropped, silently (a tap too many is
// not an error).
func (s *Service) React(ctx context.Context, u *domain.User, talkID int64, r Reaction) error {
	if _, err := moderation.TakingPart(s.mod.TalkFor(ctx, talkID, u)); err != nil {
		return err
	}
	if r.Emoji == nil || !slices.Contains(Emojis, *r.Emoji) {
		return domain.InvalidMsg("emoji", domain.Say("problem.one_of", map[string]any{"Values": strings.Join(Emojis, " ")}))
	}
	if s.rx == nil || s.mod.Allow(ctx, "reaction", u.ID, s.cfg.ReactionRate) != nil {
		return nil
	}
	if err := s.rx.React(ctx, live.TalkChannel(talkID), *r.Emoji); err != nil {
		s.mod.Log.Warn("reaction dropped", "talk_id", talkID, "err", err)
	}
	return nil
}

// Export is the polls' part of an account's data export: the user's
// ballots with their polls. Erasure keeps ballots (under the anonymised
// account) so that results stay right.
func (s *Service) Export(ctx context.Context, db *sqlx.DB, userID int64) (any, error) {
	return s.store.Export(ctx, db, userID)
}
