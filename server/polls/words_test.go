package polls

import (
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		lang, in, want string
	}{
		// English
		{"en", "Privacy", "privacy"},
		{"en", "  PRIVACY!  ", "privacy"},
		{"en", "the", ""},
		{"en", "The Cloud", "cloud"},
		{"en", "data-driven", "data-driven"},
		{"en", "don't", "don't"},
		{"en", "Café", "cafe"},
		{"en", "e-Health", "e-health"},
		{"en-GB", "AND", ""},
		{"en", "5G", "5g"},
		// Spanish
		{"es", "Información", "informacion"},
		{"es", "INFORMACIÓN", "informacion"},
		{"es", "la salud", "salud"},
		{"es", "Año", "año"},
		{"es", "pequeño", "pequeño"},
		{"es", "también", ""},
		{"es", "¿Confianza?", "confianza"},
		{"es", "el", ""},
		// French
		{"fr", "Sécurité", "securite"},
		{"fr", "l'intelligence", "intelligence"},
		{"fr", "L’Intelligence", "intelligence"},
		{"fr", "être", "etre"},
		{"fr", "Les données", "donnees"},
		{"fr", "aujourd'hui", "aujourd'hui"},
		{"fr", "et", ""},
		{"fr", "Français", "francais"},
		// The stop words are the talk's language's only.
		{"fr", "the", "the"},
		{"en", "la", "la"},
		{"xx", "the", "the"},
		// Compatibility forms fold too.
		{"en", "ﬁnance", "finance"},
		{"en", "!!!", ""},
	} {
		if got := Normalize(c.in, c.lang); got != c.want {
			t.Errorf("Normalize(%q, %q) = %q, want %q", c.in, c.lang, got, c.want)
		}
	}
}

func TestTermsAreDistinctAndSkipEmpty(t *testing.T) {
	got := Terms([]string{"Datos", "datos", "de"}, "es")
	if want := []string{"datos"}; !slices.Equal(got, want) {
		t.Fatalf("Terms = %q, want %q", got, want)
	}
	got = Terms([]string{"Trust", "Privacy", "trust!"}, "en")
	if want := []string{"trust", "privacy"}; !slices.Equal(got, want) {
		t.Fatalf("Terms = %q, want %q", got, want)
	}
}
