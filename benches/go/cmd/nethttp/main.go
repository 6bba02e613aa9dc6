// Command nethttp is the Go baseline row of the coveo-ua benchmark: net/http
// with one reused http.Client (keep-alive), sending the same custom event and
// headers as coveo-ua and reading the whole answer.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/coveo-ua/coveo-ua/benches/go/benchutil"
)

func main() {
	a := benchutil.ParseArgs("go-nethttp")
	url := strings.TrimRight(a.Endpoint, "/") + "/v15/analytics/custom"
	client := &http.Client{Timeout: 10 * time.Second}
	auth := "Bearer " + a.Token
	benchutil.Run(a, runtime.Version(), func() error {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(a.Body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", auth)
		req.Header.Set("User-Agent", "coveo-ua-bench-nethttp/1")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	})
}
