//! Connections that hold the server without using it are closed. poem closes a connection
//! with no traffic at all for `ONBOARD_HTTP_IDLE_TIMEOUT_SECS`; this guard closes one whose
//! request (headers and body) has been arriving for longer than
//! `ONBOARD_HTTP_REQUEST_TIMEOUT_SECS` without an answer having started — a client that
//! trickles a byte at a time, which an idle timeout never sees.

use std::{
    future::Future,
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use poem::{
    http::uri::Scheme,
    listener::Acceptor,
    web::{LocalAddr, RemoteAddr},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    time::Sleep,
};

/// Wraps an acceptor so each connection it accepts is guarded.
pub struct Guarded<A> {
    inner: A,
    request_timeout: Duration,
}

impl<A> Guarded<A> {
    pub fn new(inner: A, request_timeout: Duration) -> Self {
        Self {
            inner,
            request_timeout,
        }
    }
}

impl<A: Acceptor> Acceptor for Guarded<A> {
    type Io = GuardedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, scheme) = self.inner.accept().await?;
        Ok((
            GuardedIo {
                inner: io,
                limit: self.request_timeout,
                deadline: None,
            },
            local,
            remote,
            scheme,
        ))
    }
}

/// A connection whose incoming request must be answered (the answer begun) within a limit
/// of its first byte arriving.
pub struct GuardedIo<T> {
    inner: T,
    limit: Duration,
    /// Set when a request starts arriving; cleared when an answer is written.
    deadline: Option<Pin<Box<Sleep>>>,
}

fn too_slow() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "the request was not complete in time",
    )
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(deadline) = self.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(too_slow()));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let limit = self.limit;
            if self.deadline.is_none() {
                let mut deadline = Box::pin(tokio::time::sleep(limit));
                // Registers the waker, so the deadline fires even if no byte follows.
                let _ = deadline.as_mut().poll(cx);
                self.deadline = Some(deadline);
            }
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            // An answer has begun: the request was whole.
            self.deadline = None;
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.deadline = None;
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
