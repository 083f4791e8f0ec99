//! The server's integration tests, one binary: the HTTP API over real HTTP on SQLite and
//! PostgreSQL (`session`, `pages`, `catalog`), the catalog's limits and server-side
//! rendering (`limits`), the binary as a process (`processes`, `render_cli`).

mod admin;
mod before_login;
mod catalog;
mod compliance;
mod encrypt_cli;
mod fair_use;
mod figures;
mod formats;
mod imports;
mod ingest;
mod integrity;
mod limits;
mod operators;
mod pages;
mod parts;
mod processes;
mod redaction;
mod render_cli;
mod selection;
mod session;
mod storage;
mod stream;
mod trust;
mod verify_cli;
mod webhooks;
mod zones;

use convo_testkit::assert_no_canary;
use reqwest::StatusCode;
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_convo-export");

/// A response's status and JSON body, which must leak no internal field.
pub async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_no_canary("response", &text);
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")))
}

pub fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_else(|| panic!("no error message in {body}"))
}
