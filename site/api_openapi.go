package site

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
)

// openAPIDocument describes the publishing API. A test checks it against
// the route table, both ways. Its CertificateInput schema is made from the
// field table when served (openAPI).
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI is the document served: openapi.json with the certificate's
// properties, their types and descriptions, made from registry.Fields.
var openAPI = sync.OnceValues(func() ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	if schemas == nil {
		return nil, fmt.Errorf("openapi.json: no components.schemas")
	}
	props := map[string]any{}
	var required []string
	for _, f := range registry.Fields {
		if !f.API {
			continue
		}
		p := map[string]any{"type": "string", "description": i18n.EN.T(f.Desc)}
		switch f.Kind {
		case registry.KindDate:
			p["format"] = "date"
		case registry.KindNumber:
			p["type"], p["minimum"], p["maximum"] = "number", 0, 100
		case registry.KindList:
			p["type"], p["items"] = "array", map[string]any{"$ref": "#/components/schemas/Surveillance"}
		case registry.KindText, registry.KindLongText:
			if f.Max > 0 {
				p["maxLength"] = f.Max
			}
		}
		if f.Name == "status" {
			p["enum"] = []registry.Status{registry.StatusValid, registry.StatusSuspended, registry.StatusRevoked, registry.StatusWithdrawn}
		}
		props[f.Name] = p
		// The number is also in the path, and the body is the key's.
		if f.Required && f.Name != "number" && f.Name != "body_approval" {
			required = append(required, f.Name)
		}
	}
	schemas["CertificateInput"] = map[string]any{"type": "object", "additionalProperties": false, "required": required, "properties": props}
	b, err := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n'), err
})

// serveOpenAPI serves the OpenAPI 3 document of the API.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	b, err := openAPI()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(b)
	return nil
}
