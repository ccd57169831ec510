package migrations_test

import (
	"context"
	"testing"

	"github.com/hubtalks/hubtalks/migrations"
)

// TestSearchMigrationReadsExistingRows: talks, questions with answers and
// posts written before migration 0013 are searchable after it, each in its
// talk's language, with its speakers.
func TestSearchMigrationReadsExistingRows(t *testing.T) {
	t.Parallel()
	db, ctx := open(t), context.Background()
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
	for _, m := range all {
		if m.Version < 13 {
			exec(m.SQL)
			exec(`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
		}
	}
	exec(`INSERT INTO users (id, email, display_name, password_hash, role) VALUES (1, 'zoe@example.test', 'Zoë Quintanilla', 'x', 'participant')`)
	exec(`INSERT INTO talks (id, slug, title, abstract, starts_at, ends_at, status, language)
		VALUES (1, 'salud', 'Salud móvil', 'La regulación de las aplicaciones.', now(), now() + interval '1 hour', 'ended', 'es')`)
	exec(`INSERT INTO talk_speakers (talk_id, user_id) VALUES (1, 1)`)
	exec(`INSERT INTO questions (id, talk_id, author_id, body, status) VALUES (1, 1, 1, '¿Qué exige el marcado?', 'answered')`)
	exec(`INSERT INTO answers (question_id, author_id, body) VALUES (1, 1, 'Un organismo notificado revisa la documentación.')`)
	exec(`INSERT INTO threads (id, talk_id, author_id, title, body) VALUES (1, 1, 1, 'Diapositivas', '¿Dónde están?')`)
	exec(`INSERT INTO posts (id, thread_id, author_id, body) VALUES (1, 1, 1, 'Las diapositivas están en la página de la charla.')`)
	if _, err := migrations.Up(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, query string }{
		{"the talk by its speaker, without accents", `SELECT count(*) FROM talks WHERE search_tsv @@ search_tsquery_any('zoe quintanilla', '')`},
		{"the talk by its abstract, in Spanish", `SELECT count(*) FROM talks WHERE search_tsv @@ search_tsquery('search_spanish', 'regulacion', '')`},
		{"the question by its answer", `SELECT count(*) FROM questions WHERE search_tsv @@ search_tsquery('search_spanish', '"organismo notificado"', '')`},
		{"the post, stemmed", `SELECT count(*) FROM posts WHERE search_tsv @@ search_tsquery('search_spanish', 'diapositiva charla', '')`},
		{"the thread by its title and opening message (0016)", `SELECT count(*) FROM threads WHERE search_tsv @@ search_tsquery('search_spanish', 'diapositiva donde', '')`},
	} {
		var n int
		if err := db.QueryRow(c.query).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: %d rows, %v", c.what, n, err)
		}
	}
}
