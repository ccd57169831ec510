package i18n

import (
	"strings"
	"time"
)

// Go's x/text has CLDR plurals and matching but no date formatting, so each
// language's long date is written here: the CLDR "full" date pattern and
// its month and weekday names (lower case where the language writes them so).
type dateNames struct {
	months   [12]string
	weekdays [7]string // Sunday first, as time.Weekday
	// full is the date pattern: %W weekday, %D day, %M month, %Y year.
	full string
	// long is the date without its weekday.
	long string
}

var dates = map[string]dateNames{
	"en": {
		months:   [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		full:     "%W %D %M %Y", long: "%D %M %Y",
	},
	"es": {
		months:   [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		weekdays: [7]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
		full:     "%W, %D de %M de %Y", long: "%D de %M de %Y",
	},
	"fr": {
		months:   [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		weekdays: [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
		full:     "%W %D %M %Y", long: "%D %M %Y",
	},
	"de": {
		months:   [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		weekdays: [7]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		full:     "%W, %D. %M %Y", long: "%D. %M %Y",
	},
	"it": {
		months:   [12]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"},
		weekdays: [7]string{"domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"},
		full:     "%W %D %M %Y", long: "%D %M %Y",
	},
	"pt": {
		months:   [12]string{"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"},
		weekdays: [7]string{"domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado"},
		full:     "%W, %D de %M de %Y", long: "%D de %M de %Y",
	},
}

func formatDate(locale, pattern string, t time.Time) string {
	n := dates[Or(locale)]
	day := t.Format("2")
	if locale == "fr" && t.Day() == 1 {
		day = "1er" // le 1er mai
	}
	return strings.NewReplacer("%W", n.weekdays[t.Weekday()], "%D", day,
		"%M", n.months[t.Month()-1], "%Y", t.Format("2006")).Replace(pattern)
}

// FullDate is t's day with its weekday in locale ("Monday 2 March 2026",
// "lunes, 2 de marzo de 2026", "Montag, 2. März 2026"), in t's location.
func FullDate(locale string, t time.Time) string {
	return formatDate(locale, dates[Or(locale)].full, t)
}

// LongDate is t's day without its weekday ("2 March 2026", "2. März 2026").
func LongDate(locale string, t time.Time) string {
	return formatDate(locale, dates[Or(locale)].long, t)
}

// Clock is t's time of day on the 24-hour clock with its zone's
// abbreviation ("15:04 CET"), which every one of the six languages reads.
func Clock(t time.Time) string { return t.Format("15:04 MST") }
