package config

import (
	"fmt"
	"os"
	"strings"
)

// REST endpoint and web UI options.
var (
	// RestAddress is the address clients use to reach the REST endpoint.
	RestAddress = StringOption("rest.address", "127.0.0.1",
		"Address that clients use to connect to the REST server; also the address the server binds to when "+
			"rest.bind-address is unset. Weir default differs from Flink's RestOptions.ADDRESS (no default, "+
			"falling back to jobmanager.rpc.address; Flink's shipped config.yaml says localhost) because Weir "+
			"has no separate RPC address and loopback is the safe choice: the endpoint can submit and cancel jobs.",
		NotEmpty)

	// RestPort is the REST endpoint's port; 0 picks a free port.
	RestPort = IntOption("rest.port", 8081,
		"Port of the REST server, for clients and, unless overridden, for binding; 0 picks a free port. "+
			"Default from Flink's RestOptions.PORT.",
		Between(0, 65535))

	// RestBindAddress is the address the REST server binds to.
	RestBindAddress = OptionalStringOption("rest.bind-address",
		"Address the REST server binds to, e.g. 0.0.0.0 for all interfaces. Unset (the default) binds to "+
			"rest.address; see EffectiveRestBindAddress. No default, as in Flink's RestOptions.BIND_ADDRESS.",
		NotEmpty)

	// WebSubmitEnable allows job submission through the REST API / web UI.
	WebSubmitEnable = BoolOption("web.submit.enable", true,
		"Whether jobs can be uploaded and run through the REST API and web front end. Default from Flink's "+
			"WebOptions.SUBMIT_ENABLE (deprecated key jobmanager.web.submit.enable).").
		WithAliases("jobmanager.web.submit.enable")

	// RestAuthToken is the bearer token the REST API requires for requests
	// that change something (cancel).
	RestAuthToken = OptionalStringOption("rest.auth.token",
		"Weir-only (Flink secures its REST endpoint with TLS client certificates instead, "+
			"security.ssl.rest.authentication-enabled): a bearer token the REST API requires, as "+
			"\"Authorization: Bearer TOKEN\", for requests that change something (PATCH /jobs/JOBID, cancel); "+
			"requests that only read stay open. Unset (the default): no token is required. Prefer "+
			"rest.auth.token-file, which keeps the token off the command line.",
		NotEmpty)

	// RestAuthTokenFile names a file holding the REST API's bearer token.
	RestAuthTokenFile = OptionalStringOption("rest.auth.token-file",
		"Weir-only: a file whose content (surrounding white space removed) is the bearer token of "+
			"rest.auth.token; set one of the two. `weir cancel --token-file FILE` sends it.",
		NotEmpty)

	// WebCancelEnable allows job cancellation through the REST API / web UI.
	WebCancelEnable = BoolOption("web.cancel.enable", true,
		"Whether jobs can be cancelled through the REST API and web front end. Default from Flink's "+
			"WebOptions.CANCEL_ENABLE.")
)

// EffectiveRestBindAddress returns rest.bind-address if set, else
// rest.address.
func EffectiveRestBindAddress(c *Config) string {
	if a, set := Lookup(c, RestBindAddress); set {
		return a
	}
	return Get(c, RestAddress)
}

// RestAuthTokenValue returns the REST API's bearer token: rest.auth.token,
// or the content of rest.auth.token-file with surrounding white space
// removed; "" when neither is set. Setting both, an unreadable file and an
// empty token are errors, which never hold the token itself.
func RestAuthTokenValue(c *Config) (string, error) {
	tok, tokSet := Lookup(c, RestAuthToken)
	file, fileSet := Lookup(c, RestAuthTokenFile)
	switch {
	case tokSet && fileSet:
		return "", fmt.Errorf("%s and %s are both set: set one of them", RestAuthToken.Key(), RestAuthTokenFile.Key())
	case fileSet:
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: cannot read the REST token: %w", RestAuthTokenFile.Key(), err)
		}
		tok = strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("%s: %s is empty: write the token into it", RestAuthTokenFile.Key(), file)
		}
	case tokSet:
		tok = strings.TrimSpace(tok)
		if tok == "" {
			return "", fmt.Errorf("%s is blank: give a token or unset it", RestAuthToken.Key())
		}
	}
	return tok, nil
}
