package speakers_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/speakers"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// exifMarker is a string planted in a test photo's EXIF segment: it must
// not survive the re-encoding.
const exifMarker = "SECRET-GPS-48.8584N-2.2945E"

// testImage is a w×h picture with a gradient and a transparent corner.
func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if x < w/8 && y < h/8 {
				a = 0
			}
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x * 255 / w), G: uint8(y * 255 / h), B: 120, A: a})
		}
	}
	return img
}

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegWithExif is a JPEG whose APP1 Exif segment (right after SOI) holds
// exifMarker, as a camera's GPS tags would.
func jpegWithExif(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(w, h), nil); err != nil {
		t.Fatal(err)
	}
	plain := b.Bytes()
	payload := append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08"), exifMarker...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, plain[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	out = append(out, plain[2:]...)
	if !bytes.Contains(out, []byte(exifMarker)) {
		t.Fatal("the test photo lost its marker")
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("the test photo does not decode: %v", err)
	}
	return out
}

// pngClaiming is a small PNG whose header claims w×h pixels (its CRC
// fixed, so that only the size is wrong).
func pngClaiming(t *testing.T, w, h uint32) []byte {
	b := pngBytes(t, testImage(8, 8))
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func putPhoto(env *testserver.Env, token, contentType string, body []byte) *testserver.Response {
	return env.Do(testserver.Req{Method: "PUT", Path: "/api/v1/me/photo", Token: token, Body: body,
		Header: map[string]string{"Content-Type": contentType}})
}

// storedPhoto reads the photo's bytes as the database holds them.
func storedPhoto(t *testing.T, env *testserver.Env, userID int64) []byte {
	t.Helper()
	var b []byte
	if err := env.DB.Get(&b, `SELECT jpeg FROM user_photos WHERE user_id = $1`, userID); err != nil {
		t.Fatalf("stored photo of %d: %v", userID, err)
	}
	return b
}

func TestPhotoIsReencodedWithoutMetadata(t *testing.T) {
	env := testserver.New(t)
	u := env.NewUser("participant")

	for _, tc := range []struct {
		name, contentType string
		body              []byte
	}{
		{"jpeg with exif", "image/jpeg", jpegWithExif(t, 640, 480)},
		{"portrait png", "image/png", pngBytes(t, testImage(300, 500))},
		{"png with alpha", "image/png", pngBytes(t, testImage(300, 300))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := env.For(t)
			var me accounts.User
			testserver.Must(t, putPhoto(env, u.Token, tc.contentType, tc.body), 200).JSON(t, &me)
			if me.PhotoURL == nil || !strings.HasPrefix(*me.PhotoURL, fmt.Sprintf("/api/v1/users/%d/photo/", u.ID)) {
				t.Fatalf("photo_url %v", me.PhotoURL)
			}
			stored := storedPhoto(t, env, u.ID)
			for _, bad := range []string{"Exif", exifMarker} {
				if bytes.Contains(stored, []byte(bad)) {
					t.Errorf("the stored photo still holds %q", bad)
				}
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(stored))
			if err != nil || format != "jpeg" || cfg.Width != speakers.PhotoSize || cfg.Height != speakers.PhotoSize {
				t.Fatalf("stored photo: %s %dx%d, %v", format, cfg.Width, cfg.Height, err)
			}
			// Served as stored, cacheable under its hash, not sniffable.
			r := testserver.Must(t, env.Get(*me.PhotoURL, ""), 200)
			if !bytes.Equal(r.Body, stored) || r.Header.Get("Content-Type") != "image/jpeg" ||
				r.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
				t.Fatalf("served photo: %d bytes, headers %v", len(r.Body), r.Header)
			}
			// Signed in, the photo keeps its caching (the rest of the API is no-store).
			if cc := testserver.Must(t, env.Get(*me.PhotoURL, u.Token), 200).Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
				t.Errorf("signed in: Cache-Control %q", cc)
			}
		})
	}
	// The transparent corner is flattened on white (the PNG above).
	img, err := jpeg.Decode(bytes.NewReader(storedPhoto(t, env, u.ID)))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, _ := img.At(2, 2).RGBA(); r>>8 < 230 || g>>8 < 230 || b>>8 < 230 {
		t.Errorf("transparent corner became %d,%d,%d, want white", r>>8, g>>8, b>>8)
	}

	// A new photo gets a new URL; the old one is gone. Removing answers null.
	var before, after accounts.User
	testserver.Must(t, env.Get("/api/v1/me", u.Token), 200).JSON(t, &before)
	testserver.Must(t, putPhoto(env, u.Token, "image/png", pngBytes(t, testImage(50, 50))), 200).JSON(t, &after)
	if *before.PhotoURL == *after.PhotoURL {
		t.Fatal("a new photo kept the old URL")
	}
	testserver.Must(t, env.Get(*before.PhotoURL, ""), 404)
	testserver.Must(t, env.Delete("/api/v1/me/photo", u.Token), 200).JSON(t, &after)
	if after.PhotoURL != nil {
		t.Fatalf("photo_url after removal: %v", *after.PhotoURL)
	}
}

