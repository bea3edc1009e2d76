package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// byteSize is a flag holding a size in bytes, written as a number with an
// optional unit: 64MiB, 512KiB, 1GiB, 0.
type byteSize int64

var byteUnits = []struct {
	suffix string
	n      int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

func (b *byteSize) String() string {
	for _, u := range byteUnits {
		if int64(*b) >= u.n && int64(*b)%u.n == 0 {
			return strconv.FormatInt(int64(*b)/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (b *byteSize) Set(s string) error {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(n), u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return fmt.Errorf("not a size in bytes (64MiB, 512KiB, 0): %q", s)
	}
	*b = byteSize(n * mult)
	return nil
}

// byteFlag defines a size flag whose default may come from the environment
// variable env.
func byteFlag(fs *flag.FlagSet, e *env, name, env string, def int64, usage string) (*byteSize, error) {
	b := byteSize(def)
	if v := envOr(e, env, ""); v != "" {
		if err := b.Set(v); err != nil {
			return nil, fmt.Errorf("%s: %w", env, err)
		}
	}
	// The flag package adds "(default …)", the value in force.
	fs.Var(&b, name, usage+" (`size`: bytes, or with KiB, MiB or GiB; env "+env+")")
	return &b, nil
}
