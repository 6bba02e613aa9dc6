module github.com/coveo-ua/coveo-ua/bindings/go

go 1.22
