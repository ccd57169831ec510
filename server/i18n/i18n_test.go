package i18n

import (
	"strings"
	"testing"
	"time"
)

func TestAcceptLanguagePicksTheBestOfTheSix(t *testing.T) {
	for header, want := range map[string]string{
		"":                                "en",
		"de-CH,de;q=0.9,en;q=0.8":         "de",
		"pt-BR":                           "pt",
		"fr-CA;q=0.5, es-MX;q=0.9":        "es",
		"nl-NL,nl;q=0.9":                  "en", // none of ours: English
		"nl-NL,nl;q=0.9,it;q=0.5":         "it",
		"*":                               "en",
		"garbage;;;q=x":                   "en",
		strings.Repeat("de,", 200) + "fr": "en", // too long to read
	} {
		if got := FromAcceptLanguage(header); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", header, got, want)
		}
	}
}

func TestDatesSpeakTheLanguage(t *testing.T) {
	at := time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC) // a Monday
	for lang, want := range map[string]string{
		"en": "Monday 2 March 2026",
		"es": "lunes, 2 de marzo de 2026",
		"fr": "lundi 2 mars 2026",
		"de": "Montag, 2. März 2026",
		"it": "lunedì 2 marzo 2026",
		"pt": "segunda-feira, 2 de março de 2026",
		"xx": "Monday 2 March 2026",
	} {
		if got := FullDate(lang, at); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	if got := LongDate("fr", time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)); got != "1er mai 2026" {
		t.Errorf("fr, 1 May: %q", got)
	}
}

// Plural forms follow CLDR: Spanish and French "one" is one hour, the
// others their "other" (French counts 0 and 1 as one).
func TestPluralsFollowCLDR(t *testing.T) {
	cases := []struct {
		lang  string
		count int
		want  string
	}{
		{"en", 1, "Speaker: A"}, {"en", 2, "Speakers: A"},
		{"es", 1, "Ponente: A"}, {"es", 2, "Ponentes: A"},
		{"fr", 1, "Intervenant\u00a0: A"}, {"fr", 2, "Intervenants\u00a0: A"},
		{"de", 1, "Vortragende Person: A"}, {"de", 3, "Vortragende: A"},
		{"it", 1, "Relatore: A"}, {"it", 2, "Relatori: A"},
		{"pt", 1, "Orador: A"}, {"pt", 2, "Oradores: A"},
	}
	for _, c := range cases {
		if got := N(c.lang, "talk.speakers", c.count, Data{"Names": "A"}); got != c.want {
			t.Errorf("%s, %d: %q, want %q", c.lang, c.count, got, c.want)
		}
	}
	// European Portuguese counts zero as plural, as French does not.
	if got := N("pt", "certificate.minutes", 0, Data{"Date": "d", "Time": "t", "Minutes": "0"}); !strings.Contains(got, "dos seus 0 minutos") {
		t.Errorf("pt, 0 minutes: %q", got)
	}
	if got := N("de", "reminder.lead", 24, nil); !strings.Contains(got, "in etwa 24 Stunden") {
		t.Errorf("de, 24 hours: %q", got)
	}
	if got := N("de", "reminder.lead", 1, nil); !strings.Contains(got, "in etwa einer Stunde") {
		t.Errorf("de, 1 hour: %q", got)
	}
}

func TestUnknownLocaleAndKeyFallBack(t *testing.T) {
	if got := T("xx", "calendar.online", nil); got != "Online" {
		t.Errorf("unknown locale: %q", got)
	}
	if got := T("de", "no.such.key", nil); got != "no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
	if got := Detail("es", "sign in first"); got != "inicie sesión primero" {
		t.Errorf("detail: %q", got)
	}
	if got := Detail("es", "a detail nobody translated"); got != "a detail nobody translated" {
		t.Errorf("untranslated detail: %q", got)
	}
}
