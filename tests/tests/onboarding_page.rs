//! The reference onboarding page at `/`, over HTTP: served from the binary under a strict
//! policy (its own files only, no inline script or style, framed only by the configured
//! origins), every module it imports served, and nothing of a guest's in the page itself.
//! The browser test (`browser.rs`) walks the whole onboarding through it.

use onboard_tests::TestApp;
use reqwest::StatusCode;
use scraper::{Html, Selector};

fn csp(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-security-policy")
        .expect("a policy")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The policy a path is served with (the body is read, so the connection is left idle).
async fn policy_at(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    let policy = csp(&response);
    response.bytes().await.unwrap();
    policy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_under_a_strict_policy() {
    let app = TestApp::spawn().await;
    let page = app.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let policy = csp(&page);
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} missing: {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    let html = Html::parse_document(&page.text().await.unwrap());

    // No inline script, no inline style, nothing loaded from elsewhere.
    let scripts = Selector::parse("script").unwrap();
    for script in html.select(&scripts) {
        let src = script.value().attr("src").expect("every script is a file");
        assert!(src.starts_with("/app/"), "{src}");
        assert_eq!(script.value().attr("type"), Some("module"));
        assert_eq!(script.inner_html().trim(), "");
    }
    let styled = Selector::parse("[style], style").unwrap();
    assert_eq!(html.select(&styled).count(), 0);
    let linked = Selector::parse("[src], link[href]").unwrap();
    let files: Vec<String> = html
        .select(&linked)
        .filter_map(|e| e.value().attr("src").or(e.value().attr("href")))
        .map(str::to_owned)
        .collect();
    assert!(!files.is_empty());

    // Each file the page loads, and each module those import, is served with its type.
    let mut queue = files;
    let mut served = Vec::new();
    while let Some(path) = queue.pop() {
        assert!(
            path.starts_with("/app/"),
            "{path} is not one of the page's own files"
        );
        if served.contains(&path) {
            continue;
        }
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.text().await.unwrap();
        if path.ends_with(".css") {
            assert_eq!(kind, "text/css; charset=utf-8");
        } else {
            assert_eq!(kind, "text/javascript; charset=utf-8", "{path}");
            let dir = &path[..path.rfind('/').unwrap() + 1];
            for line in body.lines().filter(|l| l.starts_with("import ")) {
                if let Some(target) = line.split('"').nth(1) {
                    let target = target.strip_prefix("./").expect("relative imports");
                    queue.push(format!("{dir}{target}"));
                }
            }
        }
        served.push(path);
    }
    assert!(
        served.iter().any(|p| p == "/app/vendor/openapi-fetch.mjs"),
        "{served:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_configured_origins_may_frame_the_page() {
    let app = TestApp::builder()
        .var(
            "ONBOARD_EMBED_ORIGINS",
            "https://app.example.com, http://127.0.0.1:3000",
        )
        .spawn()
        .await;
    let policy = policy_at(&app, "/").await;
    assert!(
        policy.ends_with("frame-ancestors https://app.example.com http://127.0.0.1:3000"),
        "{policy}"
    );
    // The API's own answers stay unframeable.
    let api = policy_at(&app, "/healthz").await;
    assert!(api.contains("frame-ancestors 'none'"), "{api}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_holds_no_guest_data_and_unknown_files_are_json_404s() {
    let app = TestApp::spawn().await;
    let guest = app.create_guest().await;
    app.set_domain(guest, "acme.test").await;
    // The same bytes whoever asks: the page reads its guest through the API.
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"domain-form\""), "the page itself");
    assert!(!page.contains(&guest.to_string()));
    assert!(!page.contains("acme.test"));

    for path in [
        "/app/nope.js",
        "/app/../Cargo.toml",
        "/app/vendor/openapi-fetch.d.mts",
    ] {
        let missing = app.get(path).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = missing.json().await.unwrap();
        assert_eq!(body["error"], "not_found", "{path}");
    }
    // Only reads are the page; anything else at `/` is refused as before.
    let posted = app.post("/").await;
    assert!(posted.status().is_client_error(), "{}", posted.status());
    let body: serde_json::Value = posted.json().await.unwrap();
    assert!(body["error"].is_string());
}
