package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/speakers"
)

// profile is a demo speaker's profile, with the colours of a generated
// portrait (no image files needed).
type profile struct {
	email, bio, affiliation string
	links                   []string
	ground, face            color.RGBA
}

var profiles = []profile{
	{
		email: "speaker@demo.hubtalks.test",
		bio: "Sofia is a general practitioner and researcher in digital health literacy.\n" +
			"She runs community workshops on finding and judging health information online.",
		affiliation: "Institute of Primary Care, Hub University",
		links:       []string{"https://example.org/sofia", "https://example.org/sofia/publications"},
		ground:      color.RGBA{R: 33, G: 102, B: 112, A: 255},
		face:        color.RGBA{R: 226, G: 182, B: 150, A: 255},
	},
	{
		email: "speaker2@demo.hubtalks.test",
		bio: "Kwame teaches epidemiology and designs remote-monitoring studies with rural clinics.\n" +
			"Before academia he worked as a nurse for ten years.",
		affiliation: "School of Public Health",
		links:       []string{"https://example.org/kwame"},
		ground:      color.RGBA{R: 122, G: 62, B: 130, A: 255},
		face:        color.RGBA{R: 141, G: 94, B: 66, A: 255},
	},
}

const (
	setDemoProfile = `UPDATE users SET bio = $2, affiliation = $3, links = $4 WHERE id = $1 AND bio = '' AND affiliation = ''`
	setDemoPhoto   = `INSERT INTO user_photos (user_id, hash, jpeg) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING`
)

// seedProfiles gives the demo speakers a bio, an affiliation, links and a
// portrait, unless they have a profile already.
func seedProfiles(ctx context.Context, db sqlx.ExecerContext, users map[string]int64) error {
	for _, p := range profiles {
		id := users[p.email]
		if _, err := db.ExecContext(ctx, setDemoProfile, id, p.bio, p.affiliation, pq.StringArray(p.links)); err != nil {
			return fmt.Errorf("demo profile of %s: %w", p.email, err)
		}
		jpeg, hash, err := speakers.Square(portrait(p.ground, p.face))
		if err != nil {
			return fmt.Errorf("demo photo of %s: %w", p.email, err)
		}
		if _, err := db.ExecContext(ctx, setDemoPhoto, id, hash, jpeg); err != nil {
			return fmt.Errorf("demo photo of %s: %w", p.email, err)
		}
	}
	return nil
}

// portrait draws a head and shoulders on a coloured ground, as a PNG.
func portrait(ground, face color.RGBA) []byte {
	const size = 320
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	shade := color.RGBA{R: ground.R / 2, G: ground.G / 2, B: ground.B / 2, A: 255}
	for y := range size {
		for x := range size {
			c := ground
			hx, hy := x-size/2, y-130
			sx, sy := x-size/2, y-330
			switch {
			case hx*hx+hy*hy < 62*62:
				c = face
			case sx*sx*2/3+sy*sy < 120*120:
				c = shade
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to memory
	return b.Bytes()
}
