package site

import (
	"net/http"

	"github.com/certreg/certreg/views"
)

// showHome shows the home page: the search box, registry totals and the
// latest issued and suspended or revoked certificates.
func (s *Server) showHome(w http.ResponseWriter, r *http.Request) error {
	b := s.base(r, "")
	b.AsOf = s.now()
	return s.render(w, r, http.StatusOK, views.Home(b, views.HomeView{}))
}
