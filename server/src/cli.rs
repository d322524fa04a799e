//! Command line: `serve` (the default) and the admin commands.

use std::{collections::BTreeMap, io::BufRead, time::Instant};

use anyhow::{bail, Context, Result};
use app::domain::{
    accounts::{self, NewTenant},
    auth::{hash_password, Role},
    concierge::{Catalogue, Concierge},
    db, demo, AppState, Config, Db,
};
use clap::{Parser, Subcommand};

use crate::shutdown::Shutdown;

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Auto-Concierge: web admin, REST API and admin commands"
)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web admin, the REST API, the Telegram bots and the worker (the default).
    Serve {
        /// Only the web admin and the REST API: the bots and the worker run as separate `bot`
        /// and `worker` processes (production; `WEB_ONLY=true` in the environment).
        #[arg(long, env = "WEB_ONLY")]
        web_only: bool,
    },
    /// Run only the Telegram bots (a separate process in production). Several may run: each
    /// bot is polled by one of them at a time.
    Bot,
    /// Run only the worker: status messages and reminders to clients from the durable queue.
    /// Several may run: each job is taken by one of them.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Create the two demo companies with users, shops, catalogue, clients and a week of
    /// appointments; companies that already exist are left alone.
    SeedDemo,
    /// Create the company «История» (`istoriya`) with months of visits, for the reports'
    /// benchmark (`scripts/bench-reports.sh`).
    SeedHistory {
        /// How many months back from today.
        #[arg(long, default_value_t = 12)]
        months: u32,
        /// Visits a day (±20 %); 275 a day for 12 months is about 100 000 visits.
        #[arg(long, default_value_t = 275)]
        visits_per_day: u32,
    },
    /// Companies (tenants).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Measure the concierge on a labelled JSONL file (`{"text", "intent", "categories"}` a line)
    /// against the demo catalogue: intent accuracy, category hit@3, engine, latency. Needs no
    /// database; uses the LLM when `AI_PROVIDER` is set.
    ConciergeEval { file: std::path::PathBuf },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a company and its first admin. The password is read from standard input.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        slug: String,
        #[arg(long, default_value = "Europe/Moscow")]
        timezone: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long, default_value = "")]
        admin_name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account (admin or manager of a company, or a superadmin with no company).
    /// The password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        /// superadmin | admin | manager
        #[arg(long)]
        role: String,
        /// Slug of the company; not used for superadmin.
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, default_value = "")]
        full_name: String,
    },
}

pub async fn run(args: Args) -> Result<()> {
    let config = Config::from_env()?;
    match args.command.unwrap_or(Command::Serve { web_only: false }) {
        // Needs no database: it runs against the demo catalogue file.
        Command::ConciergeEval { file } => concierge_eval(&config, &file).await,
        command => run_with_database(config, command).await,
    }
}

