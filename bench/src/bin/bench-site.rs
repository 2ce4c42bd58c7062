//! Serves the generated 1,001-page site on the address given (default 127.0.0.1:0) and
//! prints the bound address on stdout. A second argument delays every answer by that many
//! milliseconds: a slow site, so analyses of it stay under way for a while (`just bench api`).

use onboard_bench::site::{self, SiteShape};
use poem::{
    Endpoint, Request, Response, Server,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
};

struct Site {
    delay: std::time::Duration,
}

impl Endpoint for Site {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
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
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".into());
    let delay_ms: u64 = args.next().map_or(Ok(0), |ms| ms.parse())?;
    let acceptor = TcpListener::bind(addr).into_acceptor().await?;
    let local = acceptor.local_addr()[0]
        .as_socket_addr()
        .copied()
        .expect("tcp address");
    println!("{local}");
    Server::new_with_acceptor(acceptor)
        .run(Site {
            delay: std::time::Duration::from_millis(delay_ms),
        })
        .await?;
    Ok(())
}
