//! The HTTP surface: the JSON API of `docs/api.md` and the web app (static files with an
//! SPA fallback). [`app`] builds it all, so tests serve it on port 0.

mod activity;
mod admin;
mod client;
mod connection;
mod conversations;
mod deadline;
mod error;
pub(crate) mod exports;
mod extract;
mod files;
mod ingest;
mod linger;
mod schedules;
mod serve;
mod session;
mod stream;
mod webhooks;

pub use error::ApiError;
pub use extract::Authed;
pub use serve::serve;

use crate::state::AppState;
use axum::http::{HeaderName, HeaderValue, Request};
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use convo_model::api::Health;
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

pub fn app(state: AppState) -> Router {
    // Before logging in nothing is big or slow (`deadline.rs`).
    let before_login = Router::new()
        .route("/login", post(session::login))
        .route("/logout", post(session::logout))
        .route("/invite", post(session::accept_invite))
        .layer(axum::middleware::from_fn_with_state(state.clone(), deadline::before_login));
    let api = Router::new()
        .merge(before_login)
        .route("/me", get(session::me))
        .route("/assistants", get(conversations::assistants))
        .route("/assistants/{id}/conversations", get(conversations::page))
        .route("/exports", get(exports::list).post(exports::create))
        .route("/exports/preview", get(exports::preview))
        .route("/exports/{id}", get(exports::get).delete(exports::delete))
        .route("/exports/{id}/content", get(files::download).put(exports::upload))
        .route("/exports/{id}/open", get(files::open))
        .route("/exports/{id}/pages", get(exports::pages))
        .route("/exports/{id}/stream", get(stream::stream))
        .route("/exports/{id}/parts/{n}", put(exports::upload_part))
        .route("/exports/{id}/complete", post(exports::complete))
        .route("/exports/{id}/hold", post(exports::hold).delete(exports::release))
        .route("/exports/{id}/receipt", get(exports::receipt))
        .route("/signing-key", get(exports::signing_key))
        .route("/schedules", get(schedules::list).post(schedules::create))
        .route("/schedules/{id}", get(schedules::get).patch(schedules::update).delete(schedules::delete))
        .route("/schedules/{id}/run", post(schedules::run))
        .route("/ingest", post(ingest::ingest))
        .route("/admin/accounts", get(admin::accounts).post(admin::add_account))
        .route("/admin/accounts/{email}", patch(admin::change_account))
        .route("/admin/accounts/{email}/grants/{assistant_id}", put(admin::grant).delete(admin::revoke))
        .route("/admin/tokens", get(admin::tokens).post(admin::create_token))
        .route("/admin/tokens/{id}", delete(admin::revoke_token))
        .route("/admin/audit", get(admin::audit))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{id}", delete(webhooks::delete))
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/audit", get(activity::page))
        .route("/audit.csv", get(activity::csv))
        .route("/exports/{id}/progress", post(exports::progress))
        .route("/exports/{id}/failure", post(exports::failure))
        .route("/exports/{id}/handover", post(exports::handover))
        .fallback(|| async { ApiError::NotFound("no such API path") })
        .layer(SetResponseHeaderLayer::if_not_present(axum::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    let mut router = Router::new().route("/healthz", get(|| async { Json(Health { status: "ok".into() }) })).nest("/api", api);
    if let Some(dir) = &state.web_dir {
        let index = dir.join("index.html");
        router = router.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)));
    }
    let request_id = HeaderName::from_static("x-request-id");
    router
        .layer(SetResponseHeaderLayer::if_not_present(axum::http::header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::from_fn(connection::close_after_refusal))
        // A body that stops arriving (an upload trickling forever) ends after a minute
        // without a byte; the handler sees it broke off.
        .layer(MapRequestBodyLayer::new(axum::body::Body::new))
        .layer(RequestBodyTimeoutLayer::new(state.settings.body_idle_timeout))
        .with_state(state)
}
