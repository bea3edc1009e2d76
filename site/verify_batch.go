package site

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/certreg/certreg/fileformat"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// showBatch is the batch check form.
func (s *Server) showBatch(w http.ResponseWriter, r *http.Request) error {
	return s.renderBatch(w, r, http.StatusOK, views.BatchView{})
}

func (s *Server) renderBatch(w http.ResponseWriter, r *http.Request, status int, v views.BatchView) error {
	lang := langOf(r)
	v.Max = registry.MaxBatch
	b := s.base(r, lang.T("verify.batch.title"))
	b.Nav = "verify"
	if status != http.StatusOK || len(v.Results) > 0 {
		b.NoIndex = true
		w.Header().Set("Cache-Control", "no-store")
	}
	return s.render(w, r, status, views.BatchPage(b, v))
}

// checkBatch checks up to 1,000 certificates pasted or uploaded, with one
// query, and answers a table, a CSV or an XLSX file. The whole batch counts
// once against the client's batch limit.
func (s *Server) checkBatch(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	j, err := s.heavy.admit(w, r, uploadSize(r, batchFormLimit))
	if err != nil {
		return err
	}
	defer j.done()
	form, err := readBatchForm(w, r)
	if err != nil {
		return err
	}
	var lines []registry.BatchLine
	if len(form.file) > 0 {
		// Reading a workbook takes a turn and the memory its limits allow
		// (fileformat.BatchLimits); a text file a few times its size.
		cost := int64(4 * len(form.file))
		if bytes.HasPrefix(form.file, []byte("PK")) {
			cost = batchXLSXMemory
		}
		err = j.run(r.Context(), w, s.heavy.sheets, cost, func() (err error) {
			lines, err = fileformat.ReadBatch(form.fileName, form.file)
			return err
		})
	} else {
		lines, err = registry.ParseBatch(form.lines)
	}
	if code := registry.ErrorCode(err); code == registry.EINVALID || code == registry.ETOOLARGE {
		a := answer(err)
		return s.renderBatch(w, r, a.status, views.BatchView{Lines: clip(form.lines, 64<<10), Error: lang.Render(a.message)})
	}
	if err != nil {
		return err
	}
	res, err := s.verifyBatch(r.Context(), lines)
	if err != nil {
		return err
	}
	var ids []int64
	for _, x := range res {
		if x.Certificate != nil {
			ids = append(ids, x.Certificate.ID)
		}
	}
	if err := s.store.CountVerifications(r.Context(), ids, clientAddr(r)); err != nil {
		return err
	}
	for _, x := range res {
		s.metrics.verdict(x.Verdict, viaBatch)
	}
	switch form.format {
	case "csv":
		return s.writeBatchCSV(w, res)
	case "xlsx":
		return s.writeBatchXLSX(w, res)
	}
	v := views.BatchView{Lines: batchText(lines)}
	counts := map[registry.Verdict]int{}
	for _, x := range res {
		counts[x.Verdict]++
		v.Results = append(v.Results, s.batchRow(lang, &x))
	}
	for _, vd := range []registry.Verdict{registry.VerdictValid, registry.VerdictSuspended, registry.VerdictRevoked, registry.VerdictWithdrawn,
		registry.VerdictExpired, registry.VerdictNotRegistered, registry.VerdictMismatch, registry.VerdictIntegrity} {
		if n := counts[vd]; n > 0 {
			v.Summary = append(v.Summary, views.Link{Text: fmt.Sprintf("%s %d", lang.Render(vd), n)})
		}
	}
	return s.renderBatch(w, r, http.StatusOK, v)
}

// batchRow words one result for the table.
func (s *Server) batchRow(lang i18n.Lang, x *registry.BatchResult) views.BatchRow {
	row := views.BatchRow{Line: x.Line, Input: x.Input, Verdict: x.Verdict}
	if x.Note != nil {
		row.Note = lang.Render(x.Note)
	}
	if c := x.Certificate; c != nil {
		row.URL = views.CertificatePath(c.Number)
		row.Holder = c.HolderName
		row.Level = s.claimValue(lang, x.Live, "level")
		row.Expiry = lang.Date(c.ExpiryDate)
	}
	return row
}

