package registry_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
)

// A body's status feed lists its newest events of the kinds asked for:
// the same as picking them out of all its events, newest first.
func TestRecentEventsOfKinds(t *testing.T) {
	s, err := registry.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := demo.Load(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	bodies, err := s.Bodies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{registry.EventSuspended, registry.EventRevoked, registry.EventWithdrawn, registry.EventReinstated}
	for _, b := range append([]*registry.Body{{ID: 0, Approval: "all"}}, bodies...) {
		all, err := s.RecentEvents(context.Background(), b.ID, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		for _, e := range all {
			if slices.Contains(kinds, e.Kind) && len(want) < 20 {
				want = append(want, e.ID)
			}
		}
		got, err := s.RecentEvents(context.Background(), b.ID, 20, kinds...)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("body %s: %v, want %v", b.Approval, ids, want)
		}
		if b.ID == 0 && len(want) < 20 {
			t.Fatalf("the demo has %d status events: too few to test", len(want))
		}
	}
}
