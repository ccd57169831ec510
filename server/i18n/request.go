package i18n

import (
	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
)

// CookieName is the visitor's choice of language (one of Locales; Path=/,
// SameSite=Lax, a year), written by the web app's language menu.
const CookieName = "hubtalks_locale"

var matcher = language.NewMatcher([]language.Tag{
	language.English, language.Spanish, language.French, language.German, language.Italian, language.Portuguese,
})

// maxAcceptLanguage bounds the header parsed: a browser's is a few dozen bytes.
const maxAcceptLanguage = 256

// Request is the locale of a request: the signed-in account's choice, else
// the hubtalks_locale cookie, else the best of Accept-Language, else
// English.
func Request(c *fiber.Ctx) string {
	if u := httpx.CurrentUser(c); u != nil && Supported(u.Locale) {
		return u.Locale
	}
	if v := c.Cookies(CookieName); Supported(v) {
		return v
	}
	return FromAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
}

// FromAcceptLanguage is the locale an Accept-Language header prefers most
// (CLDR matching: "pt-BR" is pt, "de-CH" de), or English when it names
// none of them.
func FromAcceptLanguage(header string) string {
	if header == "" || len(header) > maxAcceptLanguage {
		return Default
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return Default
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return Default
	}
	return Locales[i]
}

// Feed is the language of a public calendar feed: ?lang= when given, else
// English (the series' language). A feed is one address for everyone and
// is cached by calendar apps and proxies, so neither the cookie nor
// Accept-Language changes it; a subscriber picks a language by its URL.
func Feed(c *fiber.Ctx) (string, error) {
	lang := c.Query("lang")
	if lang == "" {
		return Default, nil
	}
	if !Supported(lang) {
		return "", httpx.Invalid(domain.FieldError{Field: "lang", Message: "must be one of en, es, fr, de, it, pt"})
	}
	return lang, nil
}
