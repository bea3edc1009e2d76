package site

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes the publishing API. A test checks it against
// the route table, both ways.
//
//go:embed openapi.json
var openAPIDocument []byte

// serveOpenAPI serves the OpenAPI 3 document of the API.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(openAPIDocument)
	return nil
}
