package site

import (
	"net/http"

	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// showData is the open data page: the downloads and their columns.
func (s *Server) showData(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	v := views.DataView{CSVURL: views.DataCSVPath, NDJSONURL: views.DataNDJSONPath}
	for _, f := range registry.Fields {
		v.Columns = append(v.Columns, views.Column{Name: f.Name, Desc: lang.Tf("data.column", lang.Label(f.Column), lang.T(f.Desc))})
	}
	b := s.base(r, lang.T("data.title"))
	b.Nav = "data"
	return s.render(w, r, http.StatusOK, views.DataPage(b, v))
}

// downloadCSV streams every certificate as CSV, with the importer's
// columns, so that the file imports back unchanged.
func (s *Server) downloadCSV(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="certificates.csv"`)
	w.Header().Set("Cache-Control", "no-cache")
	_, err := fileformat.WriteCSV(r.Context(), s.store, w, 0)
	return s.streamErr(r, err)
}

// downloadNDJSON streams every certificate as one JSON record a line.
func (s *Server) downloadNDJSON(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="certificates.ndjson"`)
	w.Header().Set("Cache-Control", "no-cache")
	_, err := fileformat.WriteNDJSON(r.Context(), s.store, w, 0)
	return s.streamErr(r, err)
}

// streamErr logs an error that happened after a download began: the
// status is sent, so the error cannot become a status page; the client
// sees a cut-off file.
func (s *Server) streamErr(r *http.Request, err error) error {
	if err != nil && r.Context().Err() == nil {
		s.log.Error("download failed midway", "path", r.URL.Path, "err", err)
	}
	return nil
}