// A phone held sideways stores the picture on its side with EXIF
// Orientation 6 ("turn clockwise"): the stored photo is upright.
func TestPhotoFollowsExifOrientation(t *testing.T) {
	env := testserver.New(t)
	u := env.NewUser("participant")
	// Left half red, right half blue, as stored by the camera.
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			c := color.RGBA{R: 220, A: 255}
			if x >= 32 {
				c = color.RGBA{B: 220, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	// An EXIF block whose first IFD holds one entry: Orientation (SHORT) = 6.
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	sideways := append(append(append([]byte{0xFF, 0xD8}, seg...), payload...), b.Bytes()[2:]...)

	testserver.Must(t, putPhoto(env, u.Token, "image/jpeg", sideways), 200)
	out, err := jpeg.Decode(bytes.NewReader(storedPhoto(t, env, u.ID)))
	if err != nil {
		t.Fatal(err)
	}
	red := func(x, y int) bool { r, _, bl, _ := out.At(x, y).RGBA(); return r > bl*2 }
	blue := func(x, y int) bool { r, _, bl, _ := out.At(x, y).RGBA(); return bl > r*2 }
	// Turned clockwise, the left (red) half is on top.
	if !red(128, 30) || !blue(128, 226) {
		t.Fatalf("not turned upright: top red %v, bottom blue %v", red(128, 30), blue(128, 226))
	}
}

func TestPhotoRefusals(t *testing.T) {
	env := testserver.New(t)
	u := env.NewUser("participant")
	// A PNG header claiming 100,000 × 100,000 pixels: refused from the header.
	bomb := pngClaiming(t, 100000, 100000)
	wide := pngClaiming(t, 20000, 8)
	truncated := jpegWithExif(t, 64, 64)[:400]

	for _, tc := range []struct {
		name, contentType string
		body              []byte
		status            int
		code              string
	}{
		{"garbage", "image/jpeg", []byte("this is not an image at all, just some text"), 422, "invalid_image"},
		{"truncated jpeg", "image/jpeg", truncated, 422, "invalid_image"},
		{"gif type", "image/gif", []byte("GIF89a"), 415, "unsupported_media_type"},
		{"json type", "application/json", pngBytes(t, testImage(8, 8)), 415, "unsupported_media_type"},
		{"decompression bomb", "image/png", bomb, 422, "image_too_large"},
		{"too wide", "image/png", wide, 422, "image_too_large"},
		{"over 5 MiB", "image/png", make([]byte, speakers.MaxPhotoBytes+1), 413, "payload_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := putPhoto(env.For(t), u.Token, tc.contentType, tc.body)
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, tc.status, r.Body)
			}
			if p := r.Problem(t); p.Code != tc.code || p.Detail == "" {
				t.Fatalf("problem %+v, want code %s", p, tc.code)
			}
		})
	}
	testserver.Must(t, putPhoto(env, "", "image/png", pngBytes(t, testImage(8, 8))), 401)
	var n int
	if err := env.DB.Get(&n, `SELECT count(*) FROM user_photos`); err != nil || n != 0 {
		t.Fatalf("%d photos stored after refusals (%v)", n, err)
	}
}

