package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/weirstream/weir/config"
)

// InternalTLS is the mutual TLS configuration of a cluster's control and
// data connections (security.ssl.internal.*), or nil when it is off. The
// one configuration serves both ends: it presents this process's
// certificate and requires the peer's, signed by the trusted authority.
// A dialer sets ServerName to the peer's host (runtime does for data
// connections; net/http does for the control plane).
func InternalTLS(c *config.Config) (*tls.Config, error) {
	if !config.Get(c, config.InternalSSLEnabled) {
		return nil, nil
	}
	bad := func(key, value, why string) error {
		return &config.Error{Key: key, Value: value, Reason: why}
	}
	cert, _ := config.Lookup(c, config.InternalSSLCert)
	key, _ := config.Lookup(c, config.InternalSSLKey)
	trust, _ := config.Lookup(c, config.InternalSSLTrustCert)
	for _, o := range []struct{ key, value string }{
		{config.InternalSSLCert.Key(), cert}, {config.InternalSSLKey.Key(), key}, {config.InternalSSLTrustCert.Key(), trust},
	} {
		if o.value == "" {
			return nil, bad(o.key, "", "security.ssl.internal.enabled needs it: a PEM file")
		}
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, bad(config.InternalSSLCert.Key(), cert, fmt.Sprintf("cannot load it with its key %s: %v", key, err))
	}
	pem, err := os.ReadFile(trust)
	if err != nil {
		return nil, bad(config.InternalSSLTrustCert.Key(), trust, err.Error())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, bad(config.InternalSSLTrustCert.Key(), trust, "holds no PEM certificate")
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		RootCAs:      pool,
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}, nil
}
