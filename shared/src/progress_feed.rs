//! Notices that a guest's progress (or a feature flag) changed, so the api can answer the 2-second progress poll
//! from memory and drop an entry the moment anyone writes the run or the guest.
//!
//! With Redis the notices travel over Redis pub/sub (every api replica hears every worker);
//! with the embedded queue the worker runs inside the api process and they travel over an
//! in-process channel. A subscriber that may have missed notices (disconnected, lagging)
//! reports itself not live and hears [`Notice::All`] once it is back, so a cache built on
//! it is bypassed and then emptied rather than trusted.

use crate::telemetry::Chain;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use std::time::Duration;

use futures::StreamExt;
use redis::AsyncCommands;
use tokio::sync::broadcast;
use uuid::Uuid;

/// Notices a slow subscriber may fall behind by before it must treat its state as lost.
const BACKLOG: usize = 4096;
/// Wait between attempts to (re)subscribe to Redis.
const RESUBSCRIBE_EVERY: Duration = Duration::from_secs(1);
/// The payload that means "anything may have changed".
const ALL: &str = "*";
/// The payload that means "a feature flag changed".
const FLAGS: &str = "flags";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// This guest's session or one of its runs changed.
    Guest(Uuid),
    /// A feature flag changed (the flag caches listen for it).
    Flags,
    /// Anything may have changed (a bulk write, or notices were missed).
    All,
}

/// The Redis channel of a deployment's notices.
pub fn channel(prefix: &str) -> String {
    format!("{prefix}:progress")
}

#[derive(Clone)]
enum Transport {
    Local,
    Redis {
        client: redis::Client,
        conn: redis::aio::ConnectionManager,
        channel: String,
    },
}

/// A cheap-to-clone handle: publish from any writer, subscribe where a cache lives.
#[derive(Clone)]
pub struct ProgressFeed {
    transport: Transport,
    local: broadcast::Sender<Notice>,
    /// True while the subscription delivers every notice.
    live: Arc<AtomicBool>,
    subscribed: Arc<AtomicBool>,
}

impl std::fmt::Debug for ProgressFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.transport {
            Transport::Local => "local",
            Transport::Redis { .. } => "redis",
        };
        f.debug_struct("ProgressFeed")
            .field("transport", &kind)
            .finish()
    }
}

impl ProgressFeed {
    /// Notices within this process only (the embedded default).
    pub fn local() -> Self {
        Self::with(Transport::Local, true)
    }

    /// Notices over Redis pub/sub.
    pub fn redis(client: redis::Client, conn: redis::aio::ConnectionManager, prefix: &str) -> Self {
        let channel = channel(prefix);
        Self::with(
            Transport::Redis {
                client,
                conn,
                channel,
            },
            false,
        )
    }

    fn with(transport: Transport, live: bool) -> Self {
        Self {
            transport,
            local: broadcast::channel(BACKLOG).0,
            live: Arc::new(AtomicBool::new(live)),
            subscribed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Tells every subscriber; best effort (a lost notice is bounded by the cache's own
    /// maximum age), so a failure is logged, not returned.
    pub async fn publish(&self, notice: Notice) {
        match &self.transport {
            Transport::Local => {
                let _ = self.local.send(notice);
            }
            Transport::Redis { conn, channel, .. } => {
                let payload = match notice {
                    Notice::Guest(uuid) => uuid.to_string(),
                    Notice::Flags => FLAGS.to_owned(),
                    Notice::All => ALL.to_owned(),
                };
                let result: redis::RedisResult<i64> =
                    conn.clone().publish(channel.as_str(), payload).await;
                if let Err(error) = result {
                    tracing::warn!(error = %Chain(&error), "progress notice not published");
                }
            }
        }
    }

    pub async fn guest(&self, uuid: Uuid) {
        self.publish(Notice::Guest(uuid)).await;
    }

    /// Every notice from now on. With Redis the first call starts the subscription task.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        let receiver = self.local.subscribe();
        if let Transport::Redis {
            client, channel, ..
        } = &self.transport
            && !self.subscribed.swap(true, Ordering::SeqCst)
        {
            tokio::spawn(forward_redis(
                client.clone(),
                channel.clone(),
                self.local.clone(),
                self.live.clone(),
            ));
        }
        receiver
    }

    /// Whether subscribers currently hear every notice.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }
}

/// Relays Redis messages to the in-process channel, resubscribing after any failure.
async fn forward_redis(
    client: redis::Client,
    channel: String,
    local: broadcast::Sender<Notice>,
    live: Arc<AtomicBool>,
) {
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(channel.as_str()).await {
                Ok(()) => {
                    // Whatever was published while we were away is lost: start clean.
                    let _ = local.send(Notice::All);
                    live.store(true, Ordering::SeqCst);
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let payload = message.get_payload::<String>().unwrap_or_default();
                        let notice = match payload.parse() {
                            Ok(uuid) => Notice::Guest(uuid),
                            Err(_) if payload == FLAGS => Notice::Flags,
                            Err(_) => Notice::All,
                        };
                        let _ = local.send(notice);
                    }
                    live.store(false, Ordering::SeqCst);
                    tracing::warn!("progress notices: subscription ended; resubscribing");
                }
                Err(error) => {
                    tracing::warn!(error = %Chain(&error), "progress notices: cannot subscribe")
                }
            },
            Err(error) => {
                tracing::warn!(error = %Chain(&error), "progress notices: cannot connect")
            }
        }
        tokio::time::sleep(RESUBSCRIBE_EVERY).await;
    }
}
