package registry

import (
	"context"
	"testing"
	"time"
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
	s, err := Open(b.TempDir() + "/r.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	op := Actor{Name: "bench", Source: "cli"}
	if _, err := s.AddBody(ctx, op, Body{Approval: "CNCA-R-2002-001", NameZH: "甲"}); err != nil {
		b.Fatal(err)
	}
	key, _, err := s.CreateAPIKey(ctx, op, "CNCA-R-2002-001", "bench", time.Now().Add(24*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.APIKeyByToken(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionUser is the cost of checking a console session.
func BenchmarkSessionUser(b *testing.B) {
	s, err := Open(b.TempDir() + "/r.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.AddUser(ctx, Actor{Name: "bench", Source: "cli"}, NewUser{Name: "root", Role: RoleOperator, Password: "a-long-enough-password"}); err != nil {
		b.Fatal(err)
	}
	token, _, err := s.Login(ctx, "root", "a-long-enough-password", "", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.SessionUser(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}
