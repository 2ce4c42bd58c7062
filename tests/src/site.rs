//! Websites the tests serve themselves on 127.0.0.x, recording each request path.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use futures::StreamExt;
use poem::{
    Endpoint, Request, Response, Server,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
};

#[derive(Clone)]
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body one byte at a time, this far apart (a server that trickles).
    pub trickle: Option<std::time::Duration>,
    /// Answer this status, bodiless, to the first so many requests (a flaky server).
    pub fail_first: Option<(u16, Arc<std::sync::atomic::AtomicUsize>)>,
}

impl Page {
    pub fn html(body: impl Into<String>) -> Self {
        Self::bytes("text/html; charset=utf-8", body.into().into_bytes())
    }

    pub fn bytes(content_type: &str, body: Vec<u8>) -> Self {
        Page {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body,
            trickle: None,
            fail_first: None,
        }
    }

    /// Answers `status` to the first `n` requests, then the page.
    pub fn failing_first(mut self, n: usize, status: u16) -> Self {
        self.fail_first = Some((status, Arc::new(n.into())));
        self
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn redirect(location: &str) -> Self {
        Page::html("").status(302).header("location", location)
    }

    pub fn trickle(mut self, every: std::time::Duration) -> Self {
        self.trickle = Some(every);
        self
    }
}

type RequestLog = Arc<Mutex<Vec<(String, std::time::Instant)>>>;

type Pages = Arc<std::sync::RwLock<HashMap<String, Page>>>;

pub struct TestSite {
    pub addr: SocketAddr,
    requests: RequestLog,
    pages: Pages,
    _server: tokio::task::JoinHandle<()>,
}

struct SiteEndpoint {
    pages: Pages,
    requests: RequestLog,
    /// How long each response takes (a slow site).
    delay: std::time::Duration,
}

impl Endpoint for SiteEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path().to_owned();
        self.requests
            .lock()
            .unwrap()
            .push((path.clone(), std::time::Instant::now()));
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let page = self.pages.read().unwrap().get(&path).cloned();
        let Some(page) = page else {
            return Ok(Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body("not found"));
        };
        if let Some((status, left)) = &page.fail_first
            && left
                .fetch_update(
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::SeqCst,
                    |n| n.checked_sub(1),
                )
                .is_ok()
        {
            return Ok(Response::builder()
                .status(StatusCode::from_u16(*status).unwrap())
                .finish());
        }
        let mut response = Response::builder().status(StatusCode::from_u16(page.status).unwrap());
        for (name, value) in &page.headers {
            response = response.header(name.as_str(), value.as_str());
        }
        Ok(match page.trickle {
            None => response.body(page.body.clone()),
            Some(every) => {
                let bytes = page.body.clone();
                let stream = futures::stream::iter(bytes).then(move |b| async move {
                    tokio::time::sleep(every).await;
                    Ok::<_, std::io::Error>(vec![b])
                });
                response.body(poem::Body::from_bytes_stream(stream))
            }
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

    /// Serves `pages` plus the pages `more` makes from the site's address (sitemaps and
    /// redirects that name the site itself).
    pub async fn serve_knowing_address(
        mut pages: HashMap<String, Page>,
        more: impl FnOnce(&str) -> HashMap<String, Page>,
    ) -> TestSite {
        let (acceptor, addr) = bind("127.0.0.1").await;
        pages.extend(more(&addr.to_string()));
        Self::run(acceptor, addr, pages, std::time::Duration::ZERO)
    }

    async fn serve_with(
        ip: &str,
        pages: HashMap<String, Page>,
        delay: std::time::Duration,
    ) -> TestSite {
        let (acceptor, addr) = bind(ip).await;
        Self::run(acceptor, addr, pages, delay)
    }

    fn run(
        acceptor: impl Acceptor + 'static,
        addr: SocketAddr,
        pages: HashMap<String, Page>,
        delay: std::time::Duration,
    ) -> TestSite {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let pages = Arc::new(std::sync::RwLock::new(pages));
        let endpoint = SiteEndpoint {
            pages: pages.clone(),
            requests: requests.clone(),
            delay,
        };
        let server = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(endpoint).await;
        });
        TestSite {
            addr,
            requests,
            pages,
            _server: server,
        }
    }

    pub async fn serve(pages: HashMap<String, Page>) -> TestSite {
        Self::serve_on("127.0.0.1", pages).await
    }

    /// Serves `page` at `path` from now on (in place of what was there).
    pub fn set_page(&self, path: &str, page: Page) {
        self.pages.write().unwrap().insert(path.to_owned(), page);
    }

    /// The domain a guest would type for this site.
    pub fn domain(&self) -> String {
        self.addr.to_string()
    }

    /// Every path requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// When each request of a path arrived.
    pub fn request_times(&self, path: &str) -> Vec<std::time::Instant> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, t)| *t)
            .collect()
    }

    /// The URL of a path on this site.
    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://{}{path}", self.addr)).unwrap()
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

async fn bind(ip: &str) -> (impl Acceptor + 'static, SocketAddr) {
    let acceptor = TcpListener::bind(format!("{ip}:0"))
        .into_acceptor()
        .await
        .expect("bind test site");
    let addr = *acceptor.local_addr()[0]
        .as_socket_addr()
        .expect("socket address");
    (acceptor, addr)
}
