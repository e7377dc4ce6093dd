package standin

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// SignalContext is cancelled on SIGTERM or SIGINT.
func SignalContext() context.Context {
	ctx, _ := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	return ctx
}

// HostPort joins a bind address and a port.
func HostPort(addr string, port int) string {
	return net.JoinHostPort(addr, strconv.Itoa(port))
}

// Serve listens on addr (TLS when cert is non-nil) and serves handler until
// ctx is cancelled, then shuts the server down and exits 0. A listen error
// exits 1.
func (c *Component) Serve(ctx context.Context, addr string, cert *tls.Certificate, handler http.Handler) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		c.Fatalf("failed to listen on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second}
	scheme := "http"
	if cert != nil {
		scheme = "https"
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	log.Printf("%s (stand-in): serving %s on %s", c.Name, scheme, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		log.Printf("%s (stand-in): received termination signal, shutting down", c.Name)
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		os.Exit(0)
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.Fatalf("server failed: %v", err)
		}
		os.Exit(0)
	}
}

// LoadKeyPair loads a PEM certificate and key, exiting 1 on failure.
func (c *Component) LoadKeyPair(certFile, keyFile string) *tls.Certificate {
	if certFile == "" || keyFile == "" {
		c.Fatalf("both --tls-cert-file and --tls-private-key-file are required by this stand-in")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		c.Fatalf("unable to load server certificate: %v", err)
	}
	return &cert
}

// SelfSignedCert makes an in-memory self-signed serving certificate, as the
// real scheduler and controller-manager do when given no certificate.
func (c *Component) SelfSignedCert(host string) *tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		c.Fatalf("generating key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: host + "@" + strconv.FormatInt(time.Now().Unix(), 10)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		c.Fatalf("creating self-signed certificate: %v", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
