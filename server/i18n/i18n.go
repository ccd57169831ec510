// Package i18n is the server's languages: the six locales of Hub Talks, the
// message catalogs of everything the server writes for people (emails,
// calendar texts, the certificate, problem details), and the locale of a
// request and of a message's recipient.
//
// Catalogs are go-i18n v2 TOML files, one per language, embedded by
// package catalog (a leaf, so that domain errors render their English from
// it too): a message is a text/template ({{.Name}}), and a message with a
// count has the CLDR plural forms of its language (one, many, other).
// Dates have no CLDR formatting in Go: dates.go holds the month and weekday
// names of each language.
package i18n

import (
	"slices"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/hubtalks/hubtalks/server/i18n/catalog"
)

// Default is the locale of whoever has none: English.
const Default = catalog.Default

// Locales are the codes Hub Talks speaks (BCP 47 languages), in the order
// the API lists them.
var Locales = catalog.Locales

// Supported reports whether code is one of Locales.
func Supported(code string) bool { return slices.Contains(Locales, code) }

// Or is code when it is supported, else Default.
func Or(code string) string {
	if Supported(code) {
		return code
	}
	return Default
}

// Data is what a message's placeholders read: {{.Name}} is Data{"Name": …}.
type Data = map[string]any

// T is message id in locale, its placeholders filled from data. A message
// missing from locale's catalog falls back to English, and one missing
// everywhere is its id (the catalog check test fails on either).
func T(locale, id string, data Data) string {
	return catalog.Localize(locale, &goi18n.LocalizeConfig{MessageID: id, TemplateData: data})
}

// N is message id in locale in the plural form of count; its placeholders
// read {{.Count}} too.
func N(locale, id string, count int, data Data) string {
	d := Data{"Count": count}
	for k, v := range data {
		d[k] = v
	}
	return catalog.Localize(locale, &goi18n.LocalizeConfig{MessageID: id, TemplateData: d, PluralCount: count})
}

// RecipientSQL is the SQL expression of the language a message goes out in,
// over the users table: the person's choice, else the language they signed
// up in, else English.
const RecipientSQL = "coalesce(locale, signup_locale, 'en')"
