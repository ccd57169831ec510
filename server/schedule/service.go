package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Service builds the exports from the talks as they are now.
type Service struct {
	db    *sqlx.DB
	store Store
	cfg   Config
}

// NewService builds the exports on db, filling in the defaults of cfg.
func NewService(db *sqlx.DB, cfg Config) *Service {
	return &Service{db: db, cfg: cfg.withDefaults()}
}

// Frab is schedule.json: the published talks by day and room.
func (s *Service) Frab(ctx context.Context) (FrabDoc, error) {
	doc, _, err := s.build(ctx)
	return doc, err
}

// FrabXML is schedule.xml, the same schedule in frab's XML.
func (s *Service) FrabXML(ctx context.Context) ([]byte, error) {
	doc, speakers, err := s.build(ctx)
	if err != nil {
		return nil, err
	}
	return frabXML(doc, speakers)
}

func (s *Service) build(ctx context.Context) (FrabDoc, map[int64][]talks.Speaker, error) {
	ts, err := s.store.published(ctx, s.db)
	if err != nil {
		return FrabDoc{}, nil, err
	}
	latest, err := s.store.version(ctx, s.db)
	if err != nil {
		return FrabDoc{}, nil, err
	}
	doc, speakers := s.cfg.frab(ts, latest)
	return doc, speakers, nil
}

// SpeakerCalendar is the calendar of the talks user id speaks at, and when
// any talk last changed (its Last-Modified: read first, as talks.Service.Feed
// does). Only speakers have one: a user who speaks at no talk but drafts is
// not found, as an unknown user is (the feed would otherwise name anyone by
// id).
func (s *Service) SpeakerCalendar(ctx context.Context, lang string, id int64) (string, time.Time, error) {
	changed, err := talks.LastChange(ctx, s.db)
	if err != nil {
		return "", changed, err
	}
	ts, err := s.store.spokenBy(ctx, s.db, id)
	if err != nil {
		return "", changed, err
	}
	if len(ts) == 0 {
		return "", changed, fmt.Errorf("speaker %d: %w", id, domain.ErrNotFound)
	}
	name, err := s.store.userName(ctx, s.db, id)
	if err != nil {
		return "", changed, err
	}
	return s.cfg.speakerCalendar(lang, name, ts), changed, nil
}
