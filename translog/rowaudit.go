package translog

import (
	"strings"

	"github.com/certreg/certreg/registry"
)

// checkRows is the row audit of `log verify`: the events are the log's (the
// walk over them checks that), and each certificate row, as the pages and
// the API serve it, must be the record its latest event keeps. A row that
// differs is an edited row, named with its fields; a row without any event
// was inserted behind the store's back. Both are read in the same snapshot
// as the log.
func (v *logAuditor) checkRows() error {
	n, err := v.snap.EachRowMismatch(func(m registry.RowMismatch) error {
		v.numbers[m.CertificateID] = m.Number
		if m.EventID == 0 {
			v.problem("inserted-row", -1, 0, m.CertificateID, "log.inserted_row", m.Number)
			return nil
		}
		v.problem("edited-row", -1, m.EventID, m.CertificateID, "log.edited_row", m.Number, strings.Join(m.Fields, ", "), m.EventID)
		v.audit.Problems[len(v.audit.Problems)-1].Fields = m.Fields
		return nil
	})
	v.audit.Rows = n
	return err
}
