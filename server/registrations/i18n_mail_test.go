package registrations_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/i18n"
	"github.com/hubtalks/hubtalks/server/outbox"
	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// mailPhrases are, per language, a phrase of each message's subject and of
// its body, written here by hand (not read from the catalogs), and the
// greeting.
var mailPhrases = map[string]map[string][2]string{
	"en": {
		"registration.cancelled":  {"No longer registered: ", "we have taken it out of your calendar"},
		"registration.confirmed":  {"You're registered: ", "Your seat is confirmed."},
		"registration.waitlisted": {"You're on the waitlist: ", "so you are on its waitlist"},
		"registration.promoted":   {"A seat opened up: ", "your registration is now confirmed"},
		"talk.rescheduled":        {"New time: ", "It was planned for "},
		"talk.cancelled":          {"Cancelled: ", "this talk has been cancelled"},
		"reminder.24h":            {"Tomorrow: ", "starts in about 24 hours"},
		"reminder.1h":             {"Starting in an hour: ", "starts in about an hour"},
		"recording.up":            {"The recording is up: ", "is online: https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
		"account.verify":          {"Confirm your email address", "within 48 hours"},
		"account.reset":           {"Reset your Hub Talks password", "within an hour"},
	},
	"es": {
		"registration.cancelled":  {"Inscripción finalizada: ", "la hemos quitado de su calendario"},
		"registration.confirmed":  {"Inscripción confirmada: ", "Su plaza está confirmada."},
		"registration.waitlisted": {"Está en la lista de espera: ", "así que está en su lista de espera"},
		"registration.promoted":   {"Se ha liberado una plaza: ", "su inscripción ya está confirmada"},
		"talk.rescheduled":        {"Nuevo horario: ", "Estaba prevista para el "},
		"talk.cancelled":          {"Cancelada: ", "esta charla se ha cancelado"},
		"reminder.24h":            {"Mañana: ", "dentro de unas 24 horas"},
		"reminder.1h":             {"Empieza dentro de una hora: ", "dentro de una hora aproximadamente"},
		"recording.up":            {"La grabación ya está disponible: ", "ya está en línea: https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
		"account.verify":          {"Confirme su dirección de correo", "en el plazo de 48 horas"},
		"account.reset":           {"Restablezca su contraseña", "en el plazo de una hora"},
	},
	"fr": {
		"registration.cancelled":  {"Inscription terminée\u00a0: ", "nous l'avons donc retirée de votre agenda"},
		"registration.confirmed":  {"Inscription confirmée\u00a0: ", "Votre place est confirmée."},
		"registration.waitlisted": {"Vous êtes sur la liste d'attente\u00a0: ", "vous êtes donc sur sa liste d'attente"},
		"registration.promoted":   {"Une place s'est libérée\u00a0: ", "votre inscription est désormais confirmée"},
		"talk.rescheduled":        {"Nouvel horaire\u00a0: ", "Elle était prévue le "},
		"talk.cancelled":          {"Annulée\u00a0: ", "cette conférence a été annulée"},
		"reminder.24h":            {"Demain\u00a0: ", "commence dans 24 heures environ"},
		"reminder.1h":             {"Dans une heure\u00a0: ", "commence dans une heure environ"},
		"recording.up":            {"L'enregistrement est disponible\u00a0: ", "est en ligne\u00a0: https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
		"account.verify":          {"Confirmez votre adresse e-mail", "dans les 48 heures"},
		"account.reset":           {"Réinitialisez votre mot de passe", "dans l'heure"},
	},
	"de": {
		"registration.cancelled":  {"Registrierung beendet: ", "haben wir ihn aus Ihrem Kalender entfernt"},
		"registration.confirmed":  {"Sie sind registriert: ", "Ihr Platz ist bestätigt."},
		"registration.waitlisted": {"Sie stehen auf der Warteliste: ", "stehen Sie auf seiner Warteliste"},
		"registration.promoted":   {"Ein Platz ist frei geworden: ", "Ihre Registrierung ist jetzt bestätigt"},
		"talk.rescheduled":        {"Neuer Termin: ", "Geplant war er für "},
		"talk.cancelled":          {"Abgesagt: ", "Dieser Vortrag wurde abgesagt"},
		"reminder.24h":            {"Morgen: ", "beginnt in etwa 24 Stunden"},
		"reminder.1h":             {"In einer Stunde: ", "beginnt in etwa einer Stunde"},
		"recording.up":            {"Die Aufzeichnung ist online: ", "ist online: https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
		"account.verify":          {"Bestätigen Sie Ihre E-Mail-Adresse", "innerhalb von 48 Stunden"},
		"account.reset":           {"Setzen Sie Ihr Passwort", "innerhalb einer Stunde"},
	},
	"it": {
		"registration.cancelled":  {"Iscrizione terminata: ", "l'abbiamo tolto dal tuo calendario"},
		"registration.confirmed":  {"Iscrizione confermata: ", "Il tuo posto è confermato."},
		"registration.waitlisted": {"Sei in lista d'attesa: ", "quindi sei nella sua lista d'attesa"},
		"registration.promoted":   {"Si è liberato un posto: ", "la tua iscrizione ora è confermata"},
		"talk.rescheduled":        {"Nuovo orario: ", "Era previsto per "},
		"talk.cancelled":          {"Annullato: ", "questo incontro è stato annullato"},
		"reminder.24h":            {"Domani: ", "inizia tra circa 24 ore"},
		"reminder.1h":             {"Tra un'ora: ", "inizia tra circa un'ora"},
		"recording.up":            {"La registrazione è disponibile: ", "è online: https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
		"account.verify":          {"Conferma il tuo indirizzo email", "entro 48 ore"},
		"account.reset":           {"Reimposta la tua password", "entro un'ora"},
	},
	"pt": {
		"registration.cancelled":  {"Inscrição terminada: ", "retirámo-la do seu calendário"},
		"registration.confirmed":  {"Inscrição confirmada: ", "O seu lugar está confirmado."},
		"registration.waitlisted": {"Está na lista de espera: ", "por isso está na respetiva lista de espera"},
		"registration.promoted":   {"Vagou um lugar: ", "a sua inscrição está agora confirmada"},
		"talk.rescheduled":        {"Novo horário: ", "Estava prevista para "},
		"talk.cancelled":          {"Cancelada: ", "esta palestra foi cancelada"},
		"reminder.24h":            {"Amanhã: ", "daqui a cerca de 24 horas"},
		"reminder.1h":             {"Começa daqui a uma hora: ", "daqui a cerca de uma hora"},
		"recording.up":            {"A gravação já está disponível: ", "já está online: https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
		"account.verify":          {"Confirme o seu endereço de e-mail", "no prazo de 48 horas"},
		"account.reset":           {"Redefina a sua palavra-passe", "no prazo de uma hora"},
	},
}

// greetings and "Speakers" lines (two speakers; the waitlisted talk has one).
var mailFrame = map[string][3]string{
	"en": {"Hello Ana,", "Speakers: ", "Speaker: "},
	"es": {"Hola, Ana:", "Ponentes: ", "Ponente: "},
	"fr": {"Bonjour Ana,", "Intervenants\u00a0: ", "Intervenant\u00a0: "},
	"de": {"Guten Tag Ana,", "Vortragende: ", "Vortragende Person: "},
	"it": {"Ciao Ana,", "Relatori: ", "Relatore: "},
	"pt": {"Olá, Ana:", "Oradores: ", "Orador: "},
}

// Every email goes out in its recipient's language (their choice, else
// the language they signed up in): subject and body in that language and
// none of the English, placeholders filled, the date's month in the
// language, and the plural forms of hours and speakers right.
func TestEveryEmailInEachLanguage(t *testing.T) {
	env, mod, full := serverWithTalk(t, map[string]any{"status": "scheduled", "capacity": 1, "title": "Salud digital"})
	tz, _ := time.LoadLocation("Europe/Brussels")
	cal := talks.CalendarConfig{BaseURL: "http://hubtalks.test", Timezone: tz, Organizer: "talks@hubtalks.test"}
	composer := server.Composer(cal) // the app's, as `hubtalks serve` sends
	big := testserver.NewTalk(t, env, mod.Token, map[string]any{"status": "scheduled", "capacity": 1000, "title": "Interoperabilität"})
	sp1, sp2 := env.NewUser("participant"), env.NewUser("participant")
	testserver.AddSpeakers(t, env, full.ID, sp1.ID)
	testserver.AddSpeakers(t, env, big.ID, sp1.ID, sp2.ID)
	left := testserver.NewTalk(t, env, mod.Token, map[string]any{"status": "scheduled", "title": "Gesundheitsdaten"})
	testserver.AddSpeakers(t, env, left.ID, sp1.ID, sp2.ID)
	if _, err := env.DB.Exec(`UPDATE talks SET recording_video_id = 'dQw4w9WgXcQ', location = 'Sala 1' WHERE id = $1`, big.ID); err != nil {
		t.Fatal(err)
	}
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", full.ID), env.NewUser("participant").Token, nil), 201)
	ctx := context.Background()

	for i, lang := range i18n.Locales {
		u := env.NewUser("participant")
		// Half choose their language; the others only signed up in it.
		column := "locale"
		if i%2 == 1 {
			column = "signup_locale"
		}
		if _, err := env.DB.Exec(`UPDATE users SET display_name = 'Ana', `+column+` = $2 WHERE id = $1`, u.ID, lang); err != nil {
			t.Fatal(err)
		}
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", big.ID), u.Token, nil), 201)
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", full.ID), u.Token, nil), 201) // waitlisted
		// They were invited to the talk they left: their unregistration
		// takes it out of their calendar.
		if _, err := env.DB.Exec(`INSERT INTO outbox (kind, talk_id, user_id, sent_at) VALUES ('registration.confirmed', $1, $2, now())`, left.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		old := big.StartsAt.Add(-24 * time.Hour)
		for kind, want := range mailPhrases[lang] {
			talkID, payload := big.ID, `{}`
			switch kind {
			case "registration.waitlisted":
				talkID = full.ID
			case "registration.cancelled":
				talkID = left.ID
			case "talk.rescheduled":
				payload = fmt.Sprintf(`{"old_starts_at": %q}`, old.Format(time.RFC3339))
			case "account.verify", "account.reset":
				payload = fmt.Sprintf(`{"email": %q, "secret": "s3cret"}`, u.Email)
			}
			var m outbox.Message
			err := env.DB.Get(&m, `INSERT INTO outbox (kind, talk_id, user_id, payload) VALUES ($1, $2, $3, $4)
				RETURNING id, kind, talk_id, user_id, payload, attempts`, kind, talkID, u.ID, payload)
			if err != nil {
				t.Fatal(err)
			}
			mail, err := composer.Compose(ctx, env.DB, m)
			if err != nil {
				t.Fatalf("%s %s: %v", lang, kind, err)
			}
			where := lang + " " + kind
			if mail.Language != lang {
				t.Errorf("%s: Content-Language %q", where, mail.Language)
			}
			if !strings.HasPrefix(mail.Subject, want[0]) {
				t.Errorf("%s: subject %q, want it to start %q", where, mail.Subject, want[0])
			}
			body := mail.Text
			for _, phrase := range []string{want[1], mailFrame[lang][0]} {
				if !strings.Contains(body, phrase) {
					t.Errorf("%s: body lacks %q:\n%s", where, phrase, body)
				}
			}
			if strings.Contains(body, "{{") || strings.Contains(body, "<no value>") || strings.Contains(mail.Subject, "<no value>") {
				t.Errorf("%s: a placeholder is left:\n%s", where, body)
			}
			if lang != "en" {
				for _, english := range []string{"Hello ", "When: ", "Details: ", "Speakers: ", "registered", "Please ", "reminder"} {
					if strings.Contains(body, english) || strings.Contains(mail.Subject, english) {
						t.Errorf("%s: English %q left:\n%s\n%s", where, english, mail.Subject, body)
					}
				}
			}
			if strings.HasPrefix(kind, "account.") {
				continue
			}
			speakers, start := mailFrame[lang][1], big.StartsAt
			switch kind {
			case "registration.waitlisted":
				speakers, start = mailFrame[lang][2], full.StartsAt
			case "registration.cancelled":
				start = left.StartsAt
			}
			if !strings.Contains(body, "\n"+speakers+sp1.Name) {
				t.Errorf("%s: body lacks %q:\n%s", where, speakers, body)
			}
			if day := i18n.FullDate(lang, start.In(tz)); !strings.Contains(body, day) {
				t.Errorf("%s: body lacks the day %q:\n%s", where, day, body)
			}
			if kind == "talk.rescheduled" {
				if day := i18n.FullDate(lang, old.In(tz)); !strings.Contains(body, day) {
					t.Errorf("%s: body lacks the old day %q:\n%s", where, day, body)
				}
			}
		}
	}
}
