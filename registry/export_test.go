package registry

// StatsByQueries exposes the per-query statistics to the external tests,
// which compare them with the one-pass scan that Stats uses.
var StatsByQueries = (*Store).statsByQueries
