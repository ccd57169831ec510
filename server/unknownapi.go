package server

import (
	"errors"
	"slices"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// apiPatterns are the route patterns of the API (not the web app's
// catch-all), read once from the router after the routes are mounted.
type apiPatterns struct {
	once     sync.Once
	patterns []string
}

// unknownAPIPath turns the router's 405 for an API address that no API
// route has into a 404. Fiber answers 405 when any other method's route
// matches the path, and the web app's GET catch-all matches every path, so
// without this POST /api/v1/<unknown> would say "wrong method".
func (s *Server) unknownAPIPath(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if !errors.As(err, &fe) || fe.Code != fiber.StatusMethodNotAllowed || !isAPI(c.Path()) {
		return err
	}
	s.apiRoutes.once.Do(func() {
		for _, r := range s.app.GetRoutes(true) {
			if isAPI(r.Path) && !slices.Contains(s.apiRoutes.patterns, r.Path) {
				s.apiRoutes.patterns = append(s.apiRoutes.patterns, r.Path)
			}
		}
	})
	for _, p := range s.apiRoutes.patterns {
		if fiber.RoutePatternMatch(c.Path(), p, s.app.Config()) {
			return err
		}
	}
	c.Response().Header.Del(fiber.HeaderAllow)
	return fiber.ErrNotFound
}
