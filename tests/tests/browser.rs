//! The pages the api serves, in a real headless Chromium driven over WebDriver
//! (chromedriver; see `onboard_tests::browser` for when these tests skip).
//!
//! The operators' page: sign in, see the queues and a run this test started, trigger a
//! cleanup and see its report appear. The reference onboarding page at `/`: a customer's
//! whole onboarding. Both save screenshots under the test's output directory.

use std::time::Duration;

use fantoccini::{Client, Locator};
use onboard_tests::{
    TestApp, TestSite,
    browser::{browser, browser_with, chromedriver, output_dir, shown, text},
    site::{Page, company_site},
};

const TOKEN: &str = "browser-test-token";
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
    let started = text(&client, "tr[data-stage=started] td[data-field=guests]").await;
    assert_eq!(started, "1");

    let dir = output_dir(env!("CARGO_TARGET_TMPDIR"), "ops-browser");
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

/// Waits until an element shows a message that is not a passing "…ing…", and returns it.
async fn settled_text(client: &Client, css: &str) -> String {
    let deadline = tokio::time::Instant::now() + onboard_tests::DEADLINE;
    loop {
        if let Ok(found) = client.find(Locator::Css(css)).await {
            let text = found.text().await.unwrap_or_default();
            if !text.is_empty() && !text.ends_with('…') {
                return text;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{css} never showed a message"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click(client: &Client, css: &str) {
    shown(client, css).await.click().await.unwrap();
}

async fn screenshot(client: &Client, dir: &std::path::Path, name: &str) {
    std::fs::write(dir.join(name), client.screenshot().await.unwrap()).unwrap();
}

/// The shown percent: what the bar says to assistive technology and what the text says,
/// which must agree.
async fn shown_percent(client: &Client) -> i64 {
    let read = client
        .execute(
            "return [document.getElementById('meter').getAttribute('aria-valuenow'), \
                     document.getElementById('percent').textContent]",
            vec![],
        )
        .await
        .unwrap();
    let now: i64 = read[0].as_str().unwrap().parse().unwrap();
    assert_eq!(read[1].as_str().unwrap(), format!("{now} %"));
    now
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_onboards_through_the_reference_page() {
    let Some((_driver, webdriver)) = chromedriver().await else {
        return;
    };
    let mut pages = company_site(5);
    // A title that is escaped markup: the crawler keeps it (it has no tag), and only a
    // page that renders crawled values as text shows it as typed (`innerHTML` would turn
    // it back into an <img> that runs its handler).
    pages.insert(
        "/help".into(),
        Page::html(
            "<!doctype html><html lang=\"en\"><head><title>&amp;lt;img src=x \
             onerror=&amp;quot;window.pwned=1&amp;quot;&amp;gt; Refund help</title></head><body>\
             <h1>Refunds</h1><p>Widgets can be returned within thirty days for a full refund \
             of the price you paid, whatever the reason.</p><a href=\"/\">Home</a></body></html>",
        ),
    );
    // Slow enough that the analysis is seen under way for a few polls.
    let site = TestSite::serve_slow(pages, Duration::from_millis(700)).await;
    let app = TestApp::spawn().await;
    // A visitor who asked for no motion.
    let client = browser_with(&webdriver, &["--force-prefers-reduced-motion"]).await;
    let dir = output_dir(env!("CARGO_TARGET_TMPDIR"), "onboarding-browser");
    let base = format!("http://{}/", app.addr);
    client.goto(&base).await.unwrap();

    // A guest is made and kept on the device.
    shown(&client, "#start-over").await;
    let still = client
        .execute(
            "return [matchMedia('(prefers-reduced-motion: reduce)').matches, \
                     getComputedStyle(document.getElementById('meter-fill')).transitionDuration]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        still,
        serde_json::json!([true, "0s"]),
        "the bar does not ease"
    );

    // The keyboard reaches the form, and focus shows.
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("\u{E004}\u{E004}")
        .await
        .unwrap();
    let focused = client
        .execute(
            "const e = document.activeElement; \
             return [e.id, getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, serde_json::json!(["domain", "solid", "3px"]));
    let guest = client
        .execute("return localStorage.getItem('onboard.guest')", vec![])
        .await
        .unwrap()
        .as_str()
        .expect("the guest id is kept in localStorage")
        .to_owned();
    let status = app.get(&format!("/api/guest/{guest}")).await;
    assert_eq!(status.status(), 200);

    // A domain the API refuses: its message is shown, not a status.
    let domain = shown(&client, "#domain").await;
    domain.send_keys("my shop").await.unwrap();
    click(&client, "#analyse").await;
    let refused = settled_text(&client, "#domain-error").await;
    assert!(refused.contains("not a valid host name"), "{refused}");
    assert!(!refused.contains("400"), "{refused}");
    screenshot(&client, &dir, "1-domain-refused.png").await;

    domain.clear().await.unwrap();
    domain.send_keys(&site.domain()).await.unwrap();
    click(&client, "#analyse").await;
    shown(&client, "#analysis").await;

    // The bar only ever moves forward on screen, up to 100 %.
    let deadline = tokio::time::Instant::now() + onboard_tests::DEADLINE;
    let (mut last, mut seen, mut mid_shot) = (0, Vec::new(), false);
    loop {
        let now = shown_percent(&client).await;
        assert!(now >= last, "the bar went back from {last} % to {now} %");
        let changed = now != last;
        if changed {
            seen.push(now);
        }
        last = now;
        if changed && now > 0 && now < 100 {
            // The README's picture of the page.
            screenshot(&client, &dir, "2-analysis.png").await;
            mid_shot = true;
        }
        if now == 100 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the analysis never reached 100 % (at {now} %)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(mid_shot, "the analysis was never seen under way: {seen:?}");
    let step_names = client
        .execute(
            "return [...document.querySelectorAll('#steps .step-name')].map(e => e.textContent)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        step_names,
        serde_json::json!([
            "Domain Validation",
            "Content Crawling",
            "AI Processing",
            "Integration Setup"
        ])
    );

    // The suggestions: a brand colour taken into the design, shown in the preview.
    let swatch = shown(&client, "#colors li[data-color]").await;
    let color = swatch.attr("data-color").await.unwrap().unwrap();
    assert_eq!(
        color, "#123456",
        "the site's theme colour is suggested first"
    );
    swatch
        .find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let chosen = text(&client, "#primary-value").await;
    assert_eq!(chosen, color);
    let painted = client
        .execute(
            "return getComputedStyle(document.getElementById('preview-launcher')).backgroundColor",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(painted, "rgb(18, 52, 86)", "the preview wears the colour");
    let channels = shown(&client, "#channels").await.text().await.unwrap();
    assert!(channels.contains("support@acme.test"), "{channels}");
    screenshot(&client, &dir, "3-findings.png").await;

    // A logo the API refuses, with its message; then one it takes, shown in the preview.
    let not_an_image = dir.join("notes.txt");
    std::fs::write(&not_an_image, "these are notes, not a logo").unwrap();
    let logo = dir.join("logo.svg");
    std::fs::write(
        &logo,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"24\" height=\"24\">\
         <circle cx=\"12\" cy=\"12\" r=\"10\" fill=\"#ffffff\"/></svg>",
    )
    .unwrap();
    let file = shown(&client, "#logo-file").await;
    file.send_keys(not_an_image.to_str().unwrap())
        .await
        .unwrap();
    let upload_refused = settled_text(&client, "#logo-error").await;
    assert!(upload_refused.contains("PNG"), "{upload_refused}");
    screenshot(&client, &dir, "4-logo-refused.png").await;
    file.send_keys(logo.to_str().unwrap()).await.unwrap();
    shown(&client, "#preview-logo").await;
    let logo_error = text(&client, "#logo-error").await;
    assert_eq!(logo_error, "");
    screenshot(&client, &dir, "5-design.png").await;
    click(&client, "#step-1 button[type=submit]").await;

    // Kept across a reload: the same guest, back on the content step.
    shown(&client, "#step-2").await;
    client.refresh().await.unwrap();
    shown(&client, "#step-2").await;
    let again = client
        .execute("return localStorage.getItem('onboard.guest')", vec![])
        .await
        .unwrap();
    assert_eq!(again.as_str(), Some(guest.as_str()));

    // Content search: the hit's escaped-markup title is shown as it came, and nothing ran.
    shown(&client, "#search")
        .await
        .send_keys("refund")
        .await
        .unwrap();
    click(&client, "#search-button").await;
    let hit = shown(&client, "#results li").await.text().await.unwrap();
    assert!(hit.contains("&lt;img src=x"), "{hit}");
    let ran = client
        .execute(
            "return [window.pwned === undefined, document.querySelectorAll('#results img').length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ran, serde_json::json!([true, 0]));
    screenshot(&client, &dir, "6-content.png").await;
    click(&client, "#step-2 button[type=submit]").await;

    let email = shown(&client, "#contact-email").await;
    email.clear().await.unwrap();
    email.send_keys("help@acme.test").await.unwrap();
    // Proving control of the site: a check before the token is there fails with the API's
    // explanation; once the site serves it, the page checks again (waiting out the
    // service's cooldown by itself) and shows the domain verified.
    click(&client, "#verify-issue").await;
    let path = shown(&client, "#verify-path").await.text().await.unwrap();
    let token = shown(&client, "#verify-token").await.text().await.unwrap();
    assert_eq!(path, "/.well-known/onboard-site-verification.txt");
    click(&client, "#verify-check").await;
    let not_yet = settled_text(&client, "#verify-status").await;
    assert!(
        not_yet.contains("404"),
        "the check says what the site answered: {not_yet}"
    );
    site.set_page(
        &path,
        Page::bytes("text/plain", format!("{token}\n").into_bytes()),
    );
    click(&client, "#verify-check").await;
    shown(&client, "#verify-status.verified").await;
    screenshot(&client, &dir, "7-contact.png").await;
    click(&client, "#complete").await;
    let done = shown(&client, "#done-text").await.text().await.unwrap();
    assert!(done.contains(&site.domain()), "{done}");
    screenshot(&client, &dir, "8-done.png").await;

    // What the page saved is what the API holds.
    let config = app
        .get_json(&format!("/api/onboarding/config?user_uuid={guest}"))
        .await;
    assert_eq!(config["isCompleted"], true);
    assert_eq!(config["configuration"]["design"]["primaryColor"], color);
    assert!(config["configuration"]["design"]["floatieLogo"].is_string());
    assert_eq!(
        config["configuration"]["contact"]["email"],
        "help@acme.test"
    );

    // Phone width: the page still fits.
    client.set_window_size(390, 844).await.unwrap();
    let width = client
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        width.as_i64().unwrap() <= 390,
        "{width}px wide at phone width"
    );
    eprintln!("screenshots in {}", dir.display());
    client.close().await.unwrap();
}
