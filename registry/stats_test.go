package registry_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
)

// A body's totals counted in one pass over its rows are the totals the
// registry-wide queries give when limited to the body.
func TestStatsByScanMatchesQueries(t *testing.T) {
	s, err := registry.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Now = func() time.Time { return time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC) }
	if _, err := demo.Load(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	bodies, err := s.Bodies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	expired := 0
	for _, b := range bodies {
		want, err := registry.StatsByQueries(s, context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Stats(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("body %s:\n scan    %+v\n queries %+v", b.Approval, got, want)
		}
		expired += got.ByStatus[registry.StatusExpired]
	}
	if len(bodies) < 2 || expired == 0 {
		t.Fatalf("%d bodies, %d expired: the demo should have several bodies and expired certificates", len(bodies), expired)
	}
}
