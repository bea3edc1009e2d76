// Package static holds the site's stylesheets, scripts and icons, embedded
// in the binary. The site serves them under content-hashed names, cached for
// a year.
package static

import "embed"

// FS holds every static file, at its base name ("app.css").
//
//go:embed *.css *.js *.svg
var FS embed.FS
