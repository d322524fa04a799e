//! A private PostgreSQL cluster for one test, from the machine's PostgreSQL binaries: for what
//! cannot be done to the shared server — roles made exactly as a DBA would (roles are
//! cluster-wide), or restarting PostgreSQL under load.
//!
//! It listens on a free port on 127.0.0.1 (password authentication over TCP, as in production)
//! and on a Unix socket in its own directory (trust, for the superuser's setup). Dropping it
//! stops it and removes its files.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use super::server::free_port;

pub struct PrivateCluster {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
}

/// PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("initdb")
}

impl PrivateCluster {
    pub fn start() -> PrivateCluster {
        let dir = std::env::temp_dir().join(format!(
            "ac-cluster-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(dir.join("socket")).unwrap();
        let cluster = PrivateCluster {
            dir,
            bin: bin_dir(),
            port: free_port(),
        };
        if is_root() {
            cluster.run(
                Command::new("chown")
                    .args(["-R", "postgres"])
                    .arg(&cluster.dir),
            );
        }
        cluster.run(cluster.pg("initdb").arg("-D").arg(cluster.data()).args([
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ]));
        let settings = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\nfsync = off\nmax_connections = 200\n",
            cluster.port,
            cluster.socket().display()
        );
        let conf = cluster.data().join("postgresql.conf");
        let mut contents = std::fs::read_to_string(&conf).unwrap();
        contents.push_str(&settings);
        std::fs::write(&conf, contents).unwrap();
        cluster.pg_ctl(&["start", "-w"]);
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("socket")
    }

    fn pg(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn run(&self, command: &mut Command) {
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{command:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn pg_ctl(&self, args: &[&str]) {
        let log = self.dir.join("server.log");
        self.run(
            self.pg("pg_ctl")
                .args(args)
                .arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(log),
        );
    }

    /// `pg_ctl restart -m fast`: every connection is cut, as when PostgreSQL is restarted.
    pub fn restart(&self) {
        self.pg_ctl(&["restart", "-w", "-m", "fast"]);
    }

    /// The superuser, over the Unix socket (trust).
    pub fn superuser_url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@localhost/{database}?host={}&port={}",
            self.socket().display(),
            self.port
        )
    }

    /// A role with a password, over TCP as a server elsewhere would be reached.
    pub fn url(&self, user: &str, password: &str, database: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self
            .pg("pg_ctl")
            .args(["stop", "-m", "immediate", "-D"])
            .arg(self.data())
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
