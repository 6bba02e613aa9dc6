//! Who is calling: the `Authorization` header, the token kinds the emulator
//! knows (API keys, read-only keys, OAuth tokens, search tokens) and the
//! organization the call is for.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;

use crate::config::Config;
use crate::errors::ApiError;

/// What an accepted token allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The organization the events go to.
    pub org: String,
    /// Search hub the token restricts events to (search tokens only).
    pub hub: Option<String>,
}

/// The known tokens and how to check search tokens.
pub struct Auth {
    org: String,
    api_keys: HashSet<String>,
    readonly_keys: HashSet<String>,
    oauth_tokens: HashSet<String>,
    jwt_key: Option<ring::hmac::Key>,
}

impl Auth {
    /// Builds the token tables from the command line.
    pub fn new(cfg: &Config) -> Auth {
        Auth {
            org: cfg.org.clone(),
            api_keys: cfg.api_keys.iter().cloned().collect(),
            readonly_keys: cfg.readonly_keys.iter().cloned().collect(),
            oauth_tokens: cfg.oauth_tokens.iter().cloned().collect(),
            jwt_key: cfg
                .jwt_secret
                .as_ref()
                .map(|s| ring::hmac::Key::new(ring::hmac::HMAC_SHA256, s.as_bytes())),
        }
    }

    /// Checks the `Authorization` header(s) and the `org` query parameter.
    pub fn check(
        &self,
        authorization: &[String],
        query_org: Option<&str>,
    ) -> Result<Caller, ApiError> {
        let token = bearer_token(authorization)?;
        let token_org: Option<String>;
        let mut hub = None;
        let mut readonly = false;
        if self.api_keys.contains(token) {
            token_org = Some(self.org.clone());
        } else if self.readonly_keys.contains(token) {
            token_org = Some(self.org.clone());
            readonly = true;
        } else if self.oauth_tokens.contains(token) {
            token_org = None;
        } else if token.split('.').count() == 3 {
            let claims = self.search_token(token)?;
            hub = claims.hub;
            token_org = Some(claims.org);
        } else {
            return Err(ApiError::new(
                400,
                "InvalidToken",
                "The access token is not recognized.",
            ));
        }
        let org = match (token_org, query_org) {
            (None, None) => {
                return Err(ApiError::new(
                    400,
                    "NoWorkgroupAssociatedWithToken",
                    "The access token is not associated with any organization; \
                     name one with the 'org' query parameter.",
                ))
            }
            (Some(t), Some(q)) if t != q => return Err(unauthorized_org(q)),
            (None, Some(q)) if q != self.org => return Err(unauthorized_org(q)),
            (Some(o), _) => o,
            (None, Some(q)) => q.to_string(),
        };
        if readonly {
            return Err(ApiError::new(
                400,
                "UnauthorizedOrg",
                &format!(
                    "The access token does not grant the privilege to push analytics data \
                     to organization '{org}'."
                ),
            ));
        }
        Ok(Caller { org, hub })
    }

    /// Decodes (and verifies, when a secret is set) a search token.
    fn search_token(&self, token: &str) -> Result<SearchClaims, ApiError> {
        let invalid = |why: &str| {
            ApiError::new(
                400,
                "InvalidToken",
                &format!("The search token is not valid: {why}."),
            )
        };
        let mut parts = token.split('.');
        let (h, p, s) = match (parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(p), Some(s)) => (h, p, s),
            _ => return Err(invalid("it is not three dot-separated parts")),
        };
        let header: serde_json::Value =
            decode_part(h).ok_or_else(|| invalid("unreadable header"))?;
        let payload: serde_json::Value =
            decode_part(p).ok_or_else(|| invalid("unreadable payload"))?;
        if let Some(key) = &self.jwt_key {
            if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
                return Err(invalid("its algorithm is not HS256"));
            }
            let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s.trim_end_matches('='))
                .map_err(|_| invalid("unreadable signature"))?;
            let signed = &token[..h.len() + 1 + p.len()];
            ring::hmac::verify(key, signed.as_bytes(), &sig)
                .map_err(|_| invalid("bad signature"))?;
        }
        if let Some(exp) = payload.get("exp").and_then(|e| e.as_f64()) {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            if exp < now {
                return Err(invalid("it has expired"));
            }
        }
        let org = payload
            .get("organization")
            .and_then(|o| o.as_str())
            .ok_or_else(|| invalid("it names no organization"))?;
        if org != self.org {
            return Err(invalid("its organization is unknown to this service"));
        }
        let hub = payload
            .get("searchHub")
            .and_then(|h| h.as_str())
            .filter(|h| !h.is_empty())
            .map(str::to_string);
        Ok(SearchClaims {
            org: org.to_string(),
            hub,
        })
    }
}

struct SearchClaims {
    org: String,
    hub: Option<String>,
}

