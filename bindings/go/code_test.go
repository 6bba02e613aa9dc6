package coveoua

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// headerNumbers returns the UA_ constants that the header defines as a
// plain integer, with their values (macros such as UA_STRINGIFY have none).
func headerNumbers(t *testing.T) map[string]int64 {
	t.Helper()
	path := filepath.Join("..", "..", "include", "coveo_ua.h")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the C header: %v", err)
	}
	defs := regexp.MustCompile(`(?m)^\s*#define\s+(UA_[A-Z0-9_]+)\s+(-?[0-9]+)\s*$`)
	numbers := map[string]int64{}
	for _, m := range defs.FindAllStringSubmatch(string(text), -1) {
		v, err := strconv.ParseInt(m[2], 10, 32)
		if err != nil {
			t.Fatalf("%s = %s: %v", m[1], m[2], err)
		}
		numbers[m[1]] = v
	}
	if len(numbers) == 0 {
		t.Fatalf("no UA_ integer constant found in %s", path)
	}
	return numbers
}

// headerCodes returns the result codes among the header's constants: those
// whose value the library names after them through ua_code_name. Kinds,
// versions and any other family of numbers fall out by this rule alone.
func headerCodes(t *testing.T) map[string]Code {
	t.Helper()
	codes := map[string]Code{}
	for name, v := range headerNumbers(t) {
		if Code(v).String() == name {
			codes[name] = Code(v)
		}
	}
	// The rule must find codes at all, and at both ends of the table.
	for _, name := range []string{"UA_OK", "UA_INVALID_HEADERS", "UA_INVALID_ARGUMENT"} {
		if _, ok := codes[name]; !ok {
			t.Fatalf("the header and the library do not agree on %s", name)
		}
	}
	return codes
}

// Every failure code of the header has a Go sentinel with its value and
// every sentinel is a code of the header: the Go side cannot miss a code or
// keep a retired one.
func TestEveryHeaderCodeHasASentinel(t *testing.T) {
	header := headerCodes(t)
	goCodes := map[string]bool{}
	for _, s := range sentinels {
		name := s.Code.String()
		if goCodes[name] {
			t.Errorf("two sentinels for %s", name)
		}
		goCodes[name] = true
		if v, ok := header[name]; !ok || v != s.Code {
			t.Errorf("sentinel for code %d (%s) is not a code of the header (header: %d, %v)", int32(s.Code), name, v, ok)
		}
	}
	var missing []string
	for name := range header {
		if name != "UA_OK" && !goCodes[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("header codes without a Go sentinel: %v", missing)
	}
	if goCodes["UA_OK"] {
		t.Error("UA_OK has a sentinel, but success is no error")
	}
}

// The header's kinds are the package's Kind constants, value for value.
func TestKindsMatchTheHeader(t *testing.T) {
	numbers := headerNumbers(t)
	want := map[string]Kind{"UA_EVENT_SEARCH": KindSearch, "UA_EVENT_CLICK": KindClick, "UA_EVENT_CUSTOM": KindCustom,
		"UA_EVENT_VIEW": KindView, "UA_EVENT_SEARCH_BATCH": KindSearchBatch, "UA_EVENT_COLLECT": KindCollect}
	for name, v := range numbers {
		if !strings.HasPrefix(name, "UA_EVENT_") {
			continue
		}
		if k, ok := want[name]; !ok || int64(k) != v {
			t.Errorf("header kind %s = %d has no Kind constant with that value", name, v)
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("Kind constant for %s, which the header lacks", name)
	}
}

// Transient holds for exactly the codes worth sending again later
// (throttled, server error, no connection, timeout).
func TestTransientCodes(t *testing.T) {
	transient := map[Code]bool{13: true, 14: true, 101: true, 102: true}
	all := []Code{CodeOK, Code(4242), Code(-1)}
	for _, s := range sentinels {
		all = append(all, s.Code)
	}
	for _, c := range all {
		if c.Transient() != transient[c] {
			t.Errorf("%s (%d).Transient() = %v, want %v", c, int32(c), c.Transient(), transient[c])
		}
		delete(transient, c)
	}
	if len(transient) != 0 {
		t.Errorf("transient codes without a sentinel: %v", transient)
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
		KindSearchBatch: "searches", KindCollect: "collect", Kind(9): "Kind(9)"}
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

// The names from before the generated sentinels still match the same errors.
func TestDeprecatedSentinelNames(t *testing.T) {
	aliases := []struct{ old, current *Error }{{ErrServer, ErrServerError}, {ErrNoWorkgroup, ErrNoWorkgroupAssociatedWithToken}}
	for _, a := range aliases {
		if a.old != a.current || !errors.Is(&Error{Code: a.current.Code}, a.old) {
			t.Errorf("the old name for %s does not match its errors", a.current.Code)
		}
	}
}