async fn run_with_database(config: Config, command: Command) -> Result<()> {
    match command {
        Command::Bot | Command::Worker => run_role(config, command).await,
        Command::Serve { web_only } => serve(config, web_only).await,
        Command::ConciergeEval { file } => {
            migrate_schema(&config).await?;
            concierge_eval(&config, &file).await
        }
        Command::Migrate => {
            migrate_schema(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => seed_demo_command(&config).await,
        Command::SeedHistory {
            months,
            visits_per_day,
        } => {
            if !(1..=36).contains(&months) || !(1..=400).contains(&visits_per_day) {
                bail!("--months: 1 to 36, --visits-per-day: 1 to 400");
            }
            let (db, _) = connect_migrated(&config, 2).await?;
            let started = Instant::now();
            let visits = demo::history::seed(&db, months, visits_per_day).await?;
            println!(
                "company {} created with {visits} visits in {:.1} s; log in as admin@istoriya.demo / {}",
                demo::history::SLUG,
                started.elapsed().as_secs_f64(),
                demo::DEMO_PASSWORD
            );
            Ok(())
        }
        Command::Tenant {
            command:
                TenantCommand::Create {
                    name,
                    slug,
                    timezone,
                    admin_email,
                    admin_name,
                },
        } => {
            let new = NewTenantArgs {
                name,
                slug,
                timezone,
                admin_email,
                admin_name,
            };
            create_tenant_command(&config, new).await
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    role,
                    tenant,
                    full_name,
                },
        } => create_user_command(&config, &email, &role, tenant, &full_name).await,
    }
}

/// Brings the schema to this binary's version as its owner; returns the owner's URL.
async fn migrate_schema(config: &Config) -> Result<String> {
    let owner_url = owner_url(config).await?;
    let owner = db::connect_owner(&owner_url)
        .await
        .context("connecting to PostgreSQL")?;
    db::migrate(&owner).await?;
    owner.close().await;
    Ok(owner_url)
}

/// The runtime role's pool of `max` connections, on a migrated schema.
async fn connect_migrated(config: &Config, max: u32) -> Result<(Db, String)> {
    let owner_url = migrate_schema(config).await?;
    let db = Db::connect_app(config, &owner_url, max)
        .await
        .context("connecting as the application role")?;
    Ok((db, owner_url))
}

/// `serve`: the web server, and unless `web_only` the bots and the worker in the same process.
async fn serve(config: Config, web_only: bool) -> Result<()> {
    let (db, owner_url) = connect_migrated(&config, config.database_pool_size).await?;
    if config.seeds_demo_automatically() && !has_any_tenant(&owner_url).await? {
        tracing::info!("empty development database: loading the demo data");
        demo::seed_demo(&db).await?;
    }
    let state = AppState::new(db, config).await?;
    if let Some(token) = &state.config.telegram_bot_token {
        connect_v1_bot(&state, &owner_url, token.expose()).await?;
    }
    let shutdown = Shutdown::on_signal();
    let background = if web_only {
        tracing::info!("web only: the bots and the worker run as their own processes");
        Vec::new()
    } else {
        vec![
            crate::bot::supervisor::spawn(state.clone(), shutdown.clone()),
            crate::worker::spawn(state.clone(), shutdown.clone()),
        ]
    };
    let served = crate::http::serve(state, shutdown).await;
    // The bots and the worker finish what they hold (an update, a message) and stop.
    for task in background {
        let _ = task.await;
    }
    served
}

async fn seed_demo_command(config: &Config) -> Result<()> {
    let (db, _) = connect_migrated(config, 2).await?;
    let report = demo::seed_demo(&db).await?;
    for slug in &report.created {
        println!("created demo company {slug}");
    }
    for slug in &report.existing {
        println!("demo company {slug} already exists, left as it is");
    }
    print_demo_logins();
    Ok(())
}

/// `tenant create`'s arguments.
struct NewTenantArgs {
    name: String,
    slug: String,
    timezone: String,
    admin_email: String,
    admin_name: String,
}

async fn create_tenant_command(config: &Config, new: NewTenantArgs) -> Result<()> {
    let password = read_password()?;
    let (db, _) = connect_migrated(config, 2).await?;
    let tenant = accounts::create_tenant(
        &db,
        &NewTenant {
            name: &new.name,
            slug: &new.slug,
            timezone: &new.timezone,
            admin_email: &new.admin_email,
            admin_password: &password,
            admin_full_name: &new.admin_name,
        },
    )
    .await?;
    println!(
        "created company {} (id {}) with admin {}",
        new.slug, tenant.0, new.admin_email
    );
    Ok(())
}

async fn create_user_command(
    config: &Config,
    email: &str,
    role: &str,
    tenant: Option<String>,
    full_name: &str,
) -> Result<()> {
    let role = Role::parse(role).context("role must be superadmin, admin or manager")?;
    let password = read_password()?;
    let id = match (role, tenant) {
        (Role::Superadmin, None) => {
            let owner_url = migrate_schema(config).await?;
            create_superadmin(&owner_url, email, &password, full_name).await?
        }
        (Role::Superadmin, Some(_)) => bail!("a superadmin belongs to no company: omit --tenant"),
        (_, None) => bail!("--tenant <slug> is required for admin and manager accounts"),
        (role, Some(slug)) => {
            let (db, _) = connect_migrated(config, 2).await?;
            let tenant = accounts::tenant_id_by_slug(&db, &slug)
                .await?
                .with_context(|| format!("no company with slug {slug}"))?;
            let mut tx = db.tenant_tx(tenant).await?;
            let id = accounts::create_staff_in(&mut tx, tenant, email, &password, full_name, role)
                .await?;
            tx.commit().await?;
            id
        }
    };
    println!("created user {email} (id {id}, {})", role.as_str());
    Ok(())
}

/// `bot` and `worker`: they work as the runtime role only (`APP_DATABASE_URL`, or the owner's
/// connection switching to it) and never migrate — they hold no DDL rights in production and
/// wait until `serve` or `migrate` has brought the schema to this binary's version.
async fn run_role(config: Config, command: Command) -> Result<()> {
    let url = match &config.app_database_url {
        Some(_) => String::new(),
        None => owner_url(&config).await?,
    };
    let max = if let Command::Bot = command { 5 } else { 4 };
    let db = Db::connect_app(&config, &url, max)
        .await
        .context("connecting as the application role")?;
    let shutdown = Shutdown::on_signal();
    let mut waited = false;
    while !db::migrations_current(db.pool()).await? {
        if !waited {
            tracing::info!("waiting for the database to be migrated (by `serve` or `migrate`)");
            waited = true;
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            _ = shutdown.wait() => return Ok(()),
        }
    }
    let state = AppState::new(db, config).await?;
    match command {
        Command::Bot => crate::bot::supervisor::run(state, shutdown).await,
        _ => crate::worker::run(state, shutdown).await,
    }
    Ok(())
}

/// One line of an evaluation set.
#[derive(serde::Deserialize)]
struct LabelledMessage {
    text: String,
    intent: String,
    /// Catalogue categories a good answer suggests; empty: no service is expected.
    #[serde(default)]
    categories: Vec<String>,
}

async fn concierge_eval(config: &Config, file: &std::path::Path) -> Result<()> {
    let jsonl =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let cases = jsonl
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str::<LabelledMessage>(line)
                .with_context(|| format!("{}:{}: not a labelled message", file.display(), i + 1))
        })
        .collect::<Result<Vec<_>>>()?;
    if cases.is_empty() {
        bail!("{} holds no messages", file.display());
    }
    let catalogue = Catalogue::demo()?;
    let concierge = Concierge::new(config.ai.as_ref())?;
    let (mut intents_right, mut with_categories, mut hits) = (0usize, 0usize, 0usize);
    let mut engines: BTreeMap<String, usize> = BTreeMap::new();
    let mut latencies = Vec::with_capacity(cases.len());
    // (labelled, answered) → messages: the confusion table.
    let mut confusion: BTreeMap<(String, String), usize> = BTreeMap::new();
    for case in &cases {
        let started = Instant::now();
        let answer = concierge.analyze(&catalogue, &case.text).await?;
        latencies.push(started.elapsed());
        *engines.entry(answer.engine).or_default() += 1;
        intents_right += usize::from(answer.intent == case.intent);
        *confusion
            .entry((case.intent.clone(), answer.intent.clone()))
            .or_default() += 1;
        if !case.categories.is_empty() {
            with_categories += 1;
            let hit = answer
                .services
                .iter()
                .take(3)
                .any(|s| case.categories.contains(&s.category));
            hits += usize::from(hit);
        }
    }
    latencies.sort();
    // Nearest-rank percentile: the smallest latency at or above p% of the answers.
    let percentile = |p: f64| {
        let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        latencies[rank.clamp(1, latencies.len()) - 1].as_secs_f64() * 1000.0
    };
    let engines: Vec<String> = engines
        .iter()
        .map(|(engine, n)| format!("{engine} {n}"))
        .collect();
    println!(
        "messages: {} ({with_categories} with categories)",
        cases.len()
    );
    println!(
        "intent accuracy: {:.3}",
        intents_right as f64 / cases.len() as f64
    );
    println!(
        "category hit@3: {:.3}",
        hits as f64 / with_categories.max(1) as f64
    );
    println!("engine: {}", engines.join(", "));
    print_confusion(&confusion);
    println!(
        "latency p50: {:.3} ms, p99: {:.3} ms",
        percentile(50.0),
        percentile(99.0)
    );
    Ok(())
}

