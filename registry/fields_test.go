package registry_test

import (
	"context"
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

	// Every key of a Record's JSON is a field's, and the other way round,
	// but for what the registry derives (the standard, the credit code
	// warning) and what an input only states (a status change's reason).
	keys := map[string]bool{}
	rt := reflect.TypeOf(registry.Record{})
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		keys[name] = true
		if _, ok := registry.FieldNamed(name); !ok && name != "standard" && name != "credit_code_warning" {
			t.Errorf("the record's key %q is in no field of registry.Fields", name)
		}
	}
	for _, f := range registry.Fields {
		if !keys[f.Name] && !f.InputOnly {
			t.Errorf("field %s is not in the record's JSON", f.Name)
		}
	}
	// A record survives the trip through an input and back: what the open
	// data writes imports as the same certificate.
	s := registrytest.Open(t)
	registrytest.Put(t, s, registrytest.SampleInput("AS-FIELDS-1"))
	c, err := s.Certificate(context.Background(), "AS-FIELDS-1")
	if err != nil {
		t.Fatal(err)
	}
	rec := c.Record(s.Schemes())
	input := rec.Input()
	back, _, errs := input.Validate(s.Schemes())
	if len(errs) > 0 {
		t.Fatalf("the record's input is invalid: %v", errs)
	}
	back.ID, back.BodyID, back.BodyNameEN, back.CreatedAt, back.UpdatedAt, back.Version = c.ID, c.BodyID, c.BodyNameEN, c.CreatedAt, c.UpdatedAt, c.Version
	if again := back.Record(s.Schemes()); !reflect.DeepEqual(again, rec) {
		t.Errorf("record → input → record:\n%+v\n%+v", rec, again)
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
