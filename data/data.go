// Package data holds the files certreg ships: scheme definitions, import
// templates and the sample data used by the demo registry.
package data

import "embed"

// FS holds the scheme definitions and the import templates.
//
//go:embed schemes.json
var FS embed.FS
