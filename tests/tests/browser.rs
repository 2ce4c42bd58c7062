//! The operators' page in a real headless Chromium, driven over WebDriver (chromedriver):
//! sign in, see the queues and a run this test started, trigger a cleanup and see its
//! report appear, and save screenshots (desktop and phone width) under the test's output
//! directory. Needs Debian's chromium and chromium-driver (`.ci/run` installs them); on a
//! machine without them the test says so and passes, unless `ONBOARD_BROWSER_TESTS=required`
//! (as in CI), when it fails.

use std::{path::PathBuf, process::Stdio, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator};
use onboard_tests::{DEADLINE, TestApp, TestSite, site::company_site};
use serde_json::json;

const TOKEN: &str = "browser-test-token";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, killed with the test.
async fn chromedriver() -> Option<(tokio::process::Child, String)> {
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

async fn browser(webdriver: &str) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1400"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("a Chromium session")
}

/// Reloads the page until an element matches (the page also refreshes itself, but a
/// reload does not depend on its timer).
async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(found) = client.find(Locator::Css(css)).await {
            return found;
        }
        if tokio::time::Instant::now() >= deadline {
            let url = client
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let page = client.source().await.unwrap_or_default();
            panic!("{css} never appeared; at {url}:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        client.refresh().await.unwrap();
    }
}

fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ops-browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_sees_a_run_and_triggers_a_cleanup() {
    let Some((_driver, webdriver)) = chromedriver().await else {
        return;
    };
    let site = TestSite::serve(company_site(2)).await;
    let app = TestApp::builder()
        .var("ONBOARD_ADMIN_TOKEN", TOKEN)
        .spawn()
        .await;
    let guest = app.create_guest().await;
    app.set_domain(guest, &site.domain()).await;
    let run_id = app.start_analysis(guest).await;

    let client = browser(&webdriver).await;
    let base = format!("http://{}", app.addr);
    client.goto(&format!("{base}/ops")).await.unwrap();
    let token = client
        .find(Locator::Css("input[name=token]"))
        .await
        .unwrap();
    token.send_keys(TOKEN).await.unwrap();
    client
        .find(Locator::Css("form[action='/ops/login'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Signed in: the queues, and the run this test started, however far it has got.
    wait_for(&client, "tr[data-queue=analysis] td[data-field=waiting]").await;
    let run = wait_for(&client, &format!("tr[data-analysis='{run_id}']")).await;
    assert!(run.text().await.unwrap().contains(&site.domain()));
    // Kept for the session: a fresh load is still signed in.
    client.goto(&format!("{base}/ops")).await.unwrap();
    wait_for(&client, "#queues").await;

    client
        .find(Locator::Css("form[action='/ops/jobs/cleanup'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = wait_for(&client, "p.flash").await.text().await.unwrap();
    let id: i64 = flash
        .trim_start_matches("Maintenance run #")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("flash names the run: {flash}"));
    let report =
        format!("tr[data-run='{id}'][data-status=succeeded] dd[data-report=guestsDeleted]");
    wait_for(&client, &report).await;
    wait_for(
        &client,
        &format!("tr[data-analysis='{run_id}'][data-status=succeeded]"),
    )
    .await;
    // Today's aggregates (the monitor's cron would do this within a minute): the funnel
    // chart then has its first bar.
    onboard_worker::maintenance::daily_stats::refresh(&app.db, chrono::Utc::now().date_naive())
        .await
        .unwrap();
    client.refresh().await.unwrap();
    wait_for(&client, "tr[data-stage=started] td[data-field=guests]").await;
    let started = client
        .find(Locator::Css("tr[data-stage=started] td[data-field=guests]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(started, "1");

    let dir = output_dir();
    std::fs::write(dir.join("ops.png"), client.screenshot().await.unwrap()).unwrap();
    // Phone width: the page still reads (tables scroll inside their sections).
    client.set_window_size(390, 844).await.unwrap();
    let width: i64 = client
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert!(width <= 390, "the page is {width}px wide at phone width");
    std::fs::write(
        dir.join("ops-phone.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    eprintln!("screenshots in {}", dir.display());
    client.close().await.unwrap();
}
