//! The sync server: serves the web app and conversation pages, keeps the export catalog,
//! and renders exports server-side with the shared rendering crate.
//!
//! [`http::app`] builds the whole HTTP surface so that tests can serve it on port 0:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let app = convo_server::http::app(convo_server::http::AppConfig { web_dir: "dist".into() });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

pub mod cli;
pub mod http;
