//! The committed C header matches the Rust sources, and compiles as C and C++.
//!
//! Regenerate it after changing the C ABI with
//! `make header`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    root().join("include/coveo_ua.h")
}

fn generate() -> String {
    let config = cbindgen::Config::from_file(root().join("cbindgen.toml"))
        .expect("cbindgen.toml must parse");
    let mut out = Vec::new();
    // Only the C face is read (src/ffi/ and the modules it declares), so
    // nothing in the core modules needs to hide from cbindgen.
    cbindgen::Builder::new()
        .with_src(root().join("src/ffi/mod.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen must generate the header")
        .write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

#[test]
fn committed_header_matches_the_sources() {
    let fresh = generate();
    let path = header_path();
    if std::env::var_os("UA_BLESS_HEADER").is_some_and(|v| v == "1") {
        std::fs::write(&path, &fresh).expect("write include/coveo_ua.h");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/coveo_ua.h is out of date with src/; regenerate it with \
         `make header` and commit it"
    );
}

/// Every exported item carries a doc comment (cbindgen copies them as /** */).
#[test]
fn every_item_is_documented() {
    let header = std::fs::read_to_string(header_path()).expect("read header");
    let lines: Vec<&str> = header.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let item = line.starts_with("#define UA_")
            || line.starts_with("typedef ")
            || (line.contains(" ua_") && line.contains('(') && !line.starts_with(' '));
        if !item || line.starts_with("#define COVEO_UA_H") {
            continue;
        }
        let previous = lines[..i].iter().rev().find(|l| !l.trim().is_empty());
        assert!(
            previous.is_some_and(|p| p.trim_end().ends_with("*/")),
            "line {} has no doc comment: {line}",
            i + 1
        );
    }
}

fn compile(compiler: &str, args: &[&str], dir: &Path) {
    let source = dir.join(if compiler == "cc" {
        "probe.c"
    } else {
        "probe.cpp"
    });
    std::fs::write(
        &source,
        "#include \"coveo_ua.h\"\nint main(void) { return ua_version() == 0; }\n",
    )
    .expect("write probe");
    let out = Command::new(compiler)
        .args(args)
        .arg("-I")
        .arg(root().join("include"))
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"])
        .arg(&source)
        .output()
        .unwrap_or_else(|e| panic!("`{compiler}` is needed for this test and could not run: {e}"));
    assert!(
        out.status.success(),
        "{compiler} {args:?} rejected the header:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every name the header defines carries the project's prefix (a stray Rust
/// constant would otherwise leak in as a bare macro).
#[test]
fn every_name_has_the_prefix() {
    let header = std::fs::read_to_string(header_path()).expect("read header");
    for line in header.lines() {
        let name = if let Some(rest) = line.strip_prefix("#define ") {
            rest.split_whitespace().next().unwrap_or("")
        } else if let Some(rest) = line.strip_prefix("typedef ") {
            match rest.split_once("(*") {
                // A function pointer type: `typedef void (*name)(...)`.
                Some((_, after)) => after.split(')').next().unwrap_or(""),
                None => rest.trim_end_matches(';').rsplit(' ').next().unwrap_or(""),
            }
        } else {
            continue;
        };
        assert!(
            name.starts_with("UA_") || name.starts_with("ua_") || name == "COVEO_UA_H",
            "the header defines `{name}` without the UA_/ua_ prefix"
        );
    }
}

#[test]
fn header_compiles_as_c99_and_cpp17() {
    let dir = std::env::temp_dir().join(format!("coveo-ua-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    compile("cc", &["-std=c99", "-x", "c"], &dir);
    compile("c++", &["-std=c++17", "-x", "c++"], &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn header_declares_the_pinned_functions() {
    let header = std::fs::read_to_string(header_path()).expect("read header");
    let pinned = [
        "const char *ua_version(void);",
        "const char *ua_error_describe(ua_code code);",
        "const char *ua_code_name(ua_code code);",
        "ua_options *ua_options_new(void);",
        "void ua_options_free(ua_options *options);",
        "ua_code ua_options_set_token(ua_options *options, const char *token);",
        "ua_code ua_options_set_endpoint(ua_options *options, const char *base_url);",
        "ua_code ua_options_set_org(ua_options *options, const char *org_id);",
        "ua_code ua_options_set_timeout_ms(ua_options *options, uint32_t ms);",
        "ua_code ua_options_set_deadline_ms(ua_options *options, uint32_t ms);",
        "ua_code ua_options_set_max_retries(ua_options *options, uint32_t retries);",
        "ua_code ua_options_set_retry_backoff_ms(ua_options *options, uint32_t base_ms, uint32_t max_ms);",
        "ua_code ua_client_new(const ua_options *options, ua_client **out_client);",
        "void ua_client_free(ua_client *client);",
        "ua_code ua_send_event(const ua_client *client, ua_event_kind kind, const char *event_json, ua_result **out_result);",
        "ua_code ua_send_event_with_deadline(const ua_client *client, ua_event_kind kind, const char *event_json, uint32_t deadline_ms, ua_result **out_result);",
        "ua_code ua_result_code(const ua_result *result);",
        "uint16_t ua_result_http_status(const ua_result *result);",
        "uint32_t ua_result_attempts(const ua_result *result);",
        "const char *ua_result_error_type(const ua_result *result);",
        "const char *ua_result_message(const ua_result *result);",
        "const char *ua_result_visitor_id(const ua_result *result);",
        "const char *ua_result_body(const ua_result *result);",
        "void ua_result_free(ua_result *result);",
        "ua_code ua_options_set_user_agent(ua_options *options, const char *product);",
        "ua_code ua_options_set_local_checks(ua_options *options, bool enabled);",
        "ua_code ua_options_set_ca_file(ua_options *options, const char *pem_path);",
        "ua_code ua_options_set_proxy(ua_options *options, const char *proxy_url);",
        "typedef int32_t ua_code;",
        "typedef int32_t ua_event_kind;",
        "typedef struct ua_options ua_options;",
        "typedef struct ua_client ua_client;",
        "typedef struct ua_result ua_result;",
        "#define UA_EVENT_SEARCH 1",
        "#define UA_EVENT_CLICK 2",
        "#define UA_EVENT_CUSTOM 3",
        "#define UA_EVENT_VIEW 4",
        "#define UA_EVENT_SEARCH_BATCH 5",
        "#define UA_EVENT_COLLECT 6",
        "#define UA_QUEUE_FULL 104",
        "#define UA_QUEUE_CLOSED 105",
        "#define UA_SPOOL_FAILED 106",
        "const char *ua_options_last_error(const ua_options *options);",
        "typedef struct ua_queue ua_queue;",
        "typedef int32_t ua_counter;",
        "ua_code ua_queue_new(const ua_options *options, ua_queue **out_queue);",
        "ua_code ua_queue_enqueue(ua_queue *queue, ua_event_kind kind, const char *event_json);",
        "ua_code ua_queue_flush(ua_queue *queue, uint32_t timeout_ms);",
        "ua_code ua_queue_close(ua_queue *queue, uint32_t timeout_ms);",
        "void ua_queue_free(ua_queue *queue);",
        "uint64_t ua_queue_counter(const ua_queue *queue, ua_counter counter);",
        "ua_code ua_options_set_queue_capacity(ua_options *options, uint32_t max_events, uint64_t max_bytes);",
        "ua_code ua_options_set_queue_workers(ua_options *options, uint32_t workers);",
        "ua_code ua_options_set_queue_max_age_ms(ua_options *options, uint64_t ms);",
        "ua_code ua_options_set_spool_dir(ua_options *options, const char *path);",
        "typedef void (*ua_failure_callback)(void *user_data, ua_event_kind kind, const char *event_json, const ua_result *result);",
        "ua_code ua_options_set_failure_callback(ua_options *options, ua_failure_callback callback, void *user_data);",
        "typedef void (*ua_log_callback)(void *user_data, int32_t level, const char *message);",
        "ua_code ua_options_set_log_callback(ua_options *options, ua_log_callback callback, void *user_data, int32_t max_level);",
        "#define UA_COUNTER_ENQUEUED 1",
        "#define UA_COUNTER_DELIVERED 2",
        "#define UA_COUNTER_FAILED 3",
        "#define UA_COUNTER_REFUSED 4",
        "#define UA_COUNTER_PENDING 5",
        "#define UA_COUNTER_ATTEMPTS 6",
        "#define UA_COUNTER_RECOVERED 7",
        // Version 3.
        "ua_code ua_options_set_spool_capacity(ua_options *options, uint64_t max_bytes);",
        "#define UA_COUNTER_WORKERS 8",
    ];
    // Declarations may be wrapped over several lines: compare with whitespace folded.
    let folded = header.split_whitespace().collect::<Vec<_>>().join(" ");
    let folded = folded.replace("( ", "(").replace(" )", ")");
    for decl in pinned {
        assert!(folded.contains(decl), "include/coveo_ua.h lacks `{decl}`");
    }
}

#[test]
fn header_version_matches_the_crate() {
    // SAFETY: ua_version returns a static NUL-terminated string.
    let c = unsafe { std::ffi::CStr::from_ptr(coveo_ua::ffi::ua_version()) };
    assert_eq!(c.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(coveo_ua::version(), env!("CARGO_PKG_VERSION"));
    let numbers = [
        coveo_ua::ffi::UA_VERSION_MAJOR,
        coveo_ua::ffi::UA_VERSION_MINOR,
        coveo_ua::ffi::UA_VERSION_PATCH,
    ];
    let from_cargo = [
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    ]
    .map(|n| n.parse::<u32>().unwrap());
    assert_eq!(
        numbers, from_cargo,
        "the UA_VERSION_* numbers of src/ffi/consts.rs must follow Cargo.toml"
    );
}

/// UA_VERSION_STRING, as the C preprocessor spells it, is the crate's version.
#[test]
fn header_version_string_is_the_crate_version() {
    let dir = std::env::temp_dir().join(format!("coveo-ua-version-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let source = dir.join("version.c");
    std::fs::write(&source, "#include \"coveo_ua.h\"\nUA_VERSION_STRING\n").expect("write probe");
    let out = Command::new("cc")
        .args(["-E", "-P", "-I"])
        .arg(root().join("include"))
        .arg(&source)
        .output()
        .expect("cc is needed for this test");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    // Adjacent literals, "0" "." "1" "." "0", are one string to a compiler.
    let joined: String = last.split('"').skip(1).step_by(2).collect();
    assert_eq!(joined, env!("CARGO_PKG_VERSION"), "from `{last}`");
}

/// The committed header defines every code of the table with its number.
#[test]
fn header_defines_every_code() {
    let header = std::fs::read_to_string(header_path()).expect("read header");
    for &code in coveo_ua::Code::ALL {
        let line = format!("#define {} {}", code.name(), code.raw());
        assert!(
            header.lines().any(|l| l.trim() == line),
            "include/coveo_ua.h lacks `{line}`"
        );
    }
    for &kind in coveo_ua::EventKind::ALL.iter() {
        let line = format!(
            "#define UA_EVENT_{} {}",
            kind.name().to_uppercase(),
            kind.raw()
        );
        assert!(
            header.lines().any(|l| l.trim() == line),
            "include/coveo_ua.h lacks `{line}`"
        );
    }
}

/// Every exported function's whole body is one `ffi_boundary!`, so no panic
/// can cross into C. Read from the sources, because a missing boundary shows
/// only when something panics.
#[test]
fn every_export_goes_through_the_panic_boundary() {
    let dir = root().join("src/ffi");
    let mut exports = 0;
    for entry in std::fs::read_dir(&dir).expect("src/ffi") {
        let path = entry.expect("entry").path();
        let source = std::fs::read_to_string(&path).expect("read source");
        let mut rest = source.as_str();
        while let Some(at) = rest.find("#[no_mangle]") {
            rest = &rest[at + "#[no_mangle]".len()..];
            let signature_end = rest.find('{').expect("a function body");
            let signature = &rest[..signature_end];
            let name = signature
                .split("fn ")
                .nth(1)
                .and_then(|s| s.split('(').next())
                .unwrap_or("?")
                .trim()
                .to_string();
            let body = rest[signature_end + 1..].trim_start();
            assert!(
                body.starts_with("ffi_boundary!({"),
                "{}: `{name}` does not start its body with ffi_boundary!",
                path.display()
            );
            // The body is the boundary and nothing else: the first `}` at
            // the body's own indentation closes the function right after it.
            let close = body.find("\n}\n").expect("the end of the function");
            assert!(
                body[..close].trim_end().ends_with("})"),
                "{}: `{name}` has code after its ffi_boundary!",
                path.display()
            );
            exports += 1;
        }
    }
    let header = std::fs::read_to_string(header_path()).expect("read header");
    let declared = header
        .lines()
        .filter(|l| !l.starts_with([' ', '#', '/', '*']) && l.contains('('))
        .filter(|l| l.split('(').next().is_some_and(|f| f.contains("ua_")))
        .count();
    assert_eq!(
        exports, declared,
        "exports found in src/ffi vs functions in the header"
    );
}
