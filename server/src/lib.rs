//! The sync server: serves the web app and conversation pages, keeps the export catalog,
//! and renders exports server-side with the shared rendering crate.
//!
//! Layers point one way: [`http`], [`cli`] and [`jobs`] call the domain ([`catalog`]),
//! which calls the [`store`] (rows) and [`files`] (bytes). [`state::AppState::open`]
//! wires them; [`http::app`] builds the HTTP surface so that tests serve it on port 0:
//!
//! ```no_run
//! # async fn demo(state: convo_server::state::AppState) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, convo_server::http::app(state)).await
//! # }
//! ```

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod files;
pub mod http;
pub mod import;
pub mod ingest;
pub mod jobs;
pub mod jsonl;
pub mod settings;
pub mod shares;
pub mod state;
pub mod store;
pub mod webhooks;
