package i18n

import (
	"strings"
	"time"
)

// Go's x/text has CLDR plurals and matching but no date formatting, so each
// language's long date is written here: the CLDR "full" date pattern and
// its month and weekday names (lower case where the language writes them
// so). Patterns: %W weekday, %D day, %M month, %Y year; the "long" date
// is the full one without its weekday.
var dateTable = map[string][4]string{ // months, weekdays from Sunday, full, long
	"en": {"January February March April May June July August September October November December",
		"Sunday Monday Tuesday Wednesday Thursday Friday Saturday", "%W %D %M %Y", "%D %M %Y"},
	"es": {"enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
		"domingo lunes martes miércoles jueves viernes sábado", "%W, %D de %M de %Y", "%D de %M de %Y"},
	"fr": {"janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
		"dimanche lundi mardi mercredi jeudi vendredi samedi", "%W %D %M %Y", "%D %M %Y"},
	"de": {"Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
		"Sonntag Montag Dienstag Mittwoch Donnerstag Freitag Samstag", "%W, %D. %M %Y", "%D. %M %Y"},
	"it": {"gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
		"domenica lunedì martedì mercoledì giovedì venerdì sabato", "%W %D %M %Y", "%D %M %Y"},
	"pt": {"janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
		"domingo segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado", "%W, %D de %M de %Y", "%D de %M de %Y"},
}

type dateNames struct {
	months, weekdays []string
	full, long       string
}

var dates = func() map[string]dateNames {
	m := make(map[string]dateNames, len(dateTable))
	for l, d := range dateTable {
		m[l] = dateNames{months: strings.Fields(d[0]), weekdays: strings.Fields(d[1]), full: d[2], long: d[3]}
	}
	return m
}()

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
