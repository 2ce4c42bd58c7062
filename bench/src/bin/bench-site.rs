//! Serves the generated 1,001-page site on the address given (default 127.0.0.1:0) and
//! prints the bound address on stdout.

use onboard_bench::site::{self, SiteShape};
use poem::{
    Endpoint, Request, Response, Server,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
};

struct Site;

impl Endpoint for Site {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        Ok(match path {
            "/robots.txt" => Response::builder()
                .content_type("text/plain")
                .body("User-agent: *\nDisallow: /private\n"),
            _ => match site::page(SiteShape::THOUSAND, path) {
                Some(html) => Response::builder()
                    .content_type("text/html; charset=utf-8")
                    .body(html),
                None => Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body("not found"),
            },
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let acceptor = TcpListener::bind(addr).into_acceptor().await?;
    let local = acceptor.local_addr()[0]
        .as_socket_addr()
        .copied()
        .expect("tcp address");
    println!("{local}");
    Server::new_with_acceptor(acceptor).run(Site).await?;
    Ok(())
}
