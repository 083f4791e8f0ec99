//! The app's components, one per concern: [`App`] (the session), `login`, `shell` (the
//! sidebar and the Conversations page), `conversations` (the list), `export_dialog`
//! with its `filter_fields`, `available_exports` (the catalog with its actions, deleting
//! through `confirm_delete`, sealing a copy with a passphrase in `encrypt_dialog`),
//! `schedules`, `activity`, `account` (with its webhooks) and `admin` (accounts in
//! `admin_accounts`, tokens in `admin_tokens`; pages of the sidebar), and `invite` (an
//! invite link's page).

mod account;
mod activity;
mod admin;
mod admin_accounts;
mod admin_tokens;
mod app;
mod available_exports;
mod confirm_delete;
mod conversations;
mod encrypt_dialog;
mod export_dialog;
mod filter_fields;
mod invite;
mod login;
mod schedules;
mod sharing_fields;
mod shell;

pub use app::App;
