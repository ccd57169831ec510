// Package speakers owns what the public sees of a speaker: the profile
// page (GET /users/{id}: bio, affiliation, links, photo and their talks)
// and the photo, uploaded by its owner (PUT and DELETE /me/photo),
// re-encoded here to a small square JPEG without metadata, stored in
// PostgreSQL and served under a URL that carries its hash.
//
// The profile's text fields are the account's (PATCH /me, package
// accounts); erasing the account clears them and removes the photo.
package speakers

import (
	"errors"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Limits of a photo.
const (
	MaxPhotoBytes  = 5 << 20    // the upload
	MaxPhotoSide   = 10000      // pixels, either side
	MaxPhotoPixels = 30_000_000 // width × height: what is decoded stays bounded
	PhotoSize      = 256        // the stored square, in pixels
	photoQuality   = 85
)

// Errors of the photo's rules.
var (
	ErrPhotoTooLarge  = errors.New("the photo is over 5 MiB; choose a smaller file")
	ErrPhotoType      = errors.New("a photo must be a JPEG or PNG image (Content-Type image/jpeg or image/png)")
	ErrNotAnImage     = errors.New("the file is not a JPEG or PNG image, or it is damaged")
	ErrPhotoPixelSize = errors.New("the image is too large in pixels: at most 10,000 pixels a side and 30 megapixels")
)

// Profile is a speaker's public profile with the talks they speak at
// (not drafts), by start time.
type Profile struct {
	ID          int64  `json:"id" db:"id"`
	DisplayName string `json:"display_name" db:"display_name"`
	accounts.Profile
	Talks []talks.Talk `json:"talks" db:"-"`
}

// Upload is a photo as the client sent it.
type Upload struct {
	ContentType string
	Data        []byte
}

// Photo is a stored photo: its JPEG bytes.
type Photo struct {
	JPEG []byte `db:"jpeg"`
}
