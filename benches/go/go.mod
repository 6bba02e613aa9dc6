module github.com/coveo-ua/coveo-ua/benches/go

go 1.22

require (
	github.com/coveo-ua/coveo-ua/bindings/go v0.0.0
	github.com/posthog/posthog-go v1.5.2
)

replace github.com/coveo-ua/coveo-ua/bindings/go => ../../bindings/go
