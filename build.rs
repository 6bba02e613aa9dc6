//! Gives the shared library a SONAME, so programs linked against an installed
//! copy keep loading `libcoveo_ua.so.0` across compatible (0.x ABI v1) releases,
//! and names the systems whose sockets take MSG_NOSIGNAL (`src/sys/socket.rs`).

/// Where std itself relies on MSG_NOSIGNAL to keep writes from raising SIGPIPE.
const MSG_NOSIGNAL_SYSTEMS: &[&str] = &[
    "linux",
    "android",
    "dragonfly",
    "freebsd",
    "openbsd",
    "netbsd",
    "solaris",
    "illumos",
    "haiku",
    "nto",
];

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcoveo_ua.so.0");
    }
    println!("cargo::rustc-check-cfg=cfg(msg_nosignal)");
    if MSG_NOSIGNAL_SYSTEMS.contains(&target_os.as_str()) {
        println!("cargo:rustc-cfg=msg_nosignal");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