fn unauthorized_org(org: &str) -> ApiError {
    ApiError::new(
        400,
        "UnauthorizedOrg",
        &format!(
            "The access token does not grant access to organization '{}'.",
            printable(org)
        ),
    )
}

/// Extracts the token from exactly one `Authorization: Bearer <token>` header.
fn bearer_token(authorization: &[String]) -> Result<&str, ApiError> {
    let header = match authorization {
        [] => {
            return Err(ApiError::new(
                400,
                "InvalidTokenHeader",
                "No Authorization header was sent; expected 'Authorization: Bearer <token>'.",
            ))
        }
        [one] => one,
        _ => {
            return Err(ApiError::new(
                400,
                "InvalidTokenHeader",
                "More than one Authorization header was sent.",
            ))
        }
    };
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::new(
            400,
            "InvalidTokenHeader",
            &format!(
                "The Authorization header must have the form 'Bearer <token>', not scheme '{}'.",
                printable(&scheme.chars().take(32).collect::<String>())
            ),
        ));
    }
    let token = token.trim();
    if token.is_empty() || token.contains(' ') {
        return Err(ApiError::new(
            400,
            "InvalidTokenHeader",
            "The Authorization header must have the form 'Bearer <token>' with one non-empty token.",
        ));
    }
    Ok(token)
}

/// Keeps echoed values readable and short.
fn printable(s: &str) -> String {
    s.chars()
        .take(128)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn decode_part(part: &str) -> Option<serde_json::Value> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(|v| v.is_object())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(secret: Option<&str>) -> Auth {
        let mut args = vec![
            "--org",
            "o",
            "--api-key",
            "xx-k",
            "--readonly-key",
            "xx-ro",
            "--oauth-token",
            "oa",
        ];
        if let Some(s) = secret {
            args.extend(["--jwt-secret", s]);
        }
        Auth::new(&Config::from_args(args.iter().map(|s| s.to_string())).unwrap())
    }

    fn jwt(payload: &str, secret: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let signed = format!(
            "{}.{}",
            e.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            e.encode(payload)
        );
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
        let sig = ring::hmac::sign(&key, signed.as_bytes());
        format!("{signed}.{}", e.encode(sig.as_ref()))
    }

    fn kind(r: Result<Caller, ApiError>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(e) => e.kind,
        }
    }

    #[test]
    fn header_forms() {
        let a = auth(None);
        assert_eq!(kind(a.check(&[], None)), "InvalidTokenHeader");
        assert_eq!(
            kind(a.check(&["Baerer xx-k".into()], None)),
            "InvalidTokenHeader"
        );
        assert_eq!(
            kind(a.check(&["Bearer".into()], None)),
            "InvalidTokenHeader"
        );
        assert_eq!(kind(a.check(&["bearer xx-k".into()], None)), "ok");
        assert_eq!(kind(a.check(&["Bearer nope".into()], None)), "InvalidToken");
    }

    #[test]
    fn organizations() {
        let a = auth(None);
        assert_eq!(kind(a.check(&["Bearer xx-k".into()], Some("o"))), "ok");
        assert_eq!(
            kind(a.check(&["Bearer xx-k".into()], Some("p"))),
            "UnauthorizedOrg"
        );
        assert_eq!(
            kind(a.check(&["Bearer xx-ro".into()], None)),
            "UnauthorizedOrg"
        );
        assert_eq!(
            kind(a.check(&["Bearer oa".into()], None)),
            "NoWorkgroupAssociatedWithToken"
        );
        assert_eq!(kind(a.check(&["Bearer oa".into()], Some("o"))), "ok");
        assert_eq!(
            kind(a.check(&["Bearer oa".into()], Some("p"))),
            "UnauthorizedOrg"
        );
    }

    #[test]
    fn search_tokens() {
        let a = auth(Some("s3cret"));
        let good = jwt(
            r#"{"organization":"o","searchHub":"H","exp":99999999999}"#,
            "s3cret",
        );
        let c = a.check(&[format!("Bearer {good}")], None).unwrap();
        assert_eq!(c.hub.as_deref(), Some("H"));
        let forged = jwt(r#"{"organization":"o","exp":99999999999}"#, "other");
        assert_eq!(
            kind(a.check(&[format!("Bearer {forged}")], None)),
            "InvalidToken"
        );
        let expired = jwt(r#"{"organization":"o","exp":1000}"#, "s3cret");
        assert_eq!(
            kind(a.check(&[format!("Bearer {expired}")], None)),
            "InvalidToken"
        );
        let foreign = jwt(r#"{"organization":"x","exp":99999999999}"#, "s3cret");
        assert_eq!(
            kind(a.check(&[format!("Bearer {foreign}")], None)),
            "InvalidToken"
        );
        // Without a secret, any signature passes.
        assert_eq!(
            kind(auth(None).check(&[format!("Bearer {forged}")], None)),
            "ok"
        );
    }
}
