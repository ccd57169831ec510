package server

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/talks"
)

// talkPagePath matches the web app's talk pages, "/talks/42-slug" (and
// their live room), whose link previews name the talk.
var talkPagePath = regexp.MustCompile(`^/talks/(\d+)(?:-[^/]*)?(?:/live)?/?$`)

// withTalkMeta is index.html for path: on a talk's page, with that talk's
// title, description, canonical address and OpenGraph/Twitter tags in its
// head, so that link previews (which run no JavaScript) show the talk.
// Everything from the talk is HTML-escaped. Any other page, a draft, a
// talk that is not there or a failed lookup get index.html unchanged.
func (s *Server) withTalkMeta(c *fiber.Ctx, index []byte) []byte {
	m := talkPagePath.FindStringSubmatch(c.Path())
	if m == nil || s.talkPages == nil {
		return index
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return index
	}
	t, err := s.talkPages.Get(httpx.Ctx(c), nil, id)
	if err != nil {
		return index
	}
	head := talkHead(t, strings.TrimRight(s.cfg.BaseURL, "/"))
	out := index
	if i := bytes.Index(out, []byte("<title>")); i >= 0 {
		if j := bytes.Index(out[i:], []byte("</title>")); j >= 0 {
			out = append(append(append([]byte{}, out[:i]...), []byte("<title>"+html.EscapeString(t.Title)+" · Hub Talks</title>")...), out[i+j+len("</title>"):]...)
		}
	}
	out = bytes.Replace(out, []byte(`<meta name="description" content="Hub Talks: public talks with live Q&amp;A." />`), nil, 1)
	return bytes.Replace(out, []byte("</head>"), []byte(head+"</head>"), 1)
}

// talkHead is the tags that describe talk t at base (the public origin).
func talkHead(t talks.Talk, base string) string {
	url := fmt.Sprintf("%s/talks/%d", base, t.ID)
	if t.Slug != "" {
		url += "-" + t.Slug
	}
	desc := t.StartsAt.UTC().Format("Mon 2 Jan 2006, 15:04 UTC")
	if len(t.Speakers) > 0 {
		names := make([]string, len(t.Speakers))
		for i, sp := range t.Speakers {
			names[i] = sp.DisplayName
		}
		desc += " · with " + strings.Join(names, ", ")
	}
	if a := strings.Join(strings.Fields(t.Abstract), " "); a != "" {
		desc += ". " + clip(a, 240)
	}
	image, card := base+"/og-image.png", "summary_large_image"
	if t.Recording != nil && t.Recording.VideoID != "" {
		image = "https://i.ytimg.com/vi/" + t.Recording.VideoID + "/hqdefault.jpg"
	}
	var b strings.Builder
	tag := func(attr, key, value string) {
		fmt.Fprintf(&b, `<meta %s="%s" content="%s" />`, attr, key, html.EscapeString(value))
	}
	fmt.Fprintf(&b, `<link rel="canonical" href="%s" />`, html.EscapeString(url))
	tag("name", "description", desc)
	tag("property", "og:type", "website")
	tag("property", "og:site_name", "Hub Talks")
	tag("property", "og:title", t.Title)
	tag("property", "og:description", desc)
	tag("property", "og:url", url)
	tag("property", "og:image", image)
	tag("name", "twitter:card", card)
	tag("name", "twitter:title", t.Title)
	tag("name", "twitter:description", desc)
	tag("name", "twitter:image", image)
	if len(t.Speakers) > 0 {
		tag("name", "author", t.Speakers[0].DisplayName)
	}
	return b.String()
}

// clip shortens s to at most n characters, at a word, with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	if i := strings.LastIndexByte(string(r), ' '); i > n/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}
