//! A lingering close, as nginx and Apache do it. A handler may refuse an upload before
//! reading it (another account's export, a part out of order, too big), and hyper then
//! closes the connection with the body still arriving. Closing a socket with unread data
//! makes the kernel send a reset, and a client still writing its body gets `EPIPE` and
//! loses the answer it was sent (reqwest did, once in CI, on a refused 220 KB part; a
//! raw client sending 1 MiB after the answer came failed every time). So the connection's
//! socket, once hyper is done with it, sends its FIN and then reads and discards what the
//! client still sends, for at most [`LINGER`], before it is closed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;

/// How long a closed connection keeps reading what its client still sends: enough for a
/// client on a slow link to see the answer and stop, short enough that a client that
/// never stops holds its connection slot only briefly.
pub const LINGER: Duration = Duration::from_secs(5);

/// A connection's socket and its slot among the server's connections; dropping it
/// lingers (in a task of its own) before the socket closes and the slot is freed.
pub struct Lingering {
    stream: Option<TcpStream>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Lingering {
    pub fn new(stream: TcpStream, permit: OwnedSemaphorePermit) -> Self {
        Self { stream: Some(stream), permit: Some(permit) }
    }

    fn stream(&mut self) -> io::Result<&mut TcpStream> {
        self.stream.as_mut().ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let (Some(stream), Some(permit)) = (self.stream.take(), self.permit.take()) else { return };
        // Outside a runtime (the server is going away) the socket just closes.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(linger(stream, permit));
        }
    }
}

async fn linger(mut stream: TcpStream, permit: OwnedSemaphorePermit) {
    // The answer is complete; a client that reads it stops sending and closes.
    let _ = stream.shutdown().await;
    let mut discard = vec![0u8; 16 << 10];
    let _ = tokio::time::timeout(LINGER, async { while let Ok(1..) = stream.read(&mut discard).await {} }).await;
    drop(permit);
}

impl AsyncRead for Lingering {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_read(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_write(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}
