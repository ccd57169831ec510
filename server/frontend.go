package server

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/hubtalks/hubtalks/frontend"
)

// mountFrontend serves the embedded web app: hashed assets cached for a
// year, index.html never cached, and every other path falling back to
// index.html so the app's own routes work on reload.
func (s *Server) mountFrontend() {
	dist, ok := frontend.Dist()
	if !ok {
		s.app.Get("/*", func(c *fiber.Ctx) error {
			if isAPI(c.Path()) {
				return fiber.ErrNotFound
			}
			c.Set(fiber.HeaderCacheControl, "no-cache")
			c.Type("html")
			return c.SendString(notBuiltPage)
		})
		return
	}
	if assets, err := fs.Sub(dist, "assets"); err == nil {
		// Asset names carry a content hash: cache them for a year.
		s.app.Use("/assets", filesystem.New(filesystem.Config{Root: http.FS(assets), MaxAge: 31536000}),
			func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	}
	index, _ := fs.ReadFile(dist, "index.html")
	files := filesystem.New(filesystem.Config{Root: http.FS(dist)})
	// GET only (HEAD follows GET in Fiber): other methods on app paths get a 405.
	s.app.Get("/*", func(c *fiber.Ctx) error {
		p := c.Path()
		if isAPI(p) {
			return fiber.ErrNotFound
		}
		if p != "/" && p != "/index.html" && strings.Contains(p[strings.LastIndex(p, "/"):], ".") {
			c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
			return files(c)
		}
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Type("html")
		return c.Send(s.withTalkMeta(c, index))
	})
}

const notBuiltPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hub Talks</title></head>
<body><h1>Hub Talks</h1><p>The web app is not built into this binary. Run <code>make run</code>, or
<code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code> and rebuild. The API is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></body></html>`

// isAPI reports paths that belong to the API: unknown ones there are a
// problem+json 404, never the web app.
func isAPI(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }
