//! Who may talk to the console.
//!
//! Binding 127.0.0.1 keeps other machines out, not other web sites: a page
//! the learner has open elsewhere can make the browser send requests to
//! `http://127.0.0.1:9325`. Two rules close that:
//!
//! - **Host** must be `127.0.0.1:<port>` or `localhost:<port>`, on every
//!   request. A site that rebinds its own DNS name to 127.0.0.1 (DNS
//!   rebinding) reaches the console with its own name in `Host` and is
//!   refused, so it can read nothing either.
//! - **Actions** (`POST`) run only for the console's own page: `Origin`
//!   must be there and equal the console's origin (`http://` + the Host),
//!   `Sec-Fetch-Site`, when the browser sends it, must be `same-origin`,
//!   and the body must be declared JSON (which a cross-site form cannot
//!   send without a CORS preflight, and the console answers none).
//!
//! The page itself may not be framed by another site
//! (`frame-ancestors 'none'`, `X-Frame-Options: DENY`; see `asset`).

use http::{Method, Request, Response, StatusCode, header};

use super::{ConsoleBody, json};

/// `Ok` when the request may be served; otherwise why not.
pub fn check<B>(req: &Request<B>, port: u16) -> Result<(), String> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let own = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    if !own.contains(&host) {
        return Err(format!(
            "the console answers only requests to 127.0.0.1:{port} or localhost:{port}, not to {host:?}"
        ));
    }
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return Ok(());
    }
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|h| h.to_str().ok());
    if origin != Some(format!("http://{host}").as_str()) {
        return Err(format!(
            "actions run only from the console's own page (Origin http://{host}), not from {}",
            origin.map_or_else(
                || "a request without Origin".to_owned(),
                |o| format!("{o:?}")
            )
        ));
    }
    if let Some(site) = req.headers().get("sec-fetch-site")
        && site.as_bytes() != b"same-origin"
    {
        return Err(format!(
            "actions run only from the console's own page, not from a {:?} request",
            String::from_utf8_lossy(site.as_bytes())
        ));
    }
    let json_body = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !json_body {
        return Err("actions take a JSON body (Content-Type: application/json)".to_owned());
    }
    Ok(())
}

/// The 403 for a request [`check`] refused.
pub fn refuse(reason: &str) -> Response<ConsoleBody> {
    json(
        StatusCode::FORBIDDEN,
        serde_json::json!({ "error": format!("forbidden: {reason}") }).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::builder().method(method).uri("/api/actions/purge");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    const OWN_POST: [(&str, &str); 3] = [
        ("host", "127.0.0.1:9325"),
        ("origin", "http://127.0.0.1:9325"),
        ("content-type", "application/json"),
    ];

    #[test]
    fn the_console_s_own_page_may_act() {
        assert!(check(&request(Method::POST, &OWN_POST), 9325).is_ok());
        let mut with_fetch_metadata = OWN_POST.to_vec();
        with_fetch_metadata.push(("sec-fetch-site", "same-origin"));
        assert!(check(&request(Method::POST, &with_fetch_metadata), 9325).is_ok());
        let localhost = [
            ("host", "localhost:9325"),
            ("origin", "http://localhost:9325"),
            ("content-type", "application/json; charset=utf-8"),
        ];
        assert!(check(&request(Method::POST, &localhost), 9325).is_ok());
        assert!(check(&request(Method::GET, &[("host", "LOCALHOST:9325")]), 9325).is_ok());
    }

    #[test]
    fn other_sites_and_other_hosts_are_refused() {
        let refused = |method: Method, headers: &[(&str, &str)]| {
            let reason = check(&request(method, headers), 9325).unwrap_err();
            assert_eq!(
                refuse(&reason).status(),
                StatusCode::FORBIDDEN,
                "{headers:?}"
            );
        };
        // Another site's page.
        refused(
            Method::POST,
            &[
                ("host", "127.0.0.1:9325"),
                ("origin", "http://evil.example"),
                ("content-type", "application/json"),
            ],
        );
        // No Origin at all.
        refused(
            Method::POST,
            &[
                ("host", "127.0.0.1:9325"),
                ("content-type", "application/json"),
            ],
        );
        // The right Origin, but the browser says the request is cross-site.
        let mut cross_site = OWN_POST.to_vec();
        cross_site.push(("sec-fetch-site", "cross-site"));
        refused(Method::POST, &cross_site);
        // A form post (no JSON).
        refused(
            Method::POST,
            &[
                ("host", "127.0.0.1:9325"),
                ("origin", "http://127.0.0.1:9325"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
        );
        // DNS rebinding: the attacker's name in Host, for reads too.
        refused(Method::GET, &[("host", "evil.example:9325")]);
        refused(
            Method::POST,
            &[
                ("host", "evil.example:9325"),
                ("origin", "http://evil.example:9325"),
                ("content-type", "application/json"),
            ],
        );
        // Another port, no Host.
        refused(Method::GET, &[("host", "127.0.0.1:9324")]);
        refused(Method::GET, &[]);
    }
}
