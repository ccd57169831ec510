package httpx

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// SendCacheable answers body (with the Content-Type already set) with a
// strong ETag, a hash of the body, and Last-Modified, modified, so that a
// subscribed client (a calendar polling hourly) gets 304 Not Modified until
// the content changes: If-None-Match decides when the request has it, else
// If-Modified-Since (RFC 9110 §13.2.2). modified must move whenever the body
// does (it may move more often).
func SendCacheable(c *fiber.Ctx, body []byte, modified time.Time) error {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	c.Set(fiber.HeaderETag, etag) // set: the etag middleware leaves the answer alone
	if !modified.IsZero() {
		c.Set(fiber.HeaderLastModified, modified.UTC().Format(http.TimeFormat))
	}
	if notModified(c, etag, modified) {
		c.Response().ResetBody()
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(body)
}

func notModified(c *fiber.Ctx, etag string, modified time.Time) bool {
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/") // weak comparison (§13.1.2)
			if tag == etag || tag == "*" {
				return true
			}
		}
		return false
	}
	ims, err := http.ParseTime(c.Get(fiber.HeaderIfModifiedSince))
	return err == nil && !modified.IsZero() && !modified.Truncate(time.Second).After(ims)
}
