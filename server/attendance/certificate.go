package attendance

import (
	"fmt"
	"strings"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/hubtalks/hubtalks/server/i18n"
)

// render draws a certificate as an A4 landscape PDF. The Go fonts are
// embedded in the binary (golang.org/x/image) and cover Latin, Greek and
// Cyrillic (WGL4), so names like "Łukasz Żółć" or "Αλέξανδρος" print as
// typed; gopdf embeds only the glyphs used, so a file is a few tens of KiB.
// Its texts are in lang (the language of the request).
func (s *Service) render(lang string, c Certificate) ([]byte, error) {
	pdf := &gopdf.GoPdf{}
	page := gopdf.PageSizeA4Landscape
	pdf.Start(gopdf.Config{PageSize: *page, Unit: gopdf.UnitPT})
	pdf.SetCompressLevel(9)
	pdf.SetInfo(gopdf.PdfInfo{Title: i18n.T(lang, "certificate.document", i18n.Data{"Title": c.TalkTitle}), Author: c.SeriesTitle,
		Creator: "Hub Talks", Subject: i18n.T(lang, "certificate.code", i18n.Data{"Code": c.Code}), CreationDate: c.IssuedAt})
	if err := pdf.AddTTFFontData("regular", goregular.TTF); err != nil {
		return nil, fmt.Errorf("certificate font: %w", err)
	}
	if err := pdf.AddTTFFontData("bold", gobold.TTF); err != nil {
		return nil, fmt.Errorf("certificate font: %w", err)
	}
	pdf.AddPage()
	w, h := page.W, page.H
	pdf.SetStrokeColor(40, 70, 120)
	pdf.SetLineWidth(3)
	pdf.RectFromUpperLeftWithStyle(24, 24, w-48, h-48, "D")
	pdf.SetLineWidth(0.8)
	pdf.RectFromUpperLeftWithStyle(32, 32, w-64, h-64, "D")

	y := 80.0
	line := func(font string, size float64, r, g, b uint8, text string, gap float64) error {
		if err := pdf.SetFont(font, "", size); err != nil {
			return err
		}
		pdf.SetTextColor(r, g, b)
		for _, part := range wrap(pdf, text, w-160) {
			pdf.SetXY(80, y)
			if err := pdf.CellWithOption(&gopdf.Rect{W: w - 160, H: size * 1.3}, part, gopdf.CellOption{Align: gopdf.Center}); err != nil {
				return err
			}
			y += size * 1.3
		}
		y += gap
		return nil
	}
	speakers := ""
	if len(c.Speakers) > 0 {
		speakers = i18n.T(lang, "certificate.with", i18n.Data{"Names": strings.Join(c.Speakers, ", ")})
	}
	started := c.StartedAt.In(s.cfg.TimeZone)
	steps := []struct {
		font  string
		size  float64
		color [3]uint8
		text  string
		gap   float64
	}{
		{"regular", 14, [3]uint8{90, 90, 90}, c.SeriesTitle, 18},
		{"bold", 30, [3]uint8{40, 70, 120}, i18n.T(lang, "certificate.title", nil), 26},
		{"regular", 13, [3]uint8{60, 60, 60}, i18n.T(lang, "certificate.certifies", nil), 8},
		{"bold", 26, [3]uint8{20, 20, 20}, c.Name, 14},
		{"regular", 13, [3]uint8{60, 60, 60}, i18n.T(lang, "certificate.attended", nil), 8},
		{"bold", 18, [3]uint8{20, 20, 20}, c.TalkTitle, 6},
		{"regular", 12, [3]uint8{60, 60, 60}, speakers, 10},
		{"regular", 13, [3]uint8{40, 40, 40}, i18n.N(lang, "certificate.minutes", c.Session, i18n.Data{
			"Date": i18n.LongDate(lang, started), "Time": i18n.Clock(started), "Minutes": c.Minutes}), 40},
		{"regular", 10, [3]uint8{90, 90, 90}, i18n.T(lang, "certificate.code", i18n.Data{"Code": c.Code}), 2},
		{"regular", 10, [3]uint8{90, 90, 90}, i18n.T(lang, "certificate.verify", i18n.Data{
			"URL": strings.TrimRight(s.cfg.BaseURL, "/") + "/certificates/" + c.Code}), 0},
	}
	for _, st := range steps {
		if st.text == "" {
			continue
		}
		if err := line(st.font, st.size, st.color[0], st.color[1], st.color[2], st.text, st.gap); err != nil {
			return nil, fmt.Errorf("certificate text: %w", err)
		}
	}
	out, err := pdf.GetBytesPdfReturnErr()
	if err != nil {
		return nil, fmt.Errorf("certificate pdf: %w", err)
	}
	return out, nil
}

// wrap splits text into lines that fit width in the current font (at most
// three: a very long title is cut there).
func wrap(pdf *gopdf.GoPdf, text string, width float64) []string {
	lines, err := pdf.SplitTextWithWordWrap(text, width)
	if err != nil || len(lines) == 0 {
		return []string{text}
	}
	if len(lines) > 3 {
		lines = append(lines[:2], strings.Join(lines[2:], " "))
	}
	return lines
}
