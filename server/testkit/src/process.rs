//! The `convo-export` binary as operators run it: one command at a time, or `serve` in a
//! process of its own (killed when dropped). Callers pass the binary's path
//! (`env!("CARGO_BIN_EXE_convo-export")`, which only the server's own targets know).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// Runs one command with `--data-dir` (and `--database-url` when given), feeding `stdin`.
pub fn cli(bin: &str, data_dir: &Path, database_url: Option<&str>, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args).arg("--data-dir").arg(data_dir);
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    run(cmd, stdin)
}

/// Runs a prepared command to its end, feeding `stdin` when given.
///
/// A command may refuse its arguments and exit before it reads its input (`encrypt`
/// of a file that is already sealed, say): writing to its closed pipe then fails with
/// `BrokenPipe`, which is the command's answer, not the test's failure. CI saw exactly
/// that race once.
pub fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the binary starts");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        match pipe.write_all(input.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("stdin: {e}"),
            _ => {}
        }
    }
    child.wait_with_output().expect("the binary ends")
}

/// The standard output of a command that must succeed.
pub fn ok(output: Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// `convo-export serve` in a process of its own, on a port of its choosing.
pub struct ServerProcess {
    pub child: Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts `serve` with `args` after the defaults (no demo data, port 0, API only) and
    /// waits until it says where it listens.
    pub fn start(bin: &str, data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> ServerProcess {
        ServerProcess::spawn(Command::new(bin), data_dir, database_url, args)
    }

    /// As [`ServerProcess::start`], from a command prepared by the caller (its
    /// environment, say).
    pub fn spawn(mut cmd: Command, data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> ServerProcess {
        cmd.args(["serve", "--no-demo", "--addr", "127.0.0.1:0", "--web-dir", "/nonexistent"]).arg("--data-dir").arg(data_dir);
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        cmd.args(args);
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("serve starts");
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        stdout.read_line(&mut first).expect("serve prints its address");
        // Keep reading whatever it prints later: a closed pipe would fail its writes.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let base = first.trim().rsplit(' ').next().unwrap_or_default().trim_end_matches('/').to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "serve said {first:?}");
        ServerProcess { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client with a session cookie for this account.
    pub async fn login(&self, account: (&str, &str)) -> reqwest::Client {
        crate::login(&self.base, account).await
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
