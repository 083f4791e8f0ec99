//! The app's components, one per concern: [`App`] (the session), `login`, `shell` (the
//! sidebar and the Conversations page), `conversations` (the list), `export_dialog`
//! with its `filter_fields`, `available_exports` (the catalog with its actions, deleting through `confirm_delete`),
//! `schedules` and `activity` (pages of the sidebar).

mod activity;
mod app;
mod available_exports;
mod confirm_delete;
mod conversations;
mod export_dialog;
mod filter_fields;
mod login;
mod schedules;
mod shell;

pub use app::App;
