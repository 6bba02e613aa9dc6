// A program of another module (example.com/uaoutside): two custom events to
// UA_ENDPOINT, marked with the first argument. Used by
// packaging/test-go-module.sh and test-go-module-tree.sh.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	coveoua "github.com/coveo-ua/coveo-ua/bindings/go"
)

func main() {
	client, err := coveoua.NewClient(coveoua.Options{
		Endpoint: os.Getenv("UA_ENDPOINT"), Token: os.Getenv("UA_TOKEN"), Org: os.Getenv("UA_ORG"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "uaoutside:", err)
		os.Exit(1)
	}
	defer client.Close()
	fmt.Printf("uaoutside: %s/%s, libcoveo_ua %s\n", runtime.GOOS, runtime.GOARCH, coveoua.Version())
	for i := 1; i <= 2; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := client.SendCustom(ctx, map[string]any{
			"eventType": "outside", "eventValue": fmt.Sprintf("%s-%d", os.Args[1], i), "language": "en"})
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "uaoutside:", err)
			os.Exit(1)
		}
		fmt.Printf("uaoutside: event %d accepted, visitor %s\n", i, res.VisitorID)
	}
}
