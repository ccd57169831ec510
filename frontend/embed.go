// Package frontend embeds the built web app.
package frontend

import (
	"embed"
	"io/fs"
)

// dist holds the output of `npm run build`. dist/.gitkeep is committed so
// this compiles on a fresh clone before the app is built.
//
//go:embed all:dist
var dist embed.FS

// Dist returns the built app, or ok=false when it was not built (a fresh
// clone before `npm run build`).
func Dist() (fsys fs.FS, ok bool) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, false
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil, false
	}
	return sub, true
}
