//! Prometheus metrics at `/metrics` (text exposition format 0.0.4), kept by hand: a few counters
//! and one histogram do not need a metrics framework in the dependency tree.
//!
//! - `http_requests_total{method, route, status}` and `http_request_duration_seconds{route}`:
//!   every request, by its route template (`/api/v1/clients/{id}`, never the raw path, so the
//!   label set stays small);
//! - `auto_concierge_db_pool_connections{state}`, `auto_concierge_db_pool_max_connections`: the
//!   web server's pool;
//! - per company, read at scrape time from the database: the worker's jobs by status
//!   (`auto_concierge_jobs{tenant, status}` — failed deliveries included), and the concierge's
//!   answers to customers in the last 24 h by engine, with how many fell back from the LLM to the
//!   rules and their mean latency (`auto_concierge_concierge_answers_24h{tenant, engine}`,
//!   `…_fallbacks_24h{tenant}`, `…_latency_ms_24h{tenant}`), the bot's mean reply time
//!   (`auto_concierge_bot_reply_ms_24h{tenant}`) and notifications by channel and result
//!   (`auto_concierge_deliveries_sent_24h{tenant, channel}`, `…_failed_24h{tenant, channel}`),
//!   webhook attempts by result (`auto_concierge_webhook_deliveries_24h{tenant, result}`) and
//!   endpoints switched off for failing (`auto_concierge_webhook_endpoints_disabled{tenant}`).
//!
//! Who may read it: with `METRICS_TOKEN` set, a request bearing it; without, in development
//! only, a direct connection from this machine. A production server without a token answers
//! 404: company names and volumes are not public.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use subtle::ConstantTimeEq;

use app::domain::{
    metrics::{self as db_metrics, escape_label as escape},
    AppState,
};

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    /// Count per bucket (not cumulative; summed when written).
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// What one route template has seen.
#[derive(Default)]
struct RouteStats {
    /// (method, status, count): a route answers with few pairs, so a list is searched.
    answers: Vec<(String, u16, u64)>,
    latency: Histogram,
}

/// What the server has counted since it started, by route template.
#[derive(Default)]
pub struct HttpMetrics {
    routes: Mutex<BTreeMap<String, RouteStats>>,
}

impl HttpMetrics {
    /// Allocates only the first time a route, or a method and status of it, is seen.
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let stats = match routes.get_mut(route) {
            Some(stats) => stats,
            None => routes.entry(route.to_string()).or_default(),
        };
        match stats
            .answers
            .iter_mut()
            .find(|(m, s, _)| m == method && *s == status)
        {
            Some((_, _, count)) => *count += 1,
            None => stats.answers.push((method.to_string(), status, 1)),
        }
        let histogram = &mut stats.latency;
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            histogram.counts[bucket] += 1;
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    fn write(&self, out: &mut String) {
        let Ok(routes) = self.routes.lock() else {
            return;
        };
        out.push_str("# HELP http_requests_total HTTP requests answered, by route template.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for (route, stats) in routes.iter() {
            let route = escape(route);
            for (method, status, count) in &stats.answers {
                let _ = writeln!(
                    out,
                    "http_requests_total{{method=\"{}\",route=\"{route}\",status=\"{status}\"}} {count}",
                    escape(method)
                );
            }
        }
        out.push_str("# HELP http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (route, stats) in routes.iter() {
            let route = escape(route);
            let histogram = &stats.latency;
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count
            );
        }
    }
}

/// Middleware: counts every request under its route template.
pub async fn track(
    State(metrics): State<Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    metrics.record(
        method_label(&method),
        route.as_ref().map_or("other", MatchedPath::as_str),
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The method as a label: the standard ones by name, anything else a client invents as `OTHER`,
/// so that unauthenticated requests cannot grow the label set (and the scrape) without bound.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

fn allowed(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> bool {
    match &state.config.metrics_token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|given| {
                bool::from(given.trim().as_bytes().ct_eq(token.expose().as_bytes()))
            }),
        None => {
            !state.config.is_production()
                && peer.ip().is_loopback()
                && !headers.contains_key("x-forwarded-for")
                && !headers.contains_key(header::FORWARDED)
        }
    }
}

/// `GET /metrics`.
pub async fn serve(
    State(state): State<AppState>,
    State(metrics): State<Arc<HttpMetrics>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !allowed(&state, &headers, peer) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut out = String::with_capacity(8192);
    metrics.write(&mut out);

    let pool = state.db.pool();
    let idle = pool.num_idle() as u32;
    out.push_str("# HELP auto_concierge_db_pool_connections Connections of the web server's PostgreSQL pool.\n");
    out.push_str("# TYPE auto_concierge_db_pool_connections gauge\n");
    let _ = writeln!(
        out,
        "auto_concierge_db_pool_connections{{state=\"idle\"}} {idle}"
    );
    let _ = writeln!(
        out,
        "auto_concierge_db_pool_connections{{state=\"in_use\"}} {}",
        pool.size().saturating_sub(idle)
    );
    out.push_str("# TYPE auto_concierge_db_pool_max_connections gauge\n");
    let _ = writeln!(
        out,
        "auto_concierge_db_pool_max_connections {}",
        pool.options().get_max_connections()
    );

    out.push_str("# HELP auto_concierge_password_checks_total Passwords verified (argon2id or bcrypt) by this process.\n");
    out.push_str("# TYPE auto_concierge_password_checks_total counter\n");
    let _ = writeln!(
        out,
        "auto_concierge_password_checks_total {}",
        app::domain::auth::password_checks()
    );

    match db_metrics::tenant_metrics(&state.db).await {
        Ok(tenants) => db_metrics::write_prometheus(&tenants, &mut out),
        Err(error) => {
            tracing::warn!(%error, "metrics: the per-company figures could not be read");
            out.push_str("# per-company figures unavailable: the database did not answer\n");
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        for invented in ["FOO", "BREW", "X1", "PROPFIND"] {
            let method = axum::http::Method::from_bytes(invented.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "OTHER");
        }
        assert_eq!(method_label(&axum::http::Method::PATCH), "PATCH");
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_labels_escaped() {
        let metrics = HttpMetrics::default();
        metrics.record("GET", "/api/v1/clients/{id}", 200, 0.003);
        metrics.record("GET", "/api/v1/clients/{id}", 200, 0.2);
        metrics.record("GET", "/api/v1/clients/{id}", 404, 30.0);
        metrics.record("POST", "/a\"b", 201, 0.01);
        let mut out = String::new();
        metrics.write(&mut out);
        assert!(out.contains(
            "http_requests_total{method=\"GET\",route=\"/api/v1/clients/{id}\",status=\"200\"} 2\n"
        ));
        assert!(out.contains(
            "http_requests_total{method=\"GET\",route=\"/api/v1/clients/{id}\",status=\"404\"} 1\n"
        ));
        assert!(out.contains("route=\"/a\\\"b\""));
        let route = "route=\"/api/v1/clients/{id}\"";
        for (le, count) in [
            ("0.005", 1),
            ("0.1", 1),
            ("0.25", 2),
            ("10", 2),
            ("+Inf", 3),
        ] {
            let line =
                format!("http_request_duration_seconds_bucket{{{route},le=\"{le}\"}} {count}\n");
            assert!(out.contains(&line), "{line}");
        }
        assert!(out.contains(&format!(
            "http_request_duration_seconds_count{{{route}}} 3\n"
        )));
    }
}
