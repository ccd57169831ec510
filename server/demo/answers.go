package demo

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// answeredQuestion is a question of a past demo talk, answered by the talk's
// first speaker: taken live at `at` into the session (pinned, then marked
// answered), or answered only in writing after the talk when at < 0.
type answeredQuestion struct {
	asker, body, answer string
	at                  time.Duration
}

// pastQuestions are the answered questions of the past demo talks (by
// slug), so that the talk pages show "▶ 12:34" and the search finds them.
var pastQuestions = map[string][]answeredQuestion{
	"be-healthy-be-mobile-lessons-from-a-decade-of-mhealth": {
		{"participant@demo.hubtalks.test", "Did the text-message programmes work as well for older people as for the young?",
			"Better than expected: the ageing programme had the highest retention, once messages were short and sent in the morning.", 12*time.Minute + 34*time.Second},
		{"lena@demo.hubtalks.test", "How was the tobacco cessation programme evaluated?",
			"With randomised trials in two countries and biochemically verified quit rates at six months.", 27*time.Minute + 5*time.Second},
		{"tomas@demo.hubtalks.test", "¿Hay versiones en español de los mensajes?",
			"Sí: los programas de diabetes se adaptaron para varios países de habla hispana.", 41 * time.Minute},
		{"amara@demo.hubtalks.test", "Where can we find the handbooks?",
			"On the WHO website; we added the link to the discussion thread after the talk.", -1},
	},
	"digital-health-literacy-designing-for-everyone": {
		{"participant@demo.hubtalks.test", "Which tool would you use to measure digital health literacy?",
			"The eHEALS questionnaire is short and validated in many languages; HLS19-DIGI goes further.", 8*time.Minute + 20*time.Second},
		{"jonas@demo.hubtalks.test", "Does CE marking apply to a health literacy app?",
			"Only if it has a medical purpose; then the MDR applies and a notified body reviews class IIa and above.", 33*time.Minute + 48*time.Second},
		{"lena@demo.hubtalks.test", "Are the slides available?", "Yes, they are linked from the talk page.", -1},
	},
	"salud-movil-en-america-latina-y-europa": {
		{"tomas@demo.hubtalks.test", "¿Cómo se regula una aplicación de salud móvil en la Unión Europea?",
			"Depende de su finalidad: si es un producto sanitario, el reglamento MDR exige el marcado CE y la evaluación de un organismo notificado.", 15*time.Minute + 2*time.Second},
		{"participant@demo.hubtalks.test", "¿Qué papel tiene la telemedicina en las zonas rurales?",
			"Es esencial: reduce desplazamientos y permite el seguimiento de pacientes crónicos desde atención primaria.", 38 * time.Minute},
	},
}

const (
	insertDemoQuestion = `INSERT INTO questions (talk_id, author_id, body, status, answered_at, taken_at, created_at, updated_at)
		VALUES ($1, $2, $3, 'answered', $4, $5, $6, $4) RETURNING id`
	insertDemoAnswer = `INSERT INTO answers (question_id, author_id, body, created_at) VALUES ($1, $2, $3, $4)`
)

// seedQuestions writes the answered questions of a past talk that went
// live at start, in tx.
func seedQuestions(ctx context.Context, tx *sqlx.Tx, talkID int64, slug string, start, end time.Time, speaker int64, users map[string]int64) error {
	for i, q := range pastQuestions[slug] {
		asked := start.Add(time.Duration(i+1) * time.Minute)
		answered, taken := end.Add(24*time.Hour), (*time.Time)(nil)
		if q.at >= 0 {
			at := start.Add(q.at)
			answered, taken = at, &at
		}
		var id int64
		if err := tx.GetContext(ctx, &id, insertDemoQuestion, talkID, users[q.asker], q.body, answered, taken, asked); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertDemoAnswer, id, speaker, q.answer, answered); err != nil {
			return err
		}
	}
	return nil
}
