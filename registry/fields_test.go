package registry_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// The field table reaches every field of the three shapes of a
// certificate: a field added to a struct but not to the table (or the
// other way round) fails here, naming it.
func TestFieldTableCoversEveryShape(t *testing.T) {
	// Every string of an Input is one field's, and only one's.
	var in registry.Input
	for _, f := range registry.Fields {
		if f.Value(&in) != "" {
			t.Errorf("field %s shares its Input field with another", f.Name)
		}
		f.Set(&in, "value of "+f.Name)
	}
	iv := reflect.ValueOf(in)
	for i := range iv.NumField() {
		sf := iv.Type().Field(i)
		if sf.Type.Kind() != reflect.String {
			continue
		}
		if v := iv.Field(i).String(); !strings.HasPrefix(v, "value of ") {
			t.Errorf("Input.%s is in no field of registry.Fields", sf.Name)
		}
	}

	// Every key of a Record's JSON is a field's, but for what the registry
	// derives (the standard, the credit code warning).
	s := registrytest.Open(t)
	registrytest.Put(t, s, registrytest.SampleInput("AS-FIELDS-1"))
	c, err := s.Certificate(context.Background(), "AS-FIELDS-1")
	if err != nil {
		t.Fatal(err)
	}
	rec := c.Record(s.Schemes())
	rec.CreditCodeWarning = true
	cpsq := 88.5
	rec.CPSQ, rec.StatusDate, rec.Stage1Date, rec.Stage2Date = &cpsq, "2024-03-05", "2024-01-01", "2024-02-01"
	rec.Surveillance = []registry.Surveillance{{Date: c.IssueDate, Result: "pass"}}
	b, _ := json.Marshal(rec)
	var keys map[string]any
	json.Unmarshal(b, &keys)
	for k := range keys {
		if _, ok := registry.FieldNamed(k); !ok && k != "standard" && k != "credit_code_warning" {
			t.Errorf("the record's key %q is in no field of registry.Fields", k)
		}
	}
	for _, f := range registry.Fields {
		if _, ok := keys[f.Name]; !ok && !f.InputOnly && f.Name != "status_reason" {
			t.Errorf("field %s is not in the record's JSON", f.Name)
		}
	}

	// Every column of the certificates table is one a read selects.
	rows, err := s.DB().QueryContext(context.Background(), `SELECT name FROM pragma_table_info('certificates')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		cols = append(cols, n)
	}
	for _, col := range cols {
		if col != "id" && col != "number_key" && !registry.ReadsColumn(col) {
			t.Errorf("column certificates.%s is read by no certificate read", col)
		}
	}
	for _, f := range registry.Fields {
		if f.Generic() && !slices.Contains(cols, f.Name) {
			t.Errorf("field %s has no column certificates.%s: a migration must add it", f.Name, f.Name)
		}
	}
}

// The table's message keys are spelt after the field, so that the
// catalogue test (site/i18n) finds each one literally.
func TestFieldTableKeys(t *testing.T) {
	for _, f := range registry.Fields {
		if f.Column != "column."+f.Name || f.Desc != "column."+f.Name+".desc" || f.Label != "field."+f.Name {
			t.Errorf("field %s: keys %q, %q, %q", f.Name, f.Column, f.Desc, f.Label)
		}
		if f.ZH == "" || f.Kind == registry.KindText && f.Max == 0 && f.Generic() {
			t.Errorf("field %s needs a Chinese header, and free text a maximum length", f.Name)
		}
	}
}
