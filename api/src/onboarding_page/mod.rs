//! The reference onboarding page at `/`: static files compiled into the binary (no
//! server-side templating; the page reads everything through the API), written as plain ES
//! modules over the client generated from `openapi.yaml` and type-checked against it in
//! `clients/check.sh`. It may be framed only by the origins `ONBOARD_EMBED_ORIGINS` names.

use onboard_shared::config::Origin;
use poem::{
    Endpoint, IntoResponse, Request, Response, Route, get, handler,
    http::{Method, header},
    web::Path,
};

use crate::{
    error::{ApiError, ErrorCode},
    state::AppState,
};

const JS: &str = "text/javascript; charset=utf-8";

/// Every file the page loads, by the name it is served under (`/app/<name>`).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        include_str!("assets/app.css"),
        "text/css; charset=utf-8",
    ),
    ("app.js", include_str!("assets/app.js"), JS),
    ("api.js", include_str!("assets/api.js"), JS),
    ("dom.js", include_str!("assets/dom.js"), JS),
    ("findings.js", include_str!("assets/findings.js"), JS),
    ("progress.js", include_str!("assets/progress.js"), JS),
    ("setup.js", include_str!("assets/setup.js"), JS),
    (
        "vendor/openapi-fetch.mjs",
        include_str!("assets/vendor/openapi-fetch.mjs"),
        JS,
    ),
];

/// The page's files, added to the app's routes.
pub fn add_routes(route: Route) -> Route {
    route.at("/app/*path", get(asset))
}

/// Serves the page at `/` itself. A middleware, because the API is nested at the root and
/// poem's router gives the bare `/` to that nest whatever else is registered there.
pub async fn at_root<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let page = req.uri().path() == "/" && matches!(*req.method(), Method::GET | Method::HEAD);
    if !page {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let embed = req
        .data::<AppState>()
        .map(|state| state.config.embed_origins.as_slice())
        .unwrap_or_default();
    Ok(Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, policy(embed))
        .header(header::CACHE_CONTROL, "no-cache")
        .body(include_str!("assets/index.html")))
}

#[handler]
fn asset(path: Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path.0) {
        Some((_, body, content_type)) => Response::builder()
            .content_type(*content_type)
            .header(header::CACHE_CONTROL, "no-cache")
            .body(*body),
        None => ApiError::not_found(ErrorCode::NotFound, "No such file").into_response(),
    }
}

/// The page's own files and the API on this origin, nothing from elsewhere, no inline
/// script or style; framed only by the configured embedding origins.
fn policy(embed: &[Origin]) -> String {
    let ancestors = if embed.is_empty() {
        "'none'".to_owned()
    } else {
        embed
            .iter()
            .map(Origin::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; form-action 'none'; base-uri 'none'; \
         frame-ancestors {ancestors}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_frames_only_the_configured_origins() {
        assert!(policy(&[]).ends_with("frame-ancestors 'none'"));
        let origins: Vec<Origin> = ["https://app.example.com", "http://127.0.0.1:3000"]
            .iter()
            .map(|o| o.parse().unwrap())
            .collect();
        assert!(
            policy(&origins)
                .ends_with("frame-ancestors https://app.example.com http://127.0.0.1:3000")
        );
    }

    #[test]
    fn every_module_the_page_imports_is_served() {
        let served: Vec<&str> = ASSETS.iter().map(|(name, _, _)| *name).collect();
        for (_, body, _) in ASSETS {
            for line in body.lines().filter(|l| l.starts_with("import ")) {
                let Some(target) = line.split('"').nth(1) else {
                    continue;
                };
                let name = target.trim_start_matches("./");
                assert!(served.contains(&name), "{line} imports an unserved file");
            }
        }
    }
}
