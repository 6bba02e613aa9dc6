package coveoua

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// headerConstants returns the names of the UA_ constants that the header
// defines (as #define, enum member or initialised constant).
func headerConstants(t *testing.T) map[string]bool {
	t.Helper()
	path := filepath.Join("..", "..", "include", "coveo_ua.h")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the C header: %v", err)
	}
	defs := regexp.MustCompile(`(?m)(?:^\s*#define\s+(UA_[A-Z0-9_]+)\b|\b(UA_[A-Z0-9_]+)\s*=)`)
	names := map[string]bool{}
	for _, m := range defs.FindAllStringSubmatch(string(text), -1) {
		names[m[1]+m[2]] = true
	}
	if len(names) == 0 {
		t.Fatalf("no UA_ constant found in %s", path)
	}
	return names
}

// Every failure code of the header has a Go sentinel and every sentinel is a
// code of the header: the Go side cannot miss a code or keep a retired one.
func TestEveryHeaderCodeHasASentinel(t *testing.T) {
	header := headerConstants(t)
	wantCodes := map[string]bool{}
	for name := range header {
		if name == "UA_OK" || strings.HasPrefix(name, "UA_EVENT_") || strings.HasPrefix(name, "UA_VERSION_") || strings.HasPrefix(name, "UA_STRINGIFY") {
			continue
		}
		wantCodes[name] = true
	}
	if !header["UA_OK"] {
		t.Error("the header defines no UA_OK")
	}
	goCodes := map[string]bool{}
	for _, s := range sentinels {
		name := s.Code.String()
		if goCodes[name] {
			t.Errorf("two sentinels for %s", name)
		}
		goCodes[name] = true
		if !wantCodes[name] {
			t.Errorf("sentinel for code %d (%s) has no constant in the header", int32(s.Code), name)
		}
	}
	var missing []string
	for name := range wantCodes {
		if !goCodes[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("header constants without a Go sentinel: %v", missing)
	}
	for _, name := range []string{"UA_EVENT_SEARCH", "UA_EVENT_CLICK", "UA_EVENT_CUSTOM", "UA_EVENT_VIEW"} {
		if !header[name] {
			t.Errorf("the header lacks %s", name)
		}
	}
}

// The Go constant names agree with the library's own names for the numbers.
func TestCodeNamesComeFromTheLibrary(t *testing.T) {
	want := map[Code]string{
		CodeOK: "UA_OK", CodeInvalidHeaders: "UA_INVALID_HEADERS", CodeInvalidJSON: "UA_INVALID_JSON",
		CodeInvalidObject: "UA_INVALID_OBJECT", CodeInvalidToken: "UA_INVALID_TOKEN",
		CodeInvalidTokenHeader: "UA_INVALID_TOKEN_HEADER", CodeMissingParameter: "UA_MISSING_PARAMETER",
		CodeNoWorkgroupAssociatedWithToken: "UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN",
		CodeUnauthorizedHub:                "UA_UNAUTHORIZED_HUB", CodeUnauthorizedOrg: "UA_UNAUTHORIZED_ORG",
		CodeInvalidURI: "UA_INVALID_URI", CodeNotAcceptable: "UA_NOT_ACCEPTABLE",
		CodeUnsupportedMediaType: "UA_UNSUPPORTED_MEDIA_TYPE", CodeTooManyRequests: "UA_TOO_MANY_REQUESTS",
		CodeServerError: "UA_SERVER_ERROR", CodeUnexpectedResponse: "UA_UNEXPECTED_RESPONSE",
		CodeInvalidArgument: "UA_INVALID_ARGUMENT", CodeConnectionFailed: "UA_CONNECTION_FAILED",
		CodeTimeout: "UA_TIMEOUT", CodeInternal: "UA_INTERNAL",
		CodeQueueFull: "UA_QUEUE_FULL", CodeQueueClosed: "UA_QUEUE_CLOSED", CodeSpoolFailed: "UA_SPOOL_FAILED",
	}
	if len(want) != len(sentinels)+1 {
		t.Fatalf("test table has %d codes, package has %d sentinels plus UA_OK", len(want), len(sentinels))
	}
	descriptions := map[string]Code{}
	for code, name := range want {
		if got := code.String(); got != name {
			t.Errorf("Code(%d).String() = %q, want %q", int32(code), got, name)
		}
		d := code.Describe()
		if strings.TrimSpace(d) == "" {
			t.Errorf("%s has an empty description", name)
		}
		if other, dup := descriptions[d]; dup {
			t.Errorf("%s and %s share the description %q", name, other, d)
		}
		descriptions[d] = code
	}
	unknown := Code(4242)
	if got := unknown.String(); got != "UA_UNKNOWN_CODE" {
		t.Errorf("unknown code String() = %q, want UA_UNKNOWN_CODE", got)
	}
	if d := unknown.Describe(); strings.TrimSpace(d) == "" {
		t.Error("an unknown code has an empty description")
	} else if _, dup := descriptions[d]; dup {
		t.Errorf("an unknown code is described like a known one: %q", d)
	}
}

// errors.Is matches a sentinel by code, through wrapping, and nothing else.
func TestSentinelsMatchByCode(t *testing.T) {
	for _, s := range sentinels {
		e := &Error{Code: s.Code, HTTPStatus: 400, Message: "detail"}
		wrapped := fmt.Errorf("context: %w", e)
		if !errors.Is(e, s) || !errors.Is(wrapped, s) {
			t.Errorf("errors.Is fails for %s", s.Code)
		}
		if SentinelFor(s.Code) != error(s) {
			t.Errorf("SentinelFor(%s) is not its sentinel", s.Code)
		}
		for _, other := range sentinels {
			if other != s && errors.Is(e, other) {
				t.Errorf("an error with %s matches the sentinel of %s", s.Code, other.Code)
			}
		}
		if errors.Is(e, &Error{Code: s.Code}) {
			t.Errorf("a non-sentinel *Error matched by code for %s", s.Code)
		}
		if !strings.Contains(e.Error(), s.Code.String()) || !strings.Contains(e.Error(), "detail") {
			t.Errorf("Error() = %q lacks the code name or the message", e.Error())
		}
	}
	if SentinelFor(CodeOK) != nil || SentinelFor(Code(4242)) != nil {
		t.Error("SentinelFor gives a sentinel for UA_OK or an unknown code")
	}
}

func TestKindNames(t *testing.T) {
	want := map[Kind]string{KindSearch: "search", KindClick: "click", KindCustom: "custom", KindView: "view",
		KindSearchBatch: "searches", Kind(9): "Kind(9)"}
	for k, name := range want {
		if k.String() != name {
			t.Errorf("Kind(%d).String() = %q, want %q", int32(k), k.String(), name)
		}
	}
}

// The linked library reports the version of the workspace's Cargo.toml.
func TestVersionMatchesCargo(t *testing.T) {
	manifest, err := os.ReadFile(filepath.Join("..", "..", "Cargo.toml"))
	if err != nil {
		t.Fatalf("reading Cargo.toml: %v", err)
	}
	m := regexp.MustCompile(`(?m)^version\s*=\s*"([^"]+)"`).FindSubmatch(manifest)
	if m == nil {
		t.Fatal("no version in Cargo.toml")
	}
	if got := Version(); got != string(m[1]) {
		t.Errorf("Version() = %q, Cargo.toml says %q", got, m[1])
	}
}
