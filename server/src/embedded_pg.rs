//! A project-local PostgreSQL cluster for development: used when no `DATABASE_URL` is given.
//!
//! It is created from the machine's PostgreSQL binaries under the data directory, listens only
//! on a Unix socket inside it (so the machine's own server on 5432 is never in the way), and is
//! left running between runs like any development database. Stop it with
//! `pg_ctl -D .data/postgres stop`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context, Result};

pub const DATABASE: &str = "auto_concierge";
const PORT: u16 = 5432;

/// Makes sure the cluster exists and runs; returns the owner's connection URL.
pub async fn ensure(data_dir: &Path) -> Result<String> {
    let data_dir = std::path::absolute(data_dir).context("data directory")?;
    let pgdata = data_dir.join("postgres");
    let socket_dir = data_dir.join("postgres-socket");
    let bin = find_bin_dir()?;
    // PostgreSQL refuses to run as root; as root we run it as the `postgres` system user.
    let run_as = is_root().then_some("postgres");

    std::fs::create_dir_all(&data_dir)?;
    for dir in [&pgdata, &socket_dir] {
        std::fs::create_dir_all(dir)?;
        if let Some(user) = run_as {
            run(Command::new("chown").arg(user).arg(dir))?;
        }
    }

    if !pgdata.join("PG_VERSION").exists() {
        tracing::info!(path = %pgdata.display(), "creating a local PostgreSQL cluster");
        run(pg_command(&bin, "initdb", run_as)
            .arg("-D")
            .arg(&pgdata)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]))?;
        let settings = format!(
            "\n# Auto-Concierge development cluster: Unix socket only.\nlisten_addresses = ''\nunix_socket_directories = '{}'\nport = {PORT}\n",
            socket_dir.display()
        );
        let conf = pgdata.join("postgresql.conf");
        let mut contents = std::fs::read_to_string(&conf)?;
        contents.push_str(&settings);
        std::fs::write(&conf, contents)?;
    }

    let running = pg_command(&bin, "pg_ctl", run_as)
        .arg("status")
        .arg("-D")
        .arg(&pgdata)
        .output()?
        .status
        .success();
    if !running {
        tracing::info!("starting the local PostgreSQL cluster");
        run(pg_command(&bin, "pg_ctl", run_as)
            .arg("start")
            .arg("-w")
            .arg("-D")
            .arg(&pgdata)
            .arg("-l")
            .arg(pgdata.join("server.log")))?;
    }

    let admin_url = url(&socket_dir, "postgres");
    let admin = sqlx::PgPool::connect(&admin_url)
        .await
        .context("connecting to the local cluster")?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
        DATABASE
    )
    .fetch_one(&admin)
    .await?;
    if !exists {
        // DDL with a name, not a value: runtime.
        sqlx::query(&format!("CREATE DATABASE {DATABASE}"))
            .execute(&admin)
            .await?;
    }
    admin.close().await;
    Ok(url(&socket_dir, DATABASE))
}

fn url(socket_dir: &Path, database: &str) -> String {
    format!(
        "postgres://postgres@localhost:{PORT}/{database}?host={}",
        socket_dir.display()
    )
}

fn pg_command(bin: &Path, program: &str, run_as: Option<&str>) -> Command {
    let path = bin.join(program);
    match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(path);
            c
        }
        None => Command::new(path),
    }
}

fn run(command: &mut Command) -> Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Finds the directory with `initdb` and `pg_ctl`: `pg_config --bindir`, Debian's versioned
/// directories (newest first), then `PATH`.
fn find_bin_dir() -> Result<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").exists() && dir.join("pg_ctl").exists();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_tools(&dir) {
            return Ok(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(dir) = versions.into_iter().rev().find(|d| has_tools(d)) {
        return Ok(dir);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&paths).find(|d| has_tools(d)) {
            return Ok(dir);
        }
    }
    bail!("PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL 15+ or set DATABASE_URL")
}
