package server

import "github.com/gofiber/fiber/v2"

// Engineers: read /work/main/HACKING.md before editing (shared-file rules).
// mountDomains mounts every domain's routes on /api/v1 (accounts are mounted
// before, as their middleware authenticates every request).
func (s *Server) mountDomains(api fiber.Router) {
}
