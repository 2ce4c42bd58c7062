//! The worker's own small HTTP port (`ONBOARD_WORKER_METRICS_LISTEN`): `/metrics` in
//! Prometheus text (jobs, durations, pages, bytes, runs reset and re-enqueued, completion
//! rate, queue depth read at scrape) and `/healthz`. It never serves the public API.

use onboard_shared::telemetry::Chain;
use std::{io, net::SocketAddr};

use onboard_shared::{JobQueue, metrics};
use poem::{
    EndpointExt, Route, Server, get, handler,
    listener::{Acceptor, Listener, TcpListener},
    web::Data,
};

#[handler]
async fn render(Data(queue): Data<&JobQueue>) -> String {
    metrics::record_queue_depths(queue).await;
    metrics::render()
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

/// Binds the port and serves it in the background; returns the bound address.
pub async fn serve(addr: SocketAddr, queue: JobQueue) -> io::Result<SocketAddr> {
    let acceptor = TcpListener::bind(addr).into_acceptor().await?;
    let local = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .unwrap_or(addr);
    let app = Route::new()
        .at("/metrics", get(render))
        .at("/healthz", get(healthz))
        .data(queue);
    tokio::spawn(async move {
        if let Err(error) = Server::new_with_acceptor(acceptor).run(app).await {
            tracing::warn!(error = %Chain(&error), "metrics endpoint stopped");
        }
    });
    Ok(local)
}
