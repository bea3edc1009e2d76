package registry_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/translog"
)

// LogStatus is what the metrics report of the log: size, the latest
// checkpoint, and the events waiting, with the time the oldest was
// written.
func TestLogStatus(t *testing.T) {
	ctx := context.Background()
	s := registrytest.Open(t)
	t0 := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return t0 }
	st, err := s.LogStatus(ctx)
	if err != nil || *st != (registry.LogStatus{}) {
		t.Fatalf("empty registry: %+v %v", st, err)
	}
	registrytest.Put(t, s, registrytest.SampleInput("LS-0001"), registrytest.SampleInput("LS-0002"))
	s.Now = func() time.Time { return t0.Add(time.Minute) }
	registrytest.Put(t, s, registrytest.SampleInput("LS-0003"))
	st, err = s.LogStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != 0 || st.Pending != 3 || !st.OldestPending.Equal(t0) || !st.CheckpointAt.IsZero() {
		t.Fatalf("three events written, none logged: %+v", st)
	}

	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := translog.NoteSigner("certreg.test", priv)
	if err != nil {
		t.Fatal(err)
	}
	l, err := translog.New(s, "certreg.test/log", signer)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return t0.Add(2 * time.Minute) }
	if _, err := l.Sequence(ctx); err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return t0.Add(3 * time.Minute) }
	registrytest.Move(t, s, "LS-0002", registry.StatusSuspended)
	st, err = s.LogStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != 3 || st.CheckpointSize != 3 || !st.CheckpointAt.Equal(t0.Add(2*time.Minute)) || st.Pending != 1 || !st.OldestPending.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("three logged, one suspension waiting: %+v", st)
	}
}
