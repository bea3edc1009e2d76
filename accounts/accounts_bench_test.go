package accounts

import (
	"context"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
)

// BenchmarkHashPassword is the cost of one Argon2id hash at the OWASP
// parameters: what every sign-in attempt costs the server.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("a-long-enough-password"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAPIKeyByToken is the cost of authenticating one API request.
func BenchmarkAPIKeyByToken(b *testing.B) {
	s, err := registry.Open(b.TempDir() + "/r.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	a := New(s)
	ctx := context.Background()
	op := registry.Actor{Name: "bench", Source: "cli"}
	if _, err := s.AddBody(ctx, op, registry.Body{Approval: "CNCA-R-2002-001", NameZH: "甲"}); err != nil {
		b.Fatal(err)
	}
	key, _, err := a.CreateAPIKey(ctx, op, "CNCA-R-2002-001", "bench", time.Now().Add(24*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := a.APIKey(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionUser is the cost of checking a console session.
func BenchmarkSessionUser(b *testing.B) {
	s, err := registry.Open(b.TempDir() + "/r.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	a := New(s)
	ctx := context.Background()
	if _, err := a.AddUser(ctx, registry.Actor{Name: "bench", Source: "cli"}, registry.NewUser{Name: "root", Role: registry.RoleOperator}, "a-long-enough-password"); err != nil {
		b.Fatal(err)
	}
	token, _, err := a.Login(ctx, "root", "a-long-enough-password", "", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := a.SessionUser(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}
