// Package i18n is the server's languages: the six locales of Hub Talks, the
// message catalogs of everything the server writes for people (emails,
// calendar texts, the certificate, problem details), and the locale of a
// request and of a message's recipient.
//
// Catalogs are go-i18n v2 TOML files, one per language, embedded from
// catalog/: a message is a text/template ({{.Name}}), and a message with a
// count has the CLDR plural forms of its language (one, many, other).
// Dates have no CLDR formatting in Go: dates.go holds the month and weekday
// names of each language.
package i18n

import (
	"embed"
	"fmt"
	"slices"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Default is the locale of whoever has none: English.
const Default = "en"

// Locales are the codes Hub Talks speaks (BCP 47 languages), in the order
// the API lists them.
var Locales = []string{"en", "es", "fr", "de", "it", "pt"}

// Supported reports whether code is one of Locales.
func Supported(code string) bool { return slices.Contains(Locales, code) }

// Or is code when it is supported, else Default.
func Or(code string) string {
	if Supported(code) {
		return code
	}
	return Default
}

//go:embed catalog/*.toml
var catalogFS embed.FS

var (
	bundle     = newBundle()
	localizers = func() map[string]*goi18n.Localizer {
		m := make(map[string]*goi18n.Localizer, len(Locales))
		for _, l := range Locales {
			m[l] = goi18n.NewLocalizer(bundle, l, Default)
		}
		return m
	}()
)

func newBundle() *goi18n.Bundle {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, l := range Locales {
		if _, err := b.LoadMessageFileFS(catalogFS, "catalog/"+l+".toml"); err != nil {
			panic(fmt.Sprintf("i18n catalog %s: %v", l, err)) // embedded: a broken file fails every test
		}
	}
	return b
}

// Data is what a message's placeholders read: {{.Name}} is Data{"Name": …}.
type Data map[string]any

// T is message id in locale, its placeholders filled from data. A message
// missing from locale's catalog falls back to English, and one missing
// everywhere is its id (the catalog check test fails on either).
func T(locale, id string, data Data) string {
	return localize(locale, &goi18n.LocalizeConfig{MessageID: id, TemplateData: data})
}

// N is message id in locale in the plural form of count; its placeholders
// read {{.Count}} too.
func N(locale, id string, count int, data Data) string {
	d := Data{"Count": count}
	for k, v := range data {
		d[k] = v
	}
	return localize(locale, &goi18n.LocalizeConfig{MessageID: id, TemplateData: d, PluralCount: count})
}

func localize(locale string, lc *goi18n.LocalizeConfig) string {
	l, ok := localizers[locale]
	if !ok {
		l = localizers[Default]
	}
	s, err := l.Localize(lc)
	if err != nil && s == "" {
		return lc.MessageID
	}
	return s
}

// RecipientSQL is the SQL expression of the language a message goes out in,
// over the users table: the person's choice, else the language they signed
// up in, else English.
const RecipientSQL = "coalesce(locale, signup_locale, 'en')"
