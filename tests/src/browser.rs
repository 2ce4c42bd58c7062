//! A headless Chromium driven over WebDriver (chromedriver), for the tests of the pages the
//! api serves. Needs Debian's chromium and chromium-driver (`.ci/run` installs them); on a
//! machine without them a browser test says so and passes, unless
//! `ONBOARD_BROWSER_TESTS=required` (as in CI), when it fails.

use std::{path::PathBuf, process::Stdio, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::json;

use crate::DEADLINE;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port (killed with the returned child), or `None` when it is not
/// installed and not required.
pub async fn chromedriver() -> Option<(tokio::process::Child, String)> {
    let present = std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        let required = std::env::var("ONBOARD_BROWSER_TESTS").is_ok_and(|v| v == "required");
        assert!(
            !required,
            "{CHROMEDRIVER} is missing and the browser test is required"
        );
        eprintln!(
            "skipped: {CHROMEDRIVER} is not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    onboard_worker::crawl::fetch::install_tls_provider();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    while client.get(format!("{url}/status")).send().await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "chromedriver never answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some((child, url))
}

/// A new Chromium session at desktop size.
pub async fn browser(webdriver: &str) -> Client {
    browser_with(webdriver, &[]).await
}

/// A new Chromium session at desktop size, with more command-line switches.
pub async fn browser_with(webdriver: &str, extra: &[&str]) -> Client {
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1400",
    ];
    args.extend_from_slice(extra);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": "/usr/bin/chromium", "args": args }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("a Chromium session")
}

/// Waits (without reloading) until an element matches and is shown.
pub async fn shown(client: &Client, css: &str) -> Element {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Ok(found) = client.find(Locator::Css(css)).await
            && found.is_displayed().await.unwrap_or(false)
        {
            return found;
        }
        if tokio::time::Instant::now() >= deadline {
            let page = client.source().await.unwrap_or_default();
            panic!("{css} was never shown:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the element a selector matches now (no waiting).
pub async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Where a test's screenshots go: `<tmp>/<name>`, `tmp` being the test's
/// `env!("CARGO_TARGET_TMPDIR")`.
pub fn output_dir(tmp: &str, name: &str) -> PathBuf {
    let dir = PathBuf::from(tmp).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
