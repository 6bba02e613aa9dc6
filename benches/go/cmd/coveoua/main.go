// Command coveoua is the coveo-ua-from-Go row of the benchmark: one
// coveoua.Client sending the same custom event, given as JSON bytes, with
// Send and a background context (the synchronous path).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/coveo-ua/coveo-ua/benches/go/benchutil"
	coveoua "github.com/coveo-ua/coveo-ua/bindings/go"
)

func main() {
	a := benchutil.ParseArgs("go-coveoua")
	client, err := coveoua.NewClient(coveoua.Options{Token: a.Token, Endpoint: a.Endpoint})
	if err != nil {
		fmt.Fprintln(os.Stderr, "coveoua: NewClient:", err)
		os.Exit(2)
	}
	defer client.Close()
	ctx := context.Background()
	benchutil.Run(a, coveoua.Version(), func() error {
		_, err := client.Send(ctx, coveoua.KindCustom, a.Body)
		return err
	})
}
