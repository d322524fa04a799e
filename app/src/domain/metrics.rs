//! Per-company figures for `/metrics`, read across companies through the one narrow
//! `platform_tenant_metrics()` and `platform_integration_metrics()` functions (counts only; see
//! `migrations/0004_metrics.sql`, `0014_webhooks_and_bot_errors.sql`).

use std::fmt::Write as _;

use super::{Db, Result};

/// One figure of one company.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantFigure {
    /// The company's slug.
    pub tenant: String,
    /// `jobs`, `concierge_answers_24h`, `concierge_fallbacks_24h`, `concierge_latency_ms_24h`,
    /// `bot_reply_ms_24h`, `deliveries_sent_24h`, `deliveries_failed_24h`,
    /// `webhook_deliveries_24h`, `webhook_endpoints_disabled` or `bot_errors_total`.
    pub metric: String,
    /// The job status, the concierge engine, the delivery channel, the webhook result or the
    /// kind of bot error; empty for the others.
    pub label: String,
    pub value: f64,
}

pub async fn tenant_metrics(db: &Db) -> Result<Vec<TenantFigure>> {
    Ok(sqlx::query_as!(
        TenantFigure,
        r#"SELECT tenant AS "tenant!", metric AS "metric!", label AS "label!", value AS "value!"
           FROM (SELECT * FROM platform_tenant_metrics()
                 UNION ALL SELECT * FROM platform_integration_metrics()) AS figures
           ORDER BY metric, tenant, label"#
    )
    .fetch_all(db.pool())
    .await?)
}

/// Help text and the label name (if any) of each metric.
const METRICS: [(&str, &str, Option<&str>); 10] = [
    (
        "jobs",
        "Jobs of the worker's queue, by status.",
        Some("status"),
    ),
    (
        "concierge_answers_24h",
        "The concierge's answers to customers in the last 24 h, by engine.",
        Some("engine"),
    ),
    (
        "concierge_fallbacks_24h",
        "Answers in the last 24 h where the rules stood in for a configured LLM.",
        None,
    ),
    (
        "concierge_latency_ms_24h",
        "Mean time of the concierge's answers in the last 24 h, in milliseconds.",
        None,
    ),
    (
        "bot_reply_ms_24h",
        "Mean time from a customer's message to the bot's reply in the last 24 h, in milliseconds.",
        None,
    ),
    (
        "deliveries_sent_24h",
        "Notifications to car owners sent in the last 24 h, by channel.",
        Some("channel"),
    ),
    (
        "deliveries_failed_24h",
        "Notification attempts refused in the last 24 h, by channel (none: no channel to try).",
        Some("channel"),
    ),
    (
        "webhook_deliveries_24h",
        "Webhook attempts to the companies' CRMs in the last 24 h, by result (ok: a 2xx answer).",
        Some("result"),
    ),
    (
        "webhook_endpoints_disabled",
        "Webhook endpoints switched off after failing for 3 days.",
        None,
    ),
    (
        "bot_errors_total",
        "Errors of the company's Telegram bot, by kind (poll: a getUpdates call failed; update: an update not handled).",
        Some("kind"),
    ),
];

/// A label value as the exposition format wants it: backslash, quote and newline escaped.
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Writes the figures as Prometheus gauges named `auto_concierge_<metric>` (`tenant` label = the
/// company's slug).
pub fn write_prometheus(figures: &[TenantFigure], out: &mut String) {
    for (metric, help, label_name) in METRICS {
        let name = format!("auto_concierge_{metric}");
        let kind = if metric.ends_with("_total") {
            "counter"
        } else {
            "gauge"
        };
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for figure in figures.iter().filter(|f| f.metric == metric) {
            let tenant = escape_label(&figure.tenant);
            let label = escape_label(&figure.label);
            match label_name {
                Some(label_name) => {
                    let _ = writeln!(
                        out,
                        "{name}{{tenant=\"{tenant}\",{label_name}=\"{label}\"}} {}",
                        figure.value
                    );
                }
                None => {
                    let _ = writeln!(out, "{name}{{tenant=\"{tenant}\"}} {}", figure.value);
                }
            }
        }
    }
}
