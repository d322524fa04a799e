//! The public path prefix: the web admin can be published under a path such as `/concierge/`
//! by a reverse proxy that strips it before passing requests on (v1 ran that way behind nginx).
//! The server never sees the prefix, but every URL the browser is given must carry it: links,
//! redirects, the `/pkg` assets, server function URLs and the event stream.
//!
//! The prefix is configuration (`PUBLIC_PATH_PREFIX`). On the server it is provided as context
//! for each request ([`provide_on_server`]); the page carries it in a `<meta>` tag, from which
//! the browser takes it before hydrating ([`from_page`]). The router is given it as its base:
//! routes match below it and `navigate("/calendar")` goes under it. Absolute `href`s (of `<A>`
//! too: Leptos leaves them as they are) and other URLs are written with [`public_url`].

use leptos::prelude::*;

/// Name of the `<meta>` tag that hands the prefix to the browser.
pub const META_NAME: &str = "public-path-prefix";

/// `""` or a path like `/concierge` (no trailing slash).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicPrefix(pub String);

/// The prefix of the current page; `""` at the site root.
pub fn public_prefix() -> String {
    use_context::<PublicPrefix>()
        .map(|prefix| prefix.0)
        .unwrap_or_default()
}

/// `path` (absolute within the app, e.g. `/pkg/app.css`) as the browser must ask for it.
pub fn public_url(path: &str) -> String {
    format!("{}{path}", public_prefix())
}

/// Server side, for each request: the prefix as context, and the request's URL as the browser
/// sees it (prefix included), which is what the router matches against its base.
#[cfg(feature = "ssr")]
pub fn provide_on_server(prefix: &str) {
    provide_context(PublicPrefix(prefix.to_string()));
    if prefix.is_empty() {
        return;
    }
    // Static files and the asset handler run without a request in the context: nothing to do.
    if let Some(parts) = use_context::<axum::http::request::Parts>() {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        provide_context(leptos_router::location::RequestUrl::new(&format!(
            "http://leptos.dev{prefix}{path}"
        )));
    }
}

/// Whether this request is for a company's public pages (`/b/…`), which have no island and so
/// need none of the WASM (the server sees paths without the prefix).
pub fn is_public_page() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .is_some_and(|parts| parts.uri.path().starts_with("/b/"))
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// A request that arrives with the prefix still on (a proxy that does not strip it, or someone
/// asking the server directly with the public URL) is routed as if it had been stripped.
#[cfg(feature = "ssr")]
pub fn without_prefix(
    prefix: &str,
    mut request: axum::http::Request<axum::body::Body>,
) -> axum::http::Request<axum::body::Body> {
    let Some(rest) = (!prefix.is_empty())
        .then(|| request.uri().path().strip_prefix(prefix))
        .flatten()
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
    else {
        return request;
    };
    let path = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    };
    let mut parts = request.uri().clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    if let Ok(uri) = axum::http::Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
    request
}

/// Browser side, before hydration: the prefix the server rendered into the page. Server
/// functions are sent under it from then on.
#[cfg(feature = "hydrate")]
pub fn from_page() -> PublicPrefix {
    let prefix = document()
        .query_selector(&format!("meta[name=\"{META_NAME}\"]"))
        .ok()
        .flatten()
        .and_then(|meta| meta.get_attribute("content"))
        .unwrap_or_default();
    if !prefix.is_empty() {
        // Set once per page load, before any server function runs; `'static` as server_fn
        // keeps it for the life of the page.
        let _ = leptos::server_fn::client::try_set_server_url(Box::leak(
            prefix.clone().into_boxed_str(),
        ));
    }
    PublicPrefix(prefix)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use axum::{body::Body, http::Request};

    use super::without_prefix;

    fn path_after(prefix: &str, uri: &str) -> String {
        let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
        without_prefix(prefix, request).uri().to_string()
    }

    #[test]
    fn a_request_still_under_the_prefix_is_routed_without_it() {
        assert_eq!(
            path_after("/concierge", "/concierge/calendar?date=2030-01-14"),
            "/calendar?date=2030-01-14"
        );
        assert_eq!(path_after("/concierge", "/concierge"), "/");
        assert_eq!(path_after("/concierge", "/concierge/"), "/");
        // Already stripped, or only alike: left alone.
        assert_eq!(path_after("/concierge", "/calendar"), "/calendar");
        assert_eq!(
            path_after("/concierge", "/conciergerie/x"),
            "/conciergerie/x"
        );
        assert_eq!(path_after("", "/concierge/x"), "/concierge/x");
    }
}
