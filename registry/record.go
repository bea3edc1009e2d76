package registry

import (
	"time"
)

// Record returns the certificate's record. The status is the stored one;
// readers derive expiry from ExpiryDate.
func (c *Certificate) Record(schemes *Schemes) Record {
	r := Record{
		Number: c.Number, HolderCreditCode: c.HolderCreditCode, CreditCodeWarning: c.CreditCodeWarning,
		Scheme: c.SchemeCode, Level: c.LevelCode, BodyApproval: c.BodyApproval, BodyName: c.BodyNameZH,
		Status: c.Status, Surveillance: c.Surveillance,
	}
	if sc, ok := schemes.Get(c.SchemeCode); ok {
		r.Standard = sc.Standard
	}
	if c.HasScore {
		r.Score = ptr(c.Score)
	}
	for i := range Fields {
		f := &Fields[i]
		switch {
		case f.text != nil:
			*f.rec(&r) = *f.text(c)
		case f.date != nil:
			*f.rec(&r) = dateString(*f.date(c))
		case f.num != nil:
			if v, has := f.num(c); *has {
				*f.rnum(&r) = ptr(*v)
			}
		}
	}
	return r
}

// Input returns the record as an import input, so that exported data
// imports back to the same registry.
func (r *Record) Input() Input {
	var in Input
	for i := range Fields {
		f := &Fields[i]
		f.Set(&in, f.Show(r))
	}
	return in
}

func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(DateLayout)
}
