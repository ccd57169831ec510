// Package search is one search across the series (GET /search): talks
// (title, speakers, tags, abstract), answered questions with their written
// answers, discussion threads (title and opening message, as a Discourse
// topic is found by its title) and their visible posts, ranked, with
// highlighted snippets.
//
// It is PostgreSQL full-text search (migration 0013): each table keeps a
// tsvector in its talk's language (English, Spanish, French, German,
// Italian, Portuguese, or no stemming), accents ignored, under a GIN index.
// The box's text is web search syntax (quoted phrases, -word, or); the last
// word, while it is being typed, matches as a prefix.
//
// Only what the caller may see is found: draft talks only by their staff;
// never a hidden thread, a hidden post, a reply to a hidden post or a post
// of a hidden thread; never a question that is not answered (pending,
// approved, dismissed); and no author's name is searched or shown, so
// erased authors stay anonymous. An erased speaker's
// name leaves the talk's vector (a trigger).
package search

import (
	"time"

	"github.com/hubtalks/hubtalks/server/keyset"
)

// Kinds of results, as ?type= names them.
const (
	KindTalk     = "talk"
	KindQuestion = "question"
	KindPost     = "post"
	KindThread   = "thread"
)

// MaxQuery bounds ?q=, in characters.
const MaxQuery = 200

// Query is a search request as the client wrote it.
type Query struct {
	Q, Type string
	Page    keyset.Page
}

// Result is one thing found.
type Result struct {
	Type        string  `json:"type"`
	Talk        TalkRef `json:"talk"`
	ID          int64   `json:"id"`
	Title       string  `json:"title"`
	Snippet     string  `json:"snippet"` // HTML: the text escaped, the matches in <mark>
	RecordingAt *int    `json:"recording_at"`
}

// TalkRef is the talk a result belongs to.
type TalkRef struct {
	ID       int64     `json:"id"`
	Slug     string    `json:"slug"`
	Title    string    `json:"title"`
	StartsAt time.Time `json:"starts_at"`
}
