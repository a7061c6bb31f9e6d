package config

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
