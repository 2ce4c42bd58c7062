//! Websites the tests serve themselves on 127.0.0.x, recording each request path.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use poem::{
    Endpoint, Request, Response, Server,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
};

#[derive(Clone)]
pub struct Page {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Page {
    pub fn html(body: impl Into<String>) -> Self {
        Page {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: body.into(),
        }
    }
}

pub struct TestSite {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    _server: tokio::task::JoinHandle<()>,
}

struct SiteEndpoint {
    pages: HashMap<String, Page>,
    requests: Arc<Mutex<Vec<String>>>,
    /// How long each response takes (a slow site).
    delay: std::time::Duration,
}

impl Endpoint for SiteEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path().to_owned();
        self.requests.lock().unwrap().push(path.clone());
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        Ok(match self.pages.get(&path) {
            Some(page) => Response::builder()
                .status(StatusCode::from_u16(page.status).unwrap())
                .content_type(page.content_type)
                .body(page.body.clone()),
            None => Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body("not found"),
        })
    }
}

impl TestSite {
    /// Serves `pages` (path → page) on `ip`, port chosen by the system.
    pub async fn serve_on(ip: &str, pages: HashMap<String, Page>) -> TestSite {
        Self::serve_with(ip, pages, std::time::Duration::ZERO).await
    }

    /// Serves pages that each take `delay` to answer.
    pub async fn serve_slow(pages: HashMap<String, Page>, delay: std::time::Duration) -> TestSite {
        Self::serve_with("127.0.0.1", pages, delay).await
    }

    async fn serve_with(
        ip: &str,
        pages: HashMap<String, Page>,
        delay: std::time::Duration,
    ) -> TestSite {
        let acceptor = TcpListener::bind(format!("{ip}:0"))
            .into_acceptor()
            .await
            .expect("bind test site");
        let addr = *acceptor.local_addr()[0]
            .as_socket_addr()
            .expect("socket address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let endpoint = SiteEndpoint {
            pages,
            requests: requests.clone(),
            delay,
        };
        let server = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(endpoint).await;
        });
        TestSite {
            addr,
            requests,
            _server: server,
        }
    }

    pub async fn serve(pages: HashMap<String, Page>) -> TestSite {
        Self::serve_on("127.0.0.1", pages).await
    }

    /// The domain a guest would type for this site.
    pub fn domain(&self) -> String {
        self.addr.to_string()
    }

    /// Every path requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A small company website: a home page linking to `n` pages (help, faq, pricing, contact
/// among them), each linking on to the next and back home.
pub fn company_site(n: usize) -> HashMap<String, Page> {
    let named = ["help", "faq", "pricing", "contact", "about"];
    let path = |i: usize| match named.get(i) {
        Some(name) => format!("/{name}"),
        None => format!("/page/{i}"),
    };
    let mut pages = HashMap::new();
    let links: String = (0..n)
        .map(|i| format!("<li><a href=\"{}\">Page {i}</a></li>", path(i)))
        .collect();
    pages.insert(
        "/".to_owned(),
        Page::html(format!(
            "<!doctype html><html lang=\"en\"><head><title>Acme Home</title>\
             <meta name=\"description\" content=\"Acme makes widgets.\">\
             <meta name=\"theme-color\" content=\"#123456\"><link rel=\"icon\" href=\"/favicon.png\"></head>\
             <body><nav><ul>{links}</ul></nav><h1>Welcome to Acme</h1><p>We make widgets for everyone.</p></body></html>"
        )),
    );
    for i in 0..n {
        let extra = if i == 3 {
            "<a href=\"mailto:support@acme.test\">Email us</a> <a href=\"tel:+1-555-0100\">Call</a>"
        } else {
            ""
        };
        pages.insert(
            path(i),
            Page::html(format!(
                "<!doctype html><html lang=\"en\"><head><title>Acme page {i}</title>\
                 <meta name=\"description\" content=\"About page {i}.\"></head>\
                 <body><h1>Page {i}</h1><p>Widgets are useful. This is page number {i} of the Acme site.</p>\
                 <a href=\"{}\">Next</a> <a href=\"/\">Home</a> {extra}</body></html>",
                path((i + 1) % n)
            )),
        );
    }
    pages
}