/// The intents as labelled (rows) against the intents answered (columns), with each row's
/// accuracy; intents no message was labelled or answered with are left out.
fn print_confusion(confusion: &BTreeMap<(String, String), usize>) {
    let intents: Vec<&str> = app::domain::concierge::rules::Intent::ALL
        .iter()
        .map(|i| i.as_str())
        .filter(|i| confusion.keys().any(|(want, got)| want == i || got == i))
        .collect();
    let count = |want: &str, got: &str| {
        confusion
            .get(&(want.to_string(), got.to_string()))
            .copied()
            .unwrap_or(0)
    };
    println!("confusion (rows: labelled, columns: answered):");
    let mut header = format!("{:>14}", "");
    for got in &intents {
        header.push_str(&format!(" {got:>12}"));
    }
    println!("{header} {:>9}", "accuracy");
    for want in &intents {
        let total: usize = intents.iter().map(|got| count(want, got)).sum();
        if total == 0 {
            continue;
        }
        let mut row = format!("{want:>14}");
        for got in &intents {
            row.push_str(&format!(" {:>12}", count(want, got)));
        }
        println!("{row} {:>9.3}", count(want, want) as f64 / total as f64);
    }
}

/// The owner's URL: `DATABASE_URL` (or v1's `POSTGRES_*`), else the project-local cluster.
async fn owner_url(config: &Config) -> Result<String> {
    match &config.database_url {
        Some(url) => Ok(url.expose().to_string()),
        None if config.is_production() => bail!(
            "DATABASE_URL (or POSTGRES_SERVER/USER/PASSWORD/DB) is not set; production does not start a local database"
        ),
        None => crate::embedded_pg::ensure(&config.data_dir).await,
    }
}

