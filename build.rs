//! Gives the shared library a SONAME, so programs linked against an installed
//! copy keep loading `libcoveo_ua.so.0` across compatible (0.x ABI v1) releases.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcoveo_ua.so.0");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
