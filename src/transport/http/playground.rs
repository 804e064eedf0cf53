//! The GraphiQL playground, served from the binary: the page, its script and style, and the
//! pinned GraphiQL and React builds committed under `assets/playground/` (see its `vendor.sh`).
//! Nothing on the page comes from another origin, and a strict Content-Security-Policy says so
//! to the browser.
use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

/// Scripts only from this origin (no inline script, no eval), requests only to this origin, no
/// framing. Styles allow `'unsafe-inline'` because GraphiQL sets element styles at run time;
/// a style cannot run code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE: &str = include_str!("../../../assets/playground/index.html");

/// (path under `/graphql/assets/`, content type, bytes). Versioned paths, so they can be cached
/// for good.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "playground.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/playground/playground.js"),
    ),
    (
        "playground.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../assets/playground/playground.css"),
    ),
    (
        "graphiql-3.8.3/graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/playground/graphiql-3.8.3/graphiql.min.js"),
    ),
    (
        "graphiql-3.8.3/graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../assets/playground/graphiql-3.8.3/graphiql.min.css"),
    ),
    (
        "react-18.3.1/react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/playground/react-18.3.1/react.production.min.js"),
    ),
    (
        "react-dom-18.3.1/react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/playground/react-dom-18.3.1/react-dom.production.min.js"),
    ),
];

/// `body` with its type and caching, and the headers that keep the page to this origin.
fn served(content_type: &'static str, cache: &'static str, body: &'static [u8]) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, cache),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    (headers, body).into_response()
}

/// The playground page; it asks for nothing but this server's assets and `/graphql`.
pub fn page() -> Response {
    served("text/html; charset=utf-8", "no-cache", PAGE.as_bytes())
}

/// `GET /graphql/assets/{*path}`.
pub async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path) {
        Some((name, content_type, bytes)) => {
            // The page's own script and style change with the binary; the vendored builds are
            // versioned in their paths.
            let cache = if name.contains('/') {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            served(content_type, cache, bytes)
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
