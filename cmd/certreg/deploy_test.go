package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// deployFiles returns the files docs/deploy.md gives in full: every fenced
// block whose first line is "# file: NAME", by name.
func deployFiles(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)```\\w+\n(# file: (\\S+).*?)```").FindAllStringSubmatch(string(doc), -1) {
		files[m[2]] = m[1]
	}
	return files
}

// needTool returns the path of a program the test runs; without it the
// test skips, except in CI (CI=true), where .ci/run installs it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (CI=true): add it to .ci/run", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// TestDeployDocs checks the deployment guide's files as an operator would
// use them: the Caddyfile with `caddy validate`, the systemd units with
// `systemd-analyze verify` (no warning at all: an unknown or misspelt
// hardening option is only a warning to systemd) and the service's
// hardening with `systemd-analyze security` (exposure at most 2.0 of 10 for
// the server, 1.0 for the backup). The README links the guide.
func TestDeployDocs(t *testing.T) {
	files := deployFiles(t)
	for _, name := range []string{"Caddyfile", "certreg.service", "certreg-backup.service", "certreg-backup.timer"} {
		if files[name] == "" {
			t.Fatalf("docs/deploy.md gives no %s", name)
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "(docs/deploy.md)") {
		t.Error("the README does not link docs/deploy.md")
	}
	// The units run the commands this binary has, with flags it takes.
	for _, name := range []string{"certreg.service", "certreg-backup.service"} {
		for _, line := range strings.Split(files[name], "\n") {
			cmd, ok := strings.CutPrefix(line, "ExecStart=/usr/local/bin/certreg ")
			if !ok {
				continue
			}
			args := strings.Fields(cmd)
			if _, ok := commands[args[0]]; !ok {
				t.Errorf("%s runs unknown subcommand %q", name, args[0])
			}
			if args[0] == "backup" {
				// Run it for real, against a registry in a temporary folder.
				db := filepath.Join(t.TempDir(), "registry.db")
				if _, _, err := runCLI(t, "demo", "--db", db); err != nil {
					t.Fatal(err)
				}
				args[len(args)-1] = filepath.Join(t.TempDir(), "backups")
				if out, stderr, err := runCLI(t, append([]string{args[0], "--db", db}, args[1:]...)...); err != nil {
					t.Errorf("%s: certreg %s: %v\n%s%s", name, cmd, err, out, stderr)
				}
			}
		}
	}

	dir := t.TempDir()
	for name, body := range files {
		// The binary's path is checked to exist and be executable.
		body = strings.ReplaceAll(body, "/usr/local/bin/certreg", "/bin/true")
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("caddy", func(t *testing.T) {
		caddy := needTool(t, "caddy")
		cmd := exec.Command(caddy, "validate", "--adapter", "caddyfile", "--config", filepath.Join(dir, "Caddyfile"))
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Valid configuration") {
			t.Errorf("caddy validate: %v\n%s", err, out)
		}
	})
	t.Run("systemd", func(t *testing.T) {
		sa := needTool(t, "systemd-analyze")
		units := []string{"certreg.service", "certreg-backup.service", "certreg-backup.timer"}
		args := []string{"verify"}
		for _, u := range units {
			args = append(args, filepath.Join(dir, u))
		}
		out, err := exec.Command(sa, args...).CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
		for unit, threshold := range map[string]string{"certreg.service": "20", "certreg-backup.service": "10"} {
			out, err := exec.Command(sa, "security", "--offline=true", "--threshold="+threshold, filepath.Join(dir, unit)).CombinedOutput()
			if err != nil {
				t.Errorf("systemd-analyze security %s: exposure above %s/100: %v\n%s", unit, threshold, err, out)
			}
		}
	})
}
