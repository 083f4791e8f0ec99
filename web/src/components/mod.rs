//! The app's components, one per concern: [`App`] (the session), `login`, `shell` (the
//! sidebar and the Conversations page), `conversations` (the list), `export_dialog`,
//! and `available_exports` (the catalog with its actions).

mod app;
mod available_exports;
mod conversations;
mod export_dialog;
mod login;
mod shell;

pub use app::App;
