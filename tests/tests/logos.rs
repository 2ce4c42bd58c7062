//! Logo uploads with real files: the type is read from the content, sizes and dimensions
//! are bounded, unsafe SVGs are refused, and logos are served safely.

use std::io::Write;

use onboard_tests::TestApp;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

/// A real PNG: RGB, one colour, `width` x `height`, compressed as `level` says.
fn png(width: u32, height: u32, level: flate2::Compression) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), level);
    let mut row = vec![0u8; 1 + 3 * width as usize];
    for (i, b) in row.iter_mut().enumerate().skip(1) {
        // Varying bytes, so an uncompressed PNG is as large as it says.
        *b = (i * 31 % 251) as u8;
    }
    for _ in 0..height {
        z.write_all(&row).unwrap();
    }
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

const JPEG: &[u8] = include_bytes!("../fixtures/logo.jpg");
const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24"><circle cx="12" cy="12" r="10" fill="#FB8537"/></svg>"##;

async fn upload(
    app: &TestApp,
    guest: Uuid,
    kind: &str,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    app.client
        .post(app.url(&format!(
            "/api/onboarding/upload-logo/{kind}?user_uuid={guest}"
        )))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn refused(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_png_jpeg_and_svg_logos_are_stored_served_and_configured() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    let cases = [
        (
            "floatie",
            "logo.png",
            "image/png",
            png(120, 40, flate2::Compression::default()),
            "image/png",
            ".png",
        ),
        // A PNG named .jpg and declared as JPEG is stored as what it is.
        (
            "launcher",
            "logo.jpg",
            "image/jpeg",
            png(16, 16, flate2::Compression::default()),
            "image/png",
            ".png",
        ),
        (
            "launcher",
            "photo.jpeg",
            "image/jpeg",
            JPEG.to_vec(),
            "image/jpeg",
            ".jpg",
        ),
        (
            "floatie",
            "logo.svg",
            "image/svg+xml",
            SVG.as_bytes().to_vec(),
            "image/svg+xml",
            ".svg",
        ),
    ];
    for (kind, name, mime, bytes, stored_type, ext) in cases {
        let response = upload(&app, guest, kind, name, mime, bytes.clone()).await;
        assert_eq!(response.status(), 201, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "uploaded");
        let filename = body["filename"].as_str().unwrap().to_owned();
        assert!(
            filename.ends_with(ext) && !filename.contains("logo"),
            "{filename}"
        );
        assert_eq!(body["preview"], format!("/api/onboarding/logos/{filename}"));

        let served = app.get(&format!("/api/onboarding/logos/{filename}")).await;
        assert_eq!(served.status(), 200);
        let h = served.headers().clone();
        assert_eq!(h["content-type"], stored_type);
        assert_eq!(h["x-content-type-options"], "nosniff");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("sandbox"),
            "{csp}"
        );
        assert_eq!(served.bytes().await.unwrap().as_ref(), bytes.as_slice());

        let config: Value = app
            .get(&format!("/api/onboarding/config?user_uuid={guest}"))
            .await
            .json()
            .await
            .unwrap();
        let field = if kind == "floatie" {
            "floatieLogo"
        } else {
            "launcherLogo"
        };
        assert_eq!(config["configuration"]["design"][field], filename);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_that_break_a_rule_are_refused() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    let html = b"<!doctype html><html><body><script>alert(1)</script></body></html>".to_vec();
    assert_eq!(
        refused(
            upload(&app, guest, "floatie", "logo.png", "image/png", html).await,
            415
        )
        .await,
        "unsupported_image_type"
    );

    let big = png(1500, 1500, flate2::Compression::none());
    assert!(big.len() > 6 * 1024 * 1024, "{}", big.len());
    assert_eq!(
        refused(
            upload(&app, guest, "floatie", "big.png", "image/png", big).await,
            413
        )
        .await,
        "payload_too_large"
    );

    let huge = png(4096, 4096, flate2::Compression::best());
    assert_eq!(
        refused(
            upload(&app, guest, "floatie", "huge.png", "image/png", huge).await,
            400
        )
        .await,
        "image_too_large"
    );

    for svg in [
        r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.test/x.png"/></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>"#,
    ] {
        let code = refused(
            upload(
                &app,
                guest,
                "floatie",
                "logo.svg",
                "image/svg+xml",
                svg.as_bytes().to_vec(),
            )
            .await,
            400,
        )
        .await;
        assert_eq!(code, "unsafe_svg", "{svg}");
    }

    let response = upload(
        &app,
        guest,
        "sidebar",
        "logo.png",
        "image/png",
        png(8, 8, flate2::Compression::default()),
    )
    .await;
    assert_eq!(response.status(), 400, "unknown logo kind");
    let form = reqwest::multipart::Form::new().text("other", "x");
    let response = app
        .client
        .post(app.url(&format!(
            "/api/onboarding/upload-logo/floatie?user_uuid={guest}"
        )))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "no file field");

    // Nothing refused was stored or configured.
    let config: Value = app
        .get(&format!("/api/onboarding/config?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(config["configuration"]["design"]["floatieLogo"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_names_cannot_reach_other_files() {
    let app = TestApp::builder().without_worker().spawn().await;
    for name in [
        "..%2F..%2Fetc%2Fpasswd",
        "logo.png",
        &format!("{}.png", Uuid::new_v4()),
        "%2e%2e",
    ] {
        let response = app.get(&format!("/api/onboarding/logos/{name}")).await;
        assert_eq!(response.status(), 404, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_logo_is_deleted_and_a_guest_keeps_a_bounded_number_of_bytes() {
    let app = TestApp::builder()
        .without_worker()
        .var("ONBOARD_UPLOAD_BYTES_PER_GUEST", "100000")
        .spawn()
        .await;
    let guest = app.create_guest().await;
    let big = png(150, 100, flate2::Compression::none()); // 45 KB
    assert!(big.len() > 45_000 && big.len() < 50_000, "{}", big.len());
    let stored = |app: &TestApp| {
        std::fs::read_dir(app.data_dir.join("uploads"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .unwrap_or(0)
    };

    // Uploading the floatie logo again and again keeps one file: the last.
    let mut last = String::new();
    for _ in 0..5 {
        let response = upload(&app, guest, "floatie", "f.png", "image/png", big.clone()).await;
        assert_eq!(response.status(), 201);
        last = response.json::<Value>().await.unwrap()["filename"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    assert_eq!(stored(&app), 1);
    let rows = onboard_shared::entities::upload::Entity::find()
        .filter(onboard_shared::entities::upload::Column::GuestUuid.eq(guest))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].stored_name, last);
    assert_eq!(
        app.get(&format!("/api/onboarding/logos/{last}"))
            .await
            .status(),
        200
    );

    // A launcher logo fits beside it; a third large file does not, whatever its kind.
    let response = upload(&app, guest, "launcher", "l.png", "image/png", big.clone()).await;
    assert_eq!(response.status(), 201);
    let bigger = png(150, 150, flate2::Compression::none()); // 67 KB
    let response = upload(&app, guest, "launcher", "l.png", "image/png", bigger).await;
    assert_eq!(refused(response, 413).await, "upload_quota_exceeded");
    assert_eq!(stored(&app), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_path_with_a_trailing_slash_reaches_the_upload() {
    let app = TestApp::builder().without_worker().spawn().await;
    let guest = app.create_guest().await;
    let response = upload(
        &app,
        guest,
        "floatie/",
        "photo.jpeg",
        "image/jpeg",
        JPEG.to_vec(),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let config: Value = app
        .get(&format!("/api/onboarding/config/?user_uuid={guest}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        config["configuration"]["design"]["floatieLogo"],
        body["filename"]
    );
}
