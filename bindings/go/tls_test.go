package coveoua

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "coveoua " + name + " CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// file writes the CA's certificate as a PEM file in dir.
func (ca testCA) file(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name+".pem")
	if err := os.WriteFile(path, ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serverCert is a certificate for localhost signed by the CA.
func (ca testCA) serverCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano() + 1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Options.CAFile: the file's certificates are trusted instead of the
// operating system's store. The system store honours SSL_CERT_FILE on Linux,
// so a test CA put there plays a CA the machine trusts; an HTTPS server
// (net/http/httptest) with a localhost certificate from that CA answers as
// the service would. Without CAFile the server is trusted; with a CAFile
// naming another CA it is refused, the system store not consulted; with a
// CAFile naming its own CA it is trusted again.
func TestCAFileReplacesTheSystemStore(t *testing.T) {
	dir := t.TempDir()
	system, other := newTestCA(t, "system"), newTestCA(t, "other")
	t.Setenv("SSL_CERT_FILE", system.file(t, dir, "system"))
	t.Setenv("SSL_CERT_DIR", "")
	var served atomic.Int32
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"visitId":"a","visitorId":"tls-visitor","clientId":"c"}`))
	}))
	server.TLS = &tls.Config{Certificates: []tls.Certificate{system.serverCert(t)}}
	// The refused handshake is the point of one case, not news for the log.
	server.Config.ErrorLog = log.New(io.Discard, "", 0)
	server.StartTLS()
	defer server.Close()
	endpoint := "https://localhost:" + server.URL[strings.LastIndex(server.URL, ":")+1:] + "/rest/ua"

	send := func(caFile string) (*Result, error) {
		c, err := NewClient(Options{Token: testKey, Endpoint: endpoint, CAFile: caFile, MaxRetries: Retries(0),
			Timeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("NewClient with CAFile %q: %v", caFile, err)
		}
		defer c.Close()
		return c.SendView(context.Background(), viewEvent())
	}

	if res, err := send(""); err != nil || res.VisitorID != "tls-visitor" {
		t.Fatalf("without CAFile (the system store): %v, %+v", err, res)
	}
	before := served.Load()
	_, err := send(other.file(t, dir, "other"))
	e := asError(t, err)
	if !errors.Is(err, ErrConnectionFailed) || !strings.Contains(strings.ToLower(e.Message), "certificate") {
		t.Errorf("with a CAFile naming another CA: got %v, want ErrConnectionFailed about the certificate", err)
	}
	if served.Load() != before {
		t.Errorf("a request went through a certificate the CA file does not name")
	}
	if res, err := send(system.file(t, dir, "system-again")); err != nil || res.VisitorID != "tls-visitor" {
		t.Errorf("with a CAFile naming the server's CA: %v, %+v", err, res)
	}
}
