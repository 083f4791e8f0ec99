//! The server's test application: the real server on port 0 over a fresh database of
//! its own (a SQLite file, or a new PostgreSQL database dropped afterwards) with a
//! manual clock; the `convo-export` binary as a process; seed data with the internal
//! fields a real import carries. Server tests, benches and the browser tests share it.

mod garage;
pub mod measure;
mod process;

pub use garage::{Garage, garage_binary};
pub use process::{ServerProcess, cli, ok, run};

use convo_server::clock::Clock;
use convo_server::config::DataConfig;
use convo_server::http::app;
use convo_server::settings::Settings;
use convo_server::state::AppState;
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
                super::$name($crate::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Db::Postgres).await
            }
        }
    )*};
}

/// Where every test's manual clock starts.
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
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let name = format!("convo_test_{}_{}_{nanos:x}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        let mut conn = sqlx::postgres::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is unreachable at {admin} ({e}); start it or set CONVO_TEST_POSTGRES_URL"));
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("CREATE DATABASE");
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
        PgDatabase { url: format!("{base}/{name}"), name }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = postgres_admin_url();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
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

/// The server on port 0 over its own database and data directory.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    pub database_url: String,
    pub db: Db,
    /// What the server was opened with (its storage included).
    pub config: DataConfig,
    _pg: Option<PgDatabase>,
}

/// How [`TestApp::serve`] differs from the defaults.
#[derive(Default)]
pub struct Options {
    pub settings: Settings,
    /// A manual clock at [`START`] unless given.
    pub clock: Option<Clock>,
    /// The built web app to serve, for browser tests.
    pub web_dir: Option<std::path::PathBuf>,
    /// Where export files live (the data directory when none): an S3 bucket, say.
    pub storage: Option<(convo_server::files::Storage, convo_server::files::S3)>,
}

