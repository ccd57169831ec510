// Package catalog holds the message catalogs of the server (go-i18n v2
// TOML, one per language, embedded) and renders a message in a language.
// It is a leaf: package domain renders the English text of an error's
// message from it, and server/i18n builds the request's language on it.
package catalog

import (
	"embed"
	"fmt"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Default is the locale of whoever has none: English.
const Default = "en"

// Locales are the codes Hub Talks speaks (BCP 47 languages), in the order
// the API lists them.
var Locales = []string{"en", "es", "fr", "de", "it", "pt"}

// regional is the language a catalog is written in where it is narrower
// than its code: our Portuguese is European (the glossary), whose plural
// rule differs from Brazil's ("0 votos", not "0 voto").
var regional = map[string]string{"pt": "pt-PT"}

// tag is the language whose plural rules locale's catalog follows.
func tag(locale string) string {
	if r, ok := regional[locale]; ok {
		return r
	}
	return locale
}

//go:embed *.toml
var files embed.FS

var (
	bundle     = newBundle()
	localizers = func() map[string]*goi18n.Localizer {
		m := make(map[string]*goi18n.Localizer, len(Locales))
		for _, l := range Locales {
			m[l] = goi18n.NewLocalizer(bundle, tag(l), Default)
		}
		return m
	}()
	// plural is every id whose English message has plural forms: it is
	// rendered in the form of its Count.
	plural = func() map[string]bool {
		en, err := Source(Default)
		if err != nil {
			panic("i18n: " + err.Error())
		}
		m := map[string]bool{}
		for id, v := range en {
			if _, ok := v.(map[string]any); ok {
				m[id] = true
			}
		}
		return m
	}()
)

func newBundle() *goi18n.Bundle {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, l := range Locales {
		raw, err := files.ReadFile(l + ".toml")
		if err == nil {
			// The file's name gives go-i18n the language, and so the plural rule.
			_, err = b.ParseMessageFileBytes(raw, tag(l)+".toml")
		}
		if err != nil {
			panic(fmt.Sprintf("i18n catalog %s: %v", l, err)) // embedded: a broken file fails every test
		}
	}
	return b
}

// Source reads the raw messages of locale's catalog: a string, or a table
// of plural forms. The catalog checks read it too.
func Source(locale string) (map[string]any, error) {
	raw, err := files.ReadFile(locale + ".toml")
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	_, err = toml.Decode(string(raw), &m)
	return m, err
}

// Plural reports whether message id has plural forms (its data then needs
// a Count).
func Plural(id string) bool { return plural[id] }

// Render is message id in locale, its placeholders filled from data; a
// message with plural forms takes the form of data["Count"]. A message
// missing from locale's catalog falls back to English, and one missing
// everywhere is its id (the catalog checks fail on either).
func Render(locale, id string, data map[string]any) string {
	return Localize(locale, &goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: pluralCount(id, data)})
}

func pluralCount(id string, data map[string]any) any {
	if !plural[id] {
		return nil
	}
	if n, ok := data["Count"]; ok {
		return n
	}
	return 0
}

// Localize runs lc in locale (English for an unknown one); a message
// missing everywhere is its id.
func Localize(locale string, lc *goi18n.LocalizeConfig) string {
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
