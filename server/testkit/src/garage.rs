//! A real S3-compatible server for tests: Garage, single node, one bucket and key, in a
//! directory of its own, stopped on drop. `cargo xtask test` installs the `garage`
//! binary (in cargo's bin folder); tests fail with a clear message when it is missing.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the test harness finds Garage: `GARAGE`, else cargo's bin folder, else `PATH`.
pub fn garage_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("GARAGE") {
        return PathBuf::from(path);
    }
    let home =
        std::env::var_os("CARGO_HOME").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    match home.map(|h| h.join("bin/garage")) {
        Some(path) if path.is_file() => path,
        _ => PathBuf::from("garage"),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn random_hex(bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rand_byte())).collect()
}

fn rand_byte() -> u8 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish() as u8
}

/// A running Garage with one bucket, and how to reach it.
pub struct Garage {
    child: Child,
    _dir: tempfile::TempDir,
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
}

impl Garage {
    /// Starts Garage and waits until its S3 API answers.
    pub fn start() -> Garage {
        let dir = tempfile::tempdir().expect("a directory for Garage");
        let (rpc, s3) = (free_port(), free_port());
        let region = "garage".to_string();
        let config = dir.path().join("garage.toml");
        std::fs::write(
            &config,
            format!(
                "metadata_dir = \"{meta}\"\ndata_dir = \"{data}\"\ndb_engine = \"sqlite\"\nreplication_factor = 1\n\
                 rpc_bind_addr = \"127.0.0.1:{rpc}\"\nrpc_public_addr = \"127.0.0.1:{rpc}\"\nrpc_secret = \"{secret}\"\n\n\
                 [s3_api]\ns3_region = \"{region}\"\napi_bind_addr = \"127.0.0.1:{s3}\"\nroot_domain = \".s3.garage.localhost\"\n",
                meta = dir.path().join("meta").display(),
                data = dir.path().join("data").display(),
                secret = random_hex(32),
            ),
        )
        .expect("Garage's configuration");
        let access_key = format!("GK{}", random_hex(12));
        let secret_key = random_hex(32);
        let bucket = format!("convo-test-{}", random_hex(4));
        let binary = garage_binary();
        let child = Command::new(&binary)
            .arg("-c")
            .arg(&config)
            .args(["server", "--single-node", "--default-bucket"])
            .env("GARAGE_DEFAULT_ACCESS_KEY", &access_key)
            .env("GARAGE_DEFAULT_SECRET_KEY", &secret_key)
            .env("GARAGE_DEFAULT_BUCKET", &bucket)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({e}): `cargo xtask test` installs Garage", binary.display()));
        let garage = Garage { child, _dir: dir, endpoint: format!("http://127.0.0.1:{s3}"), region, bucket, access_key, secret_key };
        garage.wait_ready();
        garage
    }

    /// Waits until the bucket answers a signed request (the key and bucket are made at
    /// start, a moment after the port opens).
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        loop {
            let store = self.object_store();
            let ok = runtime.block_on(async {
                use object_store::ObjectStoreExt;
                store.put(&object_store::path::Path::from("ready-check"), "ok".into()).await.is_ok()
            });
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "Garage did not answer at {} within 60 s", self.endpoint);
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn object_store(&self) -> object_store::aws::AmazonS3 {
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_region(&self.region)
            .with_bucket_name(&self.bucket)
            .with_access_key_id(&self.access_key)
            .with_secret_access_key(&self.secret_key)
            .with_allow_http(true)
            .build()
            .expect("an S3 client")
    }

    /// The standard AWS variables for a process that should use this Garage.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", self.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key.clone()),
            ("AWS_REGION", self.region.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
        ]
    }

    /// `--storage` for this bucket, under a prefix of the caller's (one per test).
    pub fn storage_url(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.bucket)
    }

    /// The settings an in-process server uses for it (no process variables touched).
    pub fn s3(&self) -> convo_server::files::S3 {
        convo_server::files::S3 {
            endpoint: Some(self.endpoint.clone()),
            region: Some(self.region.clone()),
            access_key_id: Some(self.access_key.clone()),
            secret_access_key: Some(self.secret_key.clone()),
        }
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
