// Package data holds the files certreg ships: scheme definitions, import
// templates and the sample data used by the demo registry.
package data

import "embed"

// FS holds the scheme definitions, the table of provinces (provinces.csv:
// the 34 provincial-level divisions, short and full Chinese name and
// English name) and the import templates.
//
//go:embed schemes.json provinces.csv
var FS embed.FS