// batchText writes the lines back as the form shows them, so that the
// download buttons send the same list again.
func batchText(lines []registry.BatchLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Number)
		if l.CreditCode != "" {
			b.WriteString("," + l.CreditCode)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// batchForm is the batch form's fields.
type batchForm struct {
	lines    string
	file     []byte
	fileName string
	format   string
}

// batchFormLimit bounds the batch form: a little more than the largest
// file allowed. batchXLSXMemory is what reading a workbook within
// fileformat.BatchLimits takes at most: its parts held in memory and
// excelize's structures made of them.
const (
	batchFormLimit  = fileformat.MaxBatchBytes + 256<<10
	batchXLSXMemory = 48 << 20
)

// readBatchForm reads the form, multipart (with a file) or URL-encoded,
// bounded to a little more than the largest file allowed.
func readBatchForm(w http.ResponseWriter, r *http.Request) (batchForm, error) {
	var f batchForm
	limit := int64(batchFormLimit)
	tooLarge := registry.Errorf(registry.ETOOLARGE, "file", "verify.upload_too_large", fileformat.MaxBatchBytes>>20)
	if r.ContentLength > limit {
		return f, tooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return f, tooLarge
			}
			return f, registry.Errorf(registry.EINVALID, "", "verify.form_could_not_read")
		}
		return batchForm{lines: r.PostForm.Get("lines"), format: r.PostForm.Get("format")}, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return f, registry.Errorf(registry.EINVALID, "", "verify.form_could_not_read")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return f, tooLarge
			}
			return f, registry.Errorf(registry.EINVALID, "", "verify.upload_incomplete")
		}
		b, err := readPart(part, fileformat.MaxBatchBytes)
		if err != nil {
			return f, tooLarge
		}
		switch part.FormName() {
		case "lines":
			f.lines = string(b)
		case "file":
			f.file, f.fileName = b, part.FileName()
		case "format":
			f.format = string(b)
		}
	}
}

// batchColumns are the columns of the CSV and XLSX downloads.
var batchColumns = []string{"line", "number", "verdict", "verdict_zh", "verdict_en", "status", "holder_name", "holder_credit_code",
	"scheme", "level", "issue_date", "expiry_date", "body_approval", "checked_at", "note_zh", "note_en"}

func batchRecord(x *registry.BatchResult) []string {
	rec := []string{fmt.Sprint(x.Line), x.Input, string(x.Verdict), i18n.ZH.Render(x.Verdict), i18n.EN.Render(x.Verdict), string(x.Status)}
	if l := x.Live; l != nil {
		rec = append(rec, l.HolderName, l.CreditCode, l.Scheme, l.Level, l.IssueDate, l.ExpiryDate, l.BodyApproval)
	} else {
		rec = append(rec, "", "", "", "", "", "", "")
	}
	rec = append(rec, x.CheckedAt.Format(time.RFC3339), "", "")
	if x.Note != nil {
		rec[len(rec)-2], rec[len(rec)-1] = i18n.ZH.Render(x.Note), i18n.EN.Render(x.Note)
	}
	return rec
}

func (s *Server) writeBatchCSV(w http.ResponseWriter, res []registry.BatchResult) error {
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // Excel reads UTF-8 only with the BOM
	cw := csv.NewWriter(&buf)
	cw.Write(batchColumns)
	for i := range res {
		rec := batchRecord(&res[i])
		for j := range rec {
			rec[j] = fileformat.SpreadsheetCell(rec[j])
		}
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="certreg-verify-`+s.now().UTC().Format("20060102-150405")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
	return nil
}

func (s *Server) writeBatchXLSX(w http.ResponseWriter, res []registry.BatchResult) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	row := make([]any, len(batchColumns))
	for i, c := range batchColumns {
		row[i] = c
	}
	if err := f.SetSheetRow(sheet, "A1", &row); err != nil {
		return err
	}
	for i := range res {
		rec := batchRecord(&res[i])
		row := make([]any, len(rec))
		for j, v := range rec {
			row[j] = v
		}
		addr, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, addr, &row); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="certreg-verify-`+s.now().UTC().Format("20060102-150405")+`.xlsx"`)
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
	return nil
}
