//! What the library reads from a search token: only its `searchHub` claim.
//!
//! A search token is a JWT. Its payload is decoded (base64url, no signature
//! check: the service does that) so that an event whose `originLevel1` the
//! token forbids is refused before sending. The token and its claims are never
//! logged or put in a message, except the hub name itself.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The `searchHub` claim of `token` when it looks like a JWT that has one.
pub fn search_hub_of(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || payload.is_empty() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match claims.get("searchHub")? {
        serde_json::Value::String(hub) if !hub.is_empty() => Some(hub.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn reads_the_hub_claim() {
        assert_eq!(
            search_hub_of(&jwt(r#"{"searchHub":"SupportHub","v8":true}"#)).as_deref(),
            Some("SupportHub")
        );
        assert_eq!(search_hub_of(&jwt(r#"{"v8":true}"#)), None);
        assert_eq!(search_hub_of(&jwt(r#"{"searchHub":""}"#)), None);
        assert_eq!(search_hub_of(&jwt(r#"{"searchHub":3}"#)), None);
        assert_eq!(search_hub_of(&jwt("not json")), None);
    }

    #[test]
    fn api_keys_and_junk_are_not_tokens() {
        assert_eq!(search_hub_of("xx12345678-aaaa-bbbb"), None);
        assert_eq!(search_hub_of("a.b"), None);
        assert_eq!(search_hub_of("a.!!!.c"), None);
        assert_eq!(search_hub_of("a..c"), None);
        assert_eq!(search_hub_of("a.b.c.d"), None);
    }
}
