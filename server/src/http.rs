//! The HTTP surface: health, and the web app as static files with an SPA fallback.

use axum::{Json, Router, http::HeaderValue, routing::get};
use std::path::PathBuf;
use tower_http::{
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

pub struct AppConfig {
    /// The built web app (Trunk's `dist/`).
    pub web_dir: PathBuf,
}

pub fn app(config: AppConfig) -> Router {
    let index = config.web_dir.join("index.html");
    let static_files = ServeDir::new(&config.web_dir).fallback(ServeFile::new(index));
    Router::new()
        .route("/healthz", get(|| async { Json(serde_json::json!({"status": "ok"})) }))
        .fallback_service(static_files)
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}
