package server

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openapiJSON describes every route of /api/v1; a test keeps it and the
// registered routes equal.
//
//go:embed openapi.json
var openapiJSON []byte

func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openapiJSON)
}
