package site

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
)

// downloadTemplate sends the XLSX import template.
func (s *Server) downloadTemplate(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	var buf bytes.Buffer
	if err := fileformat.WriteTemplateXLSX(&buf); err != nil {
		return err
	}
	return sendFile(w, "certreg-template.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

// downloadCertificates sends the body's certificates as XLSX, in the
// import format, so that a body can edit them and upload them back.
func (s *Server) downloadCertificates(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "证书 Certificates"
	f.SetSheetName("Sheet1", sheet)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	row := 1
	put := func(vals []string) error {
		cells := make([]any, len(vals))
		for i, v := range vals {
			cells[i] = v // text: Excel keeps credit codes and dates as written
		}
		name, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(name, cells)
	}
	if err := put(fileformat.CSVHeader()); err != nil {
		return err
	}
	schemes := s.store.Schemes()
	err = s.store.EachCertificate(r.Context(), u.BodyID, func(c *registry.Certificate) error {
		rec := c.Record(schemes)
		return put(fileformat.CSVRow(&rec))
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	name := fmt.Sprintf("certificates-%s-%s.xlsx", u.BodyApproval, registry.Today(s.now()).Format("20060102"))
	return sendFile(w, name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

// qrPNG redirects to the print-size PNG of the certificate's signed QR
// code (the verification routes draw it): what a body prints on the
// certificate, and what a tender reviewer scans.
func (s *Server) qrPNG(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	return s.redirectQR(w, r, u, "png-1024")
}

// qrSVG redirects to the same QR code as SVG, for print shops.
func (s *Server) qrSVG(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	return s.redirectQR(w, r, u, "svg")
}

func (s *Server) redirectQR(w http.ResponseWriter, r *http.Request, u *registry.User, format string) error {
	c, err := s.ownCertificate(r, u)
	if err != nil {
		return err
	}
	qs, err := s.verify.keys.SignClaims(registry.ClaimsOf(c))
	if err != nil {
		return err
	}
	http.Redirect(w, r, qrPath(format, qs), http.StatusSeeOther)
	return nil
}

// sendFile sends b as a download named name.
func sendFile(w http.ResponseWriter, name, ctype string, b []byte) error {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
	w.Write(b)
	return nil
}