// A 20 MB upload over a real connection is read and answered with a 413
// problem, not a dropped connection.
func TestPhotoOf20MBIsAProblem(t *testing.T) {
	env := testserver.New(t)
	u := env.NewUser("participant")
	base := env.Listen()
	body := make([]byte, 20<<20)
	copy(body, pngBytes(t, testImage(8, 8)))
	req, err := http.NewRequest("PUT", base+"/api/v1/me/photo", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Authorization", "Bearer "+u.Token)
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("20 MB upload: %v (want a 413 answer)", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") ||
		!strings.Contains(string(data), `"payload_too_large"`) || !strings.Contains(string(data), "5 MiB") {
		t.Fatalf("20 MB upload: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
}

func TestProfileLimits(t *testing.T) {
	env := testserver.New(t)
	u := env.NewUser("participant")
	long := func(n int) string { return strings.Repeat("é", n) }
	links := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("https://example.org/%d", i)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"bio too long", map[string]any{"bio": long(2001)}, "bio"},
		{"bio with control", map[string]any{"bio": "hello\x07there"}, "bio"},
		{"bio with bidi override", map[string]any{"bio": "abc\u202Edef"}, "bio"},
		{"affiliation too long", map[string]any{"affiliation": long(201)}, "affiliation"},
		{"affiliation on two lines", map[string]any{"affiliation": "Uni\nLab"}, "affiliation"},
		{"six links", map[string]any{"links": links(6)}, "links"},
		{"javascript link", map[string]any{"links": []string{"javascript:alert(1)"}}, "links[0]"},
		{"data link", map[string]any{"links": []string{"https://ok.example", "data:text/html,hi"}}, "links[1]"},
		{"relative link", map[string]any{"links": []string{"/admin"}}, "links[0]"},
		{"link with credentials", map[string]any{"links": []string{"https://user:pw@example.org/"}}, "links[0]"},
		{"link with space", map[string]any{"links": []string{"https://example.org/a b"}}, "links[0]"},
		{"link too long", map[string]any{"links": []string{"https://example.org/" + strings.Repeat("a", 500)}}, "links[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testserver.Must(t, env.For(t).Patch("/api/v1/me", u.Token, tc.body), 422)
			p := r.Problem(t)
			found := false
			for _, f := range p.Errors {
				found = found || f.Field == tc.field
			}
			if !found {
				t.Fatalf("problem %+v does not name %s", p, tc.field)
			}
		})
	}
	// At the limits, accepted and stored as typed (trimmed, CRLF as LF);
	// empty links are dropped.
	bio := long(1998) + "\r\nx"
	var me accounts.User
	testserver.Must(t, env.Patch("/api/v1/me", u.Token, map[string]any{
		"bio": "  " + bio + "  ", "affiliation": long(200), "links": append(links(5), " ", ""),
	}), 200).JSON(t, &me)
	if me.Bio != long(1998)+"\nx" || me.Affiliation != long(200) || len(me.Links) != 5 || me.Links[4] != "https://example.org/4" {
		t.Fatalf("stored profile: bio %d chars, affiliation %q, links %v", len([]rune(me.Bio)), me.Affiliation, me.Links)
	}
	// Nothing changed by a refused request, and absent fields stay.
	testserver.Must(t, env.Patch("/api/v1/me", u.Token, map[string]any{"bio": "short", "links": []string{"ftp://x"}}), 422)
	testserver.Must(t, env.Patch("/api/v1/me", u.Token, map[string]any{"display_name": "Ada"}), 200).JSON(t, &me)
	if me.Bio != long(1998)+"\nx" || len(me.Links) != 5 {
		t.Fatalf("profile changed by a refused or unrelated change: %q %v", me.Bio, me.Links)
	}
}

func TestPublicProfile(t *testing.T) {
	env := testserver.New(t)
	admin := env.NewUser("admin")
	speaker := env.NewUser("participant")
	draftOnly := env.NewUser("participant")
	nobody := env.NewUser("participant")

	public := testserver.NewTalk(t, env, admin.Token, map[string]any{"title": "Public talk", "status": "scheduled",
		"speakers": []map[string]any{{"id": speaker.ID}}})
	draft := testserver.NewTalk(t, env, admin.Token, map[string]any{"title": "Secret draft", "status": "draft",
		"speakers": []map[string]any{{"id": speaker.ID}, {"id": draftOnly.ID}}})
	testserver.Must(t, env.Patch("/api/v1/me", speaker.Token, map[string]any{
		"bio": "Line one\nLine two", "affiliation": "Hub University", "links": []string{"https://example.org/ada"},
	}), 200)
	testserver.Must(t, putPhoto(env, speaker.Token, "image/png", pngBytes(t, testImage(40, 40))), 200)

	var p speakers.Profile
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/users/%d", speaker.ID), ""), 200).JSON(t, &p)
	if p.Bio != "Line one\nLine two" || p.Affiliation != "Hub University" || len(p.Links) != 1 || p.PhotoURL == nil {
		t.Fatalf("profile %+v", p)
	}
	if len(p.Talks) != 1 || p.Talks[0].ID != public.ID {
		t.Fatalf("profile talks %+v, want only talk %d (not draft %d)", p.Talks, public.ID, draft.ID)
	}
	// The talk shows its speaker's photo and affiliation.
	sp := p.Talks[0].Speakers
	if len(sp) != 1 || sp[0].PhotoURL == nil || *sp[0].PhotoURL != *p.PhotoURL || sp[0].Affiliation != "Hub University" {
		t.Fatalf("talk speakers %+v", sp)
	}
	// No email in the public profile.
	if bytes.Contains(testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/users/%d", speaker.ID), ""), 200).Body, []byte(speaker.Email)) {
		t.Fatal("the public profile shows the email")
	}

	for name, id := range map[string]int64{"draft only": draftOnly.ID, "speaks nowhere": nobody.ID, "unknown": 1 << 40} {
		if r := env.Get(fmt.Sprintf("/api/v1/users/%d", id), admin.Token); r.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", name, r.StatusCode)
		}
	}

	// "Talks I speak at": the speaker sees their draft too, others do not.
	var mine struct{ Items []struct{ ID int64 } }
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks?speaker=%d", speaker.ID), speaker.Token), 200).JSON(t, &mine)
	if len(mine.Items) != 2 {
		t.Fatalf("the speaker's own list: %+v", mine.Items)
	}
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks?speaker=%d", speaker.ID), nobody.Token), 200).JSON(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != public.ID {
		t.Fatalf("someone else's list: %+v", mine.Items)
	}
	if p := testserver.Must(t, env.Get("/api/v1/talks?speaker=me", ""), 422).Problem(t); len(p.Errors) == 0 || p.Errors[0].Field != "speaker" {
		t.Fatalf("speaker=me: %+v", p)
	}

	// Erased: the profile is gone, and so are the photo, bio, affiliation and links.
	photo := *p.PhotoURL
	testserver.Must(t, env.Delete("/api/v1/me", speaker.Token), 204)
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/users/%d", speaker.ID), ""), 404)
	testserver.Must(t, env.Get(photo, ""), 404)
	var left struct {
		Bio, Affiliation string
		Links            int
		Photos           int
	}
	if err := env.DB.Get(&left, `SELECT bio, affiliation, cardinality(links) AS links,
		(SELECT count(*) FROM user_photos WHERE user_id = $1) AS photos FROM users WHERE id = $1`, speaker.ID); err != nil {
		t.Fatal(err)
	}
	if left.Bio != "" || left.Affiliation != "" || left.Links != 0 || left.Photos != 0 {
		t.Fatalf("left after erasure: %+v", left)
	}
	var tk struct {
		Speakers []struct {
			DisplayName string  `json:"display_name"`
			PhotoURL    *string `json:"photo_url"`
			Affiliation string
		}
	}
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d", public.ID), ""), 200).JSON(t, &tk)
	if len(tk.Speakers) != 1 || tk.Speakers[0].DisplayName != accounts.ErasedName || tk.Speakers[0].PhotoURL != nil || tk.Speakers[0].Affiliation != "" {
		t.Fatalf("the talk's erased speaker: %+v", tk.Speakers)
	}
}
