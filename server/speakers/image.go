package speakers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	_ "image/png" // PNG uploads
	"strings"

	xdraw "golang.org/x/image/draw"
)

// acceptedType reports a Content-Type a photo may be sent as.
func acceptedType(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "image/jpeg" || mt == "image/png"
}

// reencode turns an uploaded JPEG or PNG into the stored photo: the
// centred square, scaled to PhotoSize, transparency flattened on white,
// turned upright as a JPEG's EXIF orientation says,
// encoded as a fresh JPEG (which carries no EXIF, XMP, ICC or comment of
// the original). The header is read first: an image too large in pixels
// (a decompression bomb) is refused before anything is decoded.
func reencode(data []byte) ([]byte, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "jpeg" && format != "png") {
		return nil, ErrNotAnImage
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxPhotoSide || cfg.Height > MaxPhotoSide ||
		cfg.Width*cfg.Height > MaxPhotoPixels {
		return nil, ErrPhotoPixelSize
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, ErrNotAnImage
	}
	b := src.Bounds()
	side := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	crop := image.Rect(x0, y0, x0+side, y0+side)
	dst := image.NewRGBA(image.Rect(0, 0, PhotoSize, PhotoSize))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, crop, xdraw.Over, nil)
	if format == "jpeg" {
		dst = orient(dst, exifOrientation(data))
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: photoQuality}); err != nil {
		return nil, fmt.Errorf("encode photo: %w", err)
	}
	return out.Bytes(), nil
}

// Square is an uploaded JPEG or PNG as it is stored (reencode) and the
// hash that names it in its URL; the demo seed stores its photos with it.
func Square(data []byte) (jpeg []byte, hash string, err error) {
	if jpeg, err = reencode(data); err != nil {
		return nil, "", err
	}
	return jpeg, photoHash(jpeg), nil
}

// photoHash names a photo's content in its URL.
func photoHash(jpeg []byte) string {
	sum := sha256.Sum256(jpeg)
	return hex.EncodeToString(sum[:10])
}