/// Who [`TestApp::seed`] made.
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
        TestApp::serve(db, Options { settings, ..Options::default() }).await
    }

    pub async fn serve(db: Db, options: Options) -> TestApp {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let pg = match db {
            Db::Sqlite => None,
            Db::Postgres => Some(PgDatabase::create().await),
        };
        let mut config = DataConfig::new(dir.path(), pg.as_ref().map(|pg| pg.url.clone()));
        if let Some((storage, s3)) = options.storage {
            config.storage = Some(storage);
            config.s3 = s3;
        }
        let clock = options.clock.unwrap_or_else(|| Clock::manual(START.parse().expect("START is RFC 3339")));
        let state = AppState::open(&config, clock, options.settings, options.web_dir).await.expect("the test application opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let settings = state.settings.clone();
        let router = app(state.clone());
        tokio::spawn(async move { convo_server::http::serve(listener, router, &settings, std::future::pending()).await });
        TestApp { base, state, dir, database_url: config.database_url(), db, config, _pg: pg }
    }

    /// Two accounts (Alice sees two assistants, Bob a third), and conversations from the
    /// demo generator, whose import lines carry internal fields.
    pub async fn seed(&self, conversations_per_assistant: usize) -> Seeded {
        let now = self.state.clock.now();
        let path = self.dir.path().join("seed.jsonl");
        let mut lines = String::new();
        for (i, assistant) in ["support-bot", "sales-bot", "bobs-bot"].iter().enumerate() {
            lines.push_str(&import_lines(assistant, conversations_per_assistant, 6, now, 60, i as u64 + 1));
        }
        std::fs::write(&path, lines).expect("seed file");
        convo_server::import::import_file(&self.state.store, &path, now, &indicatif::ProgressBar::hidden()).await.expect("seed import");
        for ((email, password), assistants) in [(ALICE, &["support-bot", "sales-bot"][..]), (BOB, &["bobs-bot"][..])] {
            self.add_account(email, password, assistants).await;
        }
        Seeded { alice_assistants: ["support-bot", "sales-bot"], bob_assistant: "bobs-bot" }
    }

    /// An account that sees `assistants` (each with internal configuration).
    pub async fn add_account(&self, email: &str, password: &str, assistants: &[&str]) -> i64 {
        let now = self.state.clock.now();
        let store = &self.state.store;
        let id = store.create_account(email, email, &convo_server::auth::hash_password(password), now).await.expect("account");
        for a in assistants {
            let pk = store.ensure_assistant(a, None, now).await.expect("assistant");
            store.set_assistant_config(a, r#"{"prompt":"INTERNAL config"}"#).await.expect("config");
            store.grant(id, pk).await.expect("grant");
        }
        id
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Another process's state on the same database and files (without its HTTP side):
    /// for tests of what several servers do at once.
    pub async fn sibling(&self, options: Options) -> AppState {
        let config = self.config.clone();
        let clock = options.clock.unwrap_or_else(|| Clock::manual(START.parse().expect("START is RFC 3339")));
        AppState::open(&config, clock, options.settings, None).await.expect("the sibling opens")
    }

    /// The keys of every stored object (of export `id` when given).
    pub async fn objects(&self, id: Option<&str>) -> Vec<String> {
        let mut keys: Vec<String> = self.state.files().list(id).await.expect("listing").into_iter().map(|o| o.key).collect();
        keys.sort();
        keys
    }

    /// The bytes of export `id`'s recorded file, if it has one.
    pub async fn file_of(&self, id: &str) -> Option<Vec<u8>> {
        let export = self.state.store.export_by_id(id).await.expect("export row")?;
        let key = export.file_key?;
        let body = match export.file_parts {
            Some(_) => {
                let parts = self.state.store.parts(id).await.expect("parts").into_iter().map(|p| (p.key, p.size as u64)).collect();
                self.state.files().read_parts(parts, 0..export.size_bytes.unwrap_or(0) as u64)
            }
            None => self.state.files().read(&key, None).await.ok()?.1,
        };
        let chunks: Vec<_> = futures_util::TryStreamExt::try_collect(body).await.ok()?;
        Some(chunks.concat())
    }

    /// A client with a session cookie for this account.
    pub async fn login(&self, account: (&str, &str)) -> reqwest::Client {
        login(&self.base, account).await
    }
}

/// Logs in at `base`; panics unless it works.
pub async fn login(base: &str, (email, password): (&str, &str)) -> reqwest::Client {
    let client = reqwest::Client::builder().cookie_store(true).build().expect("a client");
    let r = client
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login answered");
    assert_eq!(r.status(), 200, "login of {email}");
    client
}

/// Creates an export at `base` (`POST /api/exports` with `body`); panics unless it is
/// created, and returns its id.
pub async fn create_export(client: &reqwest::Client, base: &str, body: serde_json::Value) -> String {
    let r = client.post(format!("{base}/api/exports")).json(&body).send().await.expect("create answered");
    let status = r.status();
    let created: serde_json::Value = r.json().await.expect("a JSON answer");
    assert_eq!(status, 201, "create {body}: {created}");
    created["export"]["id"].as_str().expect("an export id").to_string()
}

/// Uploads `file` whole as export `id`'s rendering (`PUT …/content` with its digest).
pub async fn upload(client: &reqwest::Client, base: &str, id: &str, file: &[u8]) -> reqwest::Response {
    let url = format!("{base}/api/exports/{id}/content");
    client.put(url).header("content-digest", content_digest(file)).body(file.to_vec()).send().await.expect("upload answered")
}

/// JSON Lines of `conversations` demo conversations of `assistant`, ending at `end`.
pub fn import_lines(
    assistant: &str,
    conversations: usize,
    messages: usize,
    end: convo_model::Timestamp,
    span_days: i64,
    seed: u64,
) -> String {
    let spec =
        convo_demo::Spec { assistant_id: assistant.into(), conversations, messages_per_conversation: messages, end, span_days, seed };
    let mut text = String::new();
    for c in convo_demo::conversations(&spec) {
        text.push_str(&convo_demo::import_line(&c));
        text.push('\n');
    }
    text
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
