package polls

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Word clouds count words as people mean them, not as they type them:
// Normalize folds case and accents ("Información", "informacion" and
// "INFORMACIÓN" are one word), trims punctuation, and drops the stop words
// of the talk's language, so that "the", "la" or "et" never top a cloud.

// Normalize is the word-cloud form of one entry of a ballot, in language
// (a talk's language code: en, es, fr, de, it, pt, or a regional form such
// as pt-BR; any other has no stop words). An entry of several words keeps
// those that are not stop words, joined by one space. "" means nothing is
// left to count.
func Normalize(entry, language string) string {
	stop := stopWords[baseLanguage(language)]
	var kept []string
	for _, w := range strings.FieldsFunc(fold(entry), func(r rune) bool {
		// Words are letters and digits, joined by inner hyphens and apostrophes.
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '-' && r != '\''
	}) {
		w = strings.Trim(w, "-'")
		// An elided article or preposition (l'intelligence, dell'arte,
		// d'água) goes with the apostrophe; other apostrophes stay (don't).
		if before, after, ok := strings.Cut(w, "'"); ok && stop[before] {
			w = after
		}
		if w != "" && !stop[w] {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// Terms are the distinct normalised forms of a ballot's words, in order;
// entries that normalise to nothing are left out.
func Terms(words []string, language string) []string {
	seen := make(map[string]bool, len(words))
	out := make([]string, 0, len(words))
	for _, w := range words {
		if t := Normalize(w, language); t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// fold lowercases, unifies apostrophes and strips accents (the combining
// marks of the compatibility decomposition), keeping ñ: in Spanish it is a
// letter of its own (año is not ano).
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	prev := rune(0)
	for _, r := range norm.NFKD.String(s) {
		switch {
		case r == '\u0303' && prev == 'n':
			str := b.String()
			b.Reset()
			b.WriteString(str[:len(str)-1])
			b.WriteRune('ñ')
		case unicode.Is(unicode.Mn, r):
		case r == '’' || r == 'ʼ' || r == '`':
			b.WriteRune('\'')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		if !unicode.Is(unicode.Mn, r) {
			prev = unicode.ToLower(r)
		}
	}
	return norm.NFC.String(b.String())
}

func baseLanguage(code string) string {
	base, _, _ := strings.Cut(strings.ToLower(code), "-")
	return base
}

// stopWords are the most common function words of each language the
// series speaks, in folded form (lowercase, no accents): articles,
// pronouns, prepositions, conjunctions and the commonest auxiliaries.
var stopWords = map[string]map[string]bool{
	"en": set(`a about after all also am an and any are as at be because been before being but by can could did do does doing
		for from had has have having he her here hers him his how i if in into is it its just me more most my no nor not of on
		once only or other our ours out over own same she should so some such than that the their theirs them then there these
		they this those through to too under until up very was we were what when where which while who whom why will with would
		you your yours`),
	"es": set(`a al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante e el ella ellas ellos
		en entre era eres es esa esas ese eso esos esta estaba estado estan estar este esto estos fue fueron ha hay han haber
		la las le les lo los mas me mi mis mucho muy nada ni no nos nosotros o os otra otro para pero poco por porque que quien
		se sea ser si sin sobre son su sus tambien te tiene tu tus un una uno unos unas y ya yo`),
	"fr": set(`a au aux avec ce ces cet cette dans de des du elle elles en est et etait eu il ils je la le les leur leurs lui ma
		mais me meme mes moi mon ne nos notre nous on ont ou par pas plus pour qu que qui sa se ses si son sont sur ta te tes toi
		ton tu un une vos votre vous y c d j l m n s t`),
	"de": set(`aber als am an auch auf aus bei bin bis da das dass dein deine dem den der des die dies diese dieser dir du durch
		ein eine einem einen einer eines er es fur hat hatte ich ihr ihre im in ist ja kein mit mein meine mich mir nach nicht
		noch nur oder sein seine sich sie sind so uber um und uns unser von vor war waren was wie wir wird zu zum zur`),
	"it": set(`a ad agli ai al alla alle allo anche che chi ci come con da dal dalla dalle degli dei del della delle dello di e
		ed era essere gli ha hanno i il in io la le lei lo loro lui ma mi mia mio ne nei nel nella nelle noi non o per piu quale
		quando quella quello questa questo se si sono su sua suo sul sulla ti tra tu un una uno vi voi l dell all nell sull`),
	"pt": set(`a ao aos as com como da das de dela dele deles do dos e ela elas ele eles em entre era esta este eu foi ha isso
		isto ja la lhe mais mas me mesmo meu minha muito na nao nas nem no nos o os ou para pela pelas pelo pelos por qual que
		quando se sem ser seu seus sua suas tambem te tem ter um uma umas uns voce`),
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
