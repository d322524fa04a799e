//! A private Redis server for a test, so that it can be stopped, or started late.

use std::time::Duration;

/// A private Redis server on a free port, so a test can stop it mid-run.
pub struct TestRedis {
    child: std::process::Child,
    pub url: String,
}

impl TestRedis {
    pub async fn start() -> TestRedis {
        TestRedis::start_on(super::server::free_port()).await
    }

    /// On a port chosen beforehand (processes may have been told of it while it was down).
    pub async fn start_on(port: u16) -> TestRedis {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server on PATH");
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        TestRedis {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
