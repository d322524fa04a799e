//! Black-box test support: the real server binary on a free port, against a fresh database.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use super::TestDb;

pub struct TestServer {
    pub base: String,
    child: Child,
    pub log_path: std::path::PathBuf,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `server ROLE` in production mode with the tests' keys, and nothing else from this process's
/// environment (set `DATABASE_URL` and the rest on the command).
pub fn bare_command(role: &str) -> Command {
    let config = super::test_config();
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .args(role.split_whitespace())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ENVIRONMENT", "production")
        .env("SECRET_KEY", config.secret_key.expose())
        .env("ENCRYPTION_KEY", config.encryption_key.expose());
    command
}

/// `server ROLE` on the database of `db` (as its owner).
fn server_command(db: &TestDb, role: &str) -> Command {
    let mut command = bare_command(role);
    command.env("DATABASE_URL", &db.owner_url);
    command
}

/// `server bot` or `server worker`: one role alone, as a separate production process, talking to
/// the Bot API at `telegram`. Killed when dropped.
pub struct RoleProcess {
    child: Child,
}

impl RoleProcess {
    pub fn start(db: &TestDb, telegram: &str, role: &str) -> RoleProcess {
        let mut command = server_command(db, role);
        command.env("TELEGRAM_API_URL", telegram);
        RoleProcess::spawn(command, None)
    }

    /// [`RoleProcess::start`] with the process's output in `log`.
    pub fn start_logged(
        db: &TestDb,
        telegram: &str,
        role: &str,
        log: &std::path::Path,
    ) -> RoleProcess {
        let mut command = server_command(db, role);
        command.env("TELEGRAM_API_URL", telegram);
        RoleProcess::spawn(command, Some(log))
    }

    /// Starts `command` (from [`bare_command`]), its output into `log` when given.
    pub fn spawn(mut command: Command, log: Option<&std::path::Path>) -> RoleProcess {
        command.env("RUST_LOG", "info,sqlx=warn");
        match log {
            Some(path) => {
                let file = std::fs::File::create(path).unwrap();
                command
                    .stdout(Stdio::from(file.try_clone().unwrap()))
                    .stderr(Stdio::from(file));
            }
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
        RoleProcess { child }
    }

    pub fn terminate(&self) {
        terminate(self.child.id());
    }

    pub async fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        wait_exit(&mut self.child, limit).await
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RoleProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

impl TestServer {
    /// Starts `server serve` on the database of `db` (production mode: no demo data is added
    /// by the server itself). `extra` sets more environment variables (e.g. `REDIS_URL`).
    pub async fn start(db: &TestDb, extra: &[(&str, &str)]) -> TestServer {
        TestServer::launch(server_command(db, "serve"), &db.name, extra).await
    }

    /// Starts `command` (a `server serve` from [`bare_command`]) on a free port and waits until
    /// `/health` answers.
    pub async fn launch(mut command: Command, label: &str, extra: &[(&str, &str)]) -> TestServer {
        let port = free_port();
        let log_path = std::env::temp_dir().join(format!("ac-test-server-{label}-{port}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        command
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "auto-concierge")
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("RUST_LOG", "info,sqlx=warn,tower_http=warn")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        for (k, v) in extra {
            command.env(k, v);
        }
        let child = command.spawn().expect("start the server binary");
        let server = TestServer {
            base: format!("http://127.0.0.1:{port}"),
            child,
            log_path,
        };
        let started = Instant::now();
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(format!("{}/health", server.base)).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server did not start:\n{}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as an orchestrator stopping the process would.
    pub fn terminate(&self) {
        terminate(self.child.id());
    }

    /// Waits up to `limit` for the process to exit; its exit status, or `None` if it still runs.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        wait_exit(&mut self.child, limit).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.log_path);
    }
}

/// Sends SIGTERM to a process.
pub fn terminate(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -TERM {pid}");
}

/// Waits up to `limit` for `child` to exit, without blocking the test's runtime (fakes the
/// process talks to run on it).
pub async fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if started.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Logs in through the API: the status and, on success, the bearer token.
pub async fn login(server: &TestServer, email: &str, password: &str) -> (u16, Option<String>) {
    let response = reqwest::Client::new()
        .post(server.url("/api/v1/login/access-token"))
        .form(&[("username", email), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["access_token"].as_str().map(str::to_string))
}

/// `/metrics` as Prometheus reads it with `METRICS_TOKEN` = `token`.
pub async fn metrics(server: &TestServer, token: &str) -> String {
    reqwest::Client::new()
        .get(server.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Logs in through the API and returns the bearer token.
pub async fn token(server: &TestServer, email: &str, password: &str) -> String {
    let (status, token) = login(server, email, password).await;
    assert_eq!(status, 200, "login of {email}");
    token.unwrap()
}

/// A small client that sends the bearer token and returns (status, JSON body).
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(server: &TestServer, token: String) -> Api {
        Api {
            base: server.base.clone(),
            token,
            http: reqwest::Client::new(),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }
}
