package tron

import (
	"fmt"
	"strconv"
	"strings"

	"freezetrace/chains"
)

// The environment variables Upstream reads.
const (
	EnvKey  = "FREEZETRACE_TRONGRID_KEY"  // TronGrid API key (optional)
	EnvURL  = "FREEZETRACE_TRONGRID_URL"  // API root; DefaultBaseURL when unset
	EnvRate = "FREEZETRACE_TRONGRID_RATE" // requests per second; 15 when unset
)

// OptionsFromEnv reads the Options a user sets in the environment through
// getenv (os.Getenv in the CLI). A malformed value is an input error naming
// the variable; the key is never shown.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	o := Options{
		BaseURL: strings.TrimSpace(getenv(EnvURL)),
		APIKey:  strings.TrimSpace(getenv(EnvKey)),
	}
	if s := strings.TrimSpace(getenv(EnvRate)); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || r <= 0 {
			return Options{}, chains.Invalid(fmt.Errorf("%s=%q: want a positive number of requests per second", EnvRate, s))
		}
		o.RateLimit = r
	}
	if o.BaseURL != "" {
		if _, err := newClient(o); err != nil {
			return Options{}, chains.Invalid(fmt.Errorf("%s: %w", EnvURL, err))
		}
	}
	return o, nil
}

// Upstream returns a TronGrid Source configured from the environment (see
// OptionsFromEnv) and the name to record as its provenance, for the CLI to
// hand to the caching store.
func Upstream(getenv func(string) string) (chains.Source, string, error) {
	o, err := OptionsFromEnv(getenv)
	if err != nil {
		return nil, "", err
	}
	s, err := New(o)
	if err != nil {
		return nil, "", chains.Invalid(err)
	}
	return s, s.Name(), nil
}
