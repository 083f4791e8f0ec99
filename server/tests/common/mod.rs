//! The test harness: the real server on port 0 over a fresh database of its own (a SQLite
//! file, or a new PostgreSQL database that is dropped afterwards), with a manual clock.
#![allow(dead_code)]

use convo_server::clock::Clock;
use convo_server::files::FileStore;
use convo_server::http::{AppState, Settings, app};
use convo_server::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs an async test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Db::Postgres).await
            }
        }
    )*};
}

pub const START: &str = "2026-11-27T12:00:00Z";

/// The PostgreSQL server tests use; `CONVO_TEST_POSTGRES_URL` points elsewhere.
pub fn postgres_admin_url() -> String {
    std::env::var("CONVO_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh PostgreSQL database, dropped when this goes.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        use sqlx::Connection;
        static N: AtomicU64 = AtomicU64::new(0);
        let admin = postgres_admin_url();
        let name = format!("convo_test_{}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst), rand_suffix());
        let mut conn = sqlx::postgres::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is unreachable at {admin} ({e}); start it or set CONVO_TEST_POSTGRES_URL")
        });
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
        PgDatabase { url: format!("{base}/{name}"), name }
    }
}

fn rand_suffix() -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{t:x}")
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = postgres_admin_url();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::postgres::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    pub database_url: String,
    pub db: Db,
    _pg: Option<PgDatabase>,
}

pub struct Seeded {
    pub alice_assistants: [&'static str; 2],
    pub bob_assistant: &'static str,
}

pub const ALICE: (&str, &str) = ("alice@example.com", "alice-password");
pub const BOB: (&str, &str) = ("bob@example.com", "bob-password");

impl TestApp {
    pub async fn start(db: Db) -> TestApp {
        TestApp::start_with(db, Settings::default()).await
    }

    pub async fn start_with(db: Db, settings: Settings) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, pg) = match db {
            Db::Sqlite => (format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()), None),
            Db::Postgres => {
                let pg = PgDatabase::create().await;
                (pg.url.clone(), Some(pg))
            }
        };
        let store = Store::connect(&database_url).await.unwrap();
        let files = FileStore::open(dir.path()).unwrap();
        let clock = Clock::manual(START.parse().unwrap());
        let state = AppState { store, files, clock, settings: Arc::new(settings), web_dir: None };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(axum::serve(listener, app(state.clone())).into_future());
        TestApp { base, state, dir, database_url, db, _pg: pg }
    }

    /// Two accounts (Alice sees two assistants, Bob a third), and conversations from the
    /// demo generator, whose import lines carry internal fields.
    pub async fn seed(&self, conversations_per_assistant: usize) -> Seeded {
        let now = self.state.clock.now();
        let path = self.dir.path().join("seed.jsonl");
        let mut lines = String::new();
        for (i, assistant) in ["support-bot", "sales-bot", "bobs-bot"].iter().enumerate() {
            let spec = convo_demo::Spec {
                assistant_id: assistant.to_string(),
                conversations: conversations_per_assistant,
                messages_per_conversation: 6,
                end: now,
                span_days: 60,
                seed: i as u64 + 1,
            };
            for c in convo_demo::conversations(&spec) {
                lines.push_str(&convo_demo::import_line(&c));
                lines.push('\n');
            }
        }
        std::fs::write(&path, lines).unwrap();
        convo_server::import::import_file(&self.state.store, &path, now).await.unwrap();
        for ((email, password), assistants) in [(ALICE, &["support-bot", "sales-bot"][..]), (BOB, &["bobs-bot"][..])] {
            let id = self.state.store.create_account(email, email, &convo_server::auth::hash_password(password), now).await.unwrap();
            for a in assistants {
                let pk = self.state.store.ensure_assistant(a, None, now).await.unwrap();
                self.state.store.set_assistant_config(a, r#"{"prompt":"INTERNAL config"}"#).await.unwrap();
                self.state.store.grant(id, pk).await.unwrap();
            }
        }
        Seeded { alice_assistants: ["support-bot", "sales-bot"], bob_assistant: "bobs-bot" }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client with a session cookie for this account.
    pub async fn login(&self, (email, password): (&str, &str)) -> reqwest::Client {
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let r = client
            .post(self.url("/api/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login of {email}");
        client
    }
}

/// SHA-256 as `Content-Digest` wants it.
pub fn content_digest(body: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body)))
}

/// Strings that mark internal fields: they must appear in no response and no export.
pub const CANARIES: [&str; 8] =
    ["INTERNAL", "prompt_tokens", "completion_tokens", "cost_usd", "\"tokens\"", "\"model\"", "\"system\"", "\"tool\""];

pub fn assert_no_canary(what: &str, body: &str) {
    for canary in CANARIES {
        assert!(!body.contains(canary), "{what} leaked {canary}: {}", &body[..body.len().min(300)]);
    }
}
