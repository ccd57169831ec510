package attendance

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
)

func TestMinutesPresentMergesRunsAndBridgesShortGaps(t *testing.T) {
	for _, c := range []struct {
		seen []int32
		want int
	}{
		{nil, 0},
		{[]int32{5}, 1},
		{[]int32{5, 6, 7}, 3},
		{[]int32{7, 5, 6, 6, 5}, 3},  // any order, repeats (two tabs, two instances)
		{[]int32{5, 7}, 3},           // one unseen minute: a gap under 2 minutes, bridged
		{[]int32{5, 8}, 2},           // two unseen minutes: not bridged
		{[]int32{1, 2, 4, 5, 9}, 6},  // 1–5 bridged (5), 9 alone (1)
		{[]int32{10, 11, 12, 30}, 4}, // a long absence
	} {
		if got := MinutesPresent(c.seen); got != c.want {
			t.Errorf("MinutesPresent(%v) = %d, want %d", c.seen, got, c.want)
		}
	}
}

func TestSessionMinutes(t *testing.T) {
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	end := start.Add(59*time.Minute + 40*time.Second)
	if got := SessionMinutes(&start, &end, time.Time{}); got != 60 {
		t.Errorf("ended session: %d, want 60", got)
	}
	if got := SessionMinutes(&start, nil, start.Add(10*time.Minute)); got != 10 {
		t.Errorf("running session: %d, want 10", got)
	}
	if got := SessionMinutes(nil, nil, start); got != 0 {
		t.Errorf("never started: %d, want 0", got)
	}
}

// A certificate renders names in Latin with diacritics and in Greek, and
// stays small: pdftotext (poppler-utils) reads the text back.
func TestCertificateRendersUnicodeNames(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	s := NewService(nil, Config{TimeZone: berlin, BaseURL: "https://talks.example.org"})
	start := time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC)
	for _, name := range []string{"Łukasz Żółć", "Αλέξανδρος Παπαδόπουλος", "Zoë Brontë-Ødegård"} {
		c := Certificate{Code: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", Name: name, TalkTitle: "Évaluer les applis de santé: ¿qué funciona?",
			StartedAt: start, EndedAt: start.Add(time.Hour), Minutes: 42, Session: 60, Speakers: []string{"Dr. Ana Núñez", "Jürgen Groß"},
			IssuedAt: start.Add(2 * time.Hour), SeriesTitle: "Hub Talks", Date: start.In(berlin).Format("2 January 2006")}
		pdf, err := s.render("en", c)
		if err != nil {
			t.Fatal(err)
		}
		if len(pdf) > 100<<10 {
			t.Errorf("%s: %d bytes, want tens of KiB at most", name, len(pdf))
		}
		if dir := os.Getenv("CERTIFICATE_SAMPLE_DIR"); dir != "" {
			_ = os.WriteFile(dir+"/certificate-"+strings.Fields(name)[0]+".pdf", pdf, 0o644)
		}
		text := testkit.PDFText(t, pdf)
		for _, want := range []string{name, c.Code, "28 November 2026", "Jürgen Groß", "42 of its 60 minutes", "https://talks.example.org/certificates/" + c.Code} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: text lacks %q:\n%s", name, want, text)
			}
		}
	}
}

// The certificate speaks the language it is asked in: its heading, the
// date with the month's name, and the plural of its minutes.
func TestCertificateInEachLanguage(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	s := NewService(nil, Config{TimeZone: berlin, BaseURL: "https://talks.example.org"})
	start := time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC)
	want := map[string][]string{
		"en": {"Certificate of attendance", "This certifies that", "2 March 2026", "42 of its 60 minutes", "Verification code"},
		"es": {"Certificado de asistencia", "Se certifica que", "2 de marzo de 2026", "42 de sus 60 minutos", "Código de verificación"},
		"fr": {"Attestation de présence", "Nous attestons que", "2 mars 2026", "42 de ses 60 minutes", "Code de vérification"},
		"de": {"Teilnahmebescheinigung", "Hiermit wird bestätigt", "2. März 2026", "42 von 60 Minuten", "Prüfcode"},
		"it": {"Attestato di partecipazione", "Si attesta che", "2 marzo 2026", "42 dei suoi 60 minuti", "Codice di verifica"},
		"pt": {"Certificado de presença", "Certifica-se que", "2 de março de 2026", "42 dos seus 60 minutos", "Código de verificação"},
	}
	for lang, phrases := range want {
		c := Certificate{Code: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", Name: "Ana Núñez", TalkTitle: "Salud digital",
			StartedAt: start, EndedAt: start.Add(time.Hour), Minutes: 42, Session: 60, Speakers: []string{"Jürgen Groß"},
			IssuedAt: start.Add(2 * time.Hour), SeriesTitle: "Hub Talks"}
		pdf, err := s.render(lang, c)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(testkit.PDFText(t, pdf)), " ")
		for _, p := range phrases {
			if !strings.Contains(text, strings.Join(strings.Fields(p), " ")) {
				t.Errorf("%s: text lacks %q:\n%s", lang, p, text)
			}
		}
		if lang != "en" && (strings.Contains(text, "Certificate of attendance") || strings.Contains(text, "March")) {
			t.Errorf("%s: English left in the certificate:\n%s", lang, text)
		}
	}
}
