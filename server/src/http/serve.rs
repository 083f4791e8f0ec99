//! Serving the app over TCP with the bounds a public server needs (`Settings`): a
//! bounded number of connections, a bounded share of them per client address (`client.rs`),
//! request headers within 30 s (a connection that sends
//! nothing is closed then), request bodies idle for at most 60 s (the body layer in
//! `app`), and a shutdown that lets requests in flight finish but ends within 30 s
//! whatever clients do; a closed connection lingers to let its client read the answer
//! (`linger.rs`). HTTP/1.1 only: its header timeout starts with the connection,
//! while HTTP/2 detection would wait for a first byte without one.

use super::client::PerClient;
use super::linger::Lingering;
use crate::settings::Settings;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Serves `router` on `listener` until `shutdown` resolves, then for at most
/// `limits.shutdown_grace` while requests in flight finish.
pub async fn serve(listener: TcpListener, router: Router, limits: &Settings, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let per_client = PerClient::default();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // One client's share of the connections; a trusted proxy carries everybody's.
        let counted = match limits.trusted_proxies.iter().any(|net| net.contains(&addr.ip())) {
            true => None,
            false => match per_client.admit(addr.ip(), limits.max_connections_per_client) {
                Some(counted) => Some(counted),
                None => {
                    drop(permit);
                    tokio::spawn(refuse(stream));
                    continue;
                }
            },
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(addr));
            router.clone().oneshot(request)
        });
        // The connection's slot is freed once its socket has lingered (`linger.rs`).
        let connection = graceful.watch(http.serve_connection(TokioIo::new(Lingering::new(stream, permit)), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(counted);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight (at most {} s)", limits.shutdown_grace.as_secs());
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight after the grace period: closing them");
    }
    Ok(())
}

/// A connection past its client's share: a JSON 429, then closed.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    const BODY: &str = r#"{"error":"too many connections from your address: close some and try again"}"#;
    let answer = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.write_all(answer.as_bytes())).await;
    let _ = stream.shutdown().await;
    // What the client still sends is read and dropped for a moment, so that closing does
    // not reset a connection whose client is still writing (it would lose the answer).
    let mut sink = [0u8; 8192];
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while matches!(tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}
