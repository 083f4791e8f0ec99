//! A refused request that came with a body ends its connection, and the response says
//! so. Handlers refuse uploads before reading them (another account's export, a part out
//! of order, too big); hyper then closes the connection rather than read megabytes
//! nobody wants, but without `Connection: close` a keep-alive client may already be
//! sending its next request down it and sees the connection cut (reqwest's pool did in
//! our parts test: `IncompleteMessage` on the request after a refused part). That the
//! client can read this answer at all while still sending is `linger.rs`'s job.

use axum::extract::Request;
use axum::http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

fn has_body(headers: &HeaderMap) -> bool {
    let length = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    matches!(length, Some(n) if n > 0) || headers.contains_key(TRANSFER_ENCODING)
}

pub async fn close_after_refusal(request: Request, next: Next) -> Response {
    let with_body = has_body(request.headers());
    let mut response = next.run(request).await;
    let refused = response.status().is_client_error() || response.status().is_server_error();
    if with_body && refused {
        response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
