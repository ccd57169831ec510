package speakers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
)

// PhotoPath is the upload's route; the server reads a larger body for it
// (up to MaxPhotoRead) so that an oversized photo is answered with a
// problem rather than a dropped connection.
const PhotoPath = "/api/v1/me/photo"

// MaxPhotoRead is how much of a photo upload the server reads before it
// gives up on the connection: well over MaxPhotoBytes, so that a too
// large photo gets a 413 problem the page can show.
const MaxPhotoRead = 32 << 20

// IsPhotoUpload reports the request line of a photo upload.
func IsPhotoUpload(method, uri string) bool {
	path, _, _ := strings.Cut(uri, "?")
	return method == fiber.MethodPut && path == PhotoPath
}

// Handlers serve the speakers' routes.
type Handlers struct{ svc *Service }

// NewHandlers serves svc over HTTP.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Routes mounts the profile and photo routes on the /api/v1 group.
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/users/:id", httpx.WithID(h.svc.Profile))
	api.Get("/users/:id/photo/:hash.jpg", h.photo)
	api.Put("/me/photo", httpx.RequireUser, h.setPhoto)
	api.Delete("/me/photo", httpx.RequireUser, h.removePhoto)
}

func (h *Handlers) setPhoto(c *fiber.Ctx) error {
	up := Upload{ContentType: c.Get(fiber.HeaderContentType), Data: c.Body()}
	u, err := h.svc.SetPhoto(httpx.Ctx(c), httpx.CurrentUser(c), up)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (h *Handlers) removePhoto(c *fiber.Ctx) error {
	u, err := h.svc.RemovePhoto(httpx.Ctx(c), httpx.CurrentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(u)
}

// photo answers a stored photo, cacheable for a year: its URL changes
// with its content.
func (h *Handlers) photo(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	p, err := h.svc.Photo(httpx.Ctx(c), id, c.Params("hash"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/jpeg")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(p.JPEG)
}
