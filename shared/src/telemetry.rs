//! Logging for both binaries: `RUST_LOG` filters (default `info`), and
//! `ONBOARD_LOG_FORMAT=json` switches to one JSON object per line. Logs go to standard
//! error, so what a command prints as data (the spec, `extract`'s JSON) is alone on
//! standard output.

pub fn init_tracing() {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    if std::env::var("ONBOARD_LOG_FORMAT").as_deref() == Ok("json") {
        fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
}

/// An error and its causes on one line (`outer: inner: innermost`), for log lines in
/// either format (the JSON one prints only the outer error of a plain field).
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// Resolves on SIGTERM or Ctrl-C: the signals an operator or an orchestrator stops with.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_shows_every_cause() {
        let io = std::io::Error::other("connection reset");
        let outer = crate::ConnectError::Queue(crate::queue::QueueError::DataDir(io));
        assert_eq!(
            Chain(&outer).to_string(),
            "connecting to the queue: the data directory for the SQLite queue cannot be made: \
             connection reset"
        );
    }
}
