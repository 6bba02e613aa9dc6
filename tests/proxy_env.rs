//! The proxy environment variables are ignored (a test binary of its own, since
//! it changes the process environment).

mod common;

use common::*;
use coveo_ua::{Code, EventKind};

#[test]
fn proxy_environment_variables_are_ignored() {
    let emu = Emulator::start(&[]);
    let dead = format!("http://127.0.0.1:{}", dead_port());
    for name in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        std::env::set_var(name, &dead);
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let r = emu.client().send(EventKind::Custom, CUSTOM);
    assert_eq!(r.code(), Code::Ok, "{}", r.message());
    assert_eq!(emu.events().len(), 1);
}