/// Whether any company exists (the owner sees all of them).
/// v1's single bot (`TELEGRAM_BOT_TOKEN`): connected at start to the company
/// `TELEGRAM_BOT_TENANT` names, or to the only company — as an admin would connect it in
/// Settings (checked with `getMe`, stored encrypted). A token already connected there is left
/// alone; one Telegram refuses is logged and the server serves on without it.
async fn connect_v1_bot(state: &AppState, owner_url: &str, token: &str) -> Result<()> {
    let tenant = match &state.config.telegram_bot_tenant {
        Some(slug) => accounts::tenant_id_by_slug(&state.db, slug).await?,
        None => {
            let owner = db::connect_owner(owner_url).await?;
            let ids = sqlx::query_scalar!("SELECT id FROM tenants ORDER BY id LIMIT 2")
                .fetch_all(&owner)
                .await?;
            owner.close().await;
            (ids.len() == 1).then(|| db::TenantId(ids[0]))
        }
    };
    let Some(tenant) = tenant else {
        tracing::error!(
            "TELEGRAM_BOT_TOKEN is set but no company to connect it to: set TELEGRAM_BOT_TENANT \
             to the company's short name (there are several, or it does not exist)"
        );
        return Ok(());
    };
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let current = app::domain::telegram::stored_bot(&mut tx).await?;
    drop(tx);
    if current
        .and_then(|bot| bot.token(&state.config).ok())
        .as_deref()
        == Some(token.trim())
    {
        return Ok(());
    }
    match app::domain::telegram::connect_bot(state, tenant, token).await {
        Ok(bot) => {
            tracing::info!(tenant = tenant.0, username = ?bot.bot_username, "TELEGRAM_BOT_TOKEN connected")
        }
        Err(e) => {
            tracing::error!(tenant = tenant.0, error = %e, "TELEGRAM_BOT_TOKEN could not be connected")
        }
    }
    Ok(())
}

async fn has_any_tenant(owner_url: &str) -> Result<bool> {
    let owner = db::connect_owner(owner_url).await?;
    let any = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM tenants) AS "any!""#)
        .fetch_one(&owner)
        .await?;
    owner.close().await;
    Ok(any)
}

/// Superadmins have no tenant and so no tenant scope: they are created by the owner, never
/// through the application role.
async fn create_superadmin(
    owner_url: &str,
    email: &str,
    password: &str,
    full_name: &str,
) -> Result<i64> {
    accounts::validate_account(email, password)?;
    let hash = hash_password(password)?;
    let owner = db::connect_owner(owner_url).await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO users (tenant_id, email, password_hash, full_name, role) VALUES (NULL, $1, $2, $3, 'superadmin') RETURNING id",
        email.trim(),
        hash,
        full_name.trim()
    )
    .fetch_one(&owner)
    .await?;
    owner.close().await;
    Ok(id)
}

/// Passwords come from standard input, not arguments, so they stay out of `ps` and shell history.
fn read_password() -> Result<String> {
    eprintln!("password (read from standard input):");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password given on standard input");
    }
    Ok(password)
}

pub fn print_demo_logins() {
    println!("demo logins (password: {}):", demo::DEMO_PASSWORD);
    for (company, email) in demo::demo_logins() {
        println!("  {email}  ({company})");
    }
}
