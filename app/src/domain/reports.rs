//! Reports an owner decides on: revenue, bay load, the concierge's funnel, no-shows and
//! cancellations, the service mix and the visits' sources, over a period of days. Days are each
//! shop's own local days (a visit at 00:30 in Moscow is on that Moscow date, whatever UTC says),
//! so shops in different time zones and DST changes count right. The reports read daily rollups
//! that triggers keep with every change of a visit, its services or a message
//! (`migrations/0016_report_rollups.sql`), so a year costs a few thousand rows per shop, not
//! every visit. Every query runs in the company's read transaction, through Row-Level Security,
//! as the runtime role.
//!
//! A report is a set of tables ([`ReportTable`]); the API returns them as JSON or CSV, the
//! Reports page draws each as an SVG chart with its table beside it.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{auth::Role, db::Tx, hours::WorkingHours, Error, Result};
pub use crate::model::{Report, ReportColumn, ReportTable, REPORTS};

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 366;

/// How a time series is grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Day,
    Week,
    Month,
}

impl Group {
    pub fn parse(value: Option<&str>) -> Result<Group> {
        match value.map(str::trim).unwrap_or("day") {
            "" | "day" => Ok(Group::Day),
            "week" => Ok(Group::Week),
            "month" => Ok(Group::Month),
            other => Err(Error::validation(format!(
                "Группировка «{other}»: day, week или month"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Day => "day",
            Group::Week => "week",
            Group::Month => "month",
        }
    }

    /// The first day of the bucket `date` falls in.
    fn bucket(self, date: NaiveDate) -> NaiveDate {
        match self {
            Group::Day => date,
            Group::Week => date - Duration::days(date.weekday().num_days_from_monday().into()),
            Group::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// Every bucket of `from..=to`, each with an empty `T`, so that a chart shows empty days
    /// as zeros.
    fn buckets<T: Default>(self, from: NaiveDate, to: NaiveDate) -> BTreeMap<NaiveDate, T> {
        let mut out = BTreeMap::new();
        let mut day = from;
        while day <= to {
            out.entry(self.bucket(day)).or_default();
            day += Duration::days(1);
        }
        out
    }
}

/// What a report covers: `from..=to` (local days), one shop or all, grouped by day, week or
/// month.
#[derive(Clone, Copy, Debug)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub shop_id: Option<i64>,
    pub group: Group,
}

impl Period {
    /// Checks a requested period; `from`/`to` left out: the last 30 days up to `today`.
    pub fn new(
        today: NaiveDate,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        shop_id: Option<i64>,
        group: Group,
    ) -> Result<Period> {
        let to = to.unwrap_or(today);
        let from = from.unwrap_or(to - Duration::days(29));
        if from.year() < 2000 || to.year() > 2100 {
            return Err(Error::validation("Период: даты с 2000 по 2100 год"));
        }
        if from > to {
            return Err(Error::validation("Начало периода позже его конца"));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(Error::validation(format!(
                "Период: не длиннее {MAX_DAYS} дней"
            )));
        }
        Ok(Period {
            from,
            to,
            shop_id,
            group,
        })
    }
}

/// Whether the reader sees money (admins) or not (managers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Admin,
    Manager,
}

impl Audience {
    /// Admins see money; managers do not.
    pub fn of(role: Role) -> Audience {
        if role.is_admin() {
            Audience::Admin
        } else {
            Audience::Manager
        }
    }
}

/// The period a reader asked for, checked; `from`/`to` left out count back from the company's
/// today.
pub async fn period(
    tx: &mut Tx,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    shop_id: Option<i64>,
    group: Option<&str>,
) -> Result<Period> {
    let today = super::company::today(tx).await?;
    Period::new(today, from, to, shop_id, Group::parse(group)?)
}

/// Builds report `name` for the company of `tx`. Managers get no money figures: the revenue
/// report is refused them (403) and the others come without their money columns.
pub async fn build(tx: &mut Tx, name: &str, period: Period, audience: Audience) -> Result<Report> {
    let title = REPORTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.to_string())
        .ok_or(Error::NotFound)?;
    if let Some(shop) = period.shop_id {
        let known = sqlx::query_scalar::<_, i64>("SELECT id FROM shops WHERE id = $1")
            .bind(shop)
            .fetch_optional(&mut **tx)
            .await?;
        if known.is_none() {
            return Err(Error::validation("Нет такой точки"));
        }
    }
    // JIT compilation, which the planner turns on for a year's estimates, costs more (about
    // 120 ms a query here) than the queries themselves.
    sqlx::query("SET LOCAL jit = off")
        .execute(&mut **tx)
        .await?;
    let tables = match name {
        "revenue" if audience == Audience::Manager => return Err(Error::Forbidden),
        "revenue" => revenue(tx, &period).await?,
        "load" => load(tx, &period).await?,
        "funnel" => funnel(tx, &period).await?,
        "no_shows" => no_shows(tx, &period).await?,
        "services" => services(tx, &period).await?,
        _ => sources(tx, &period).await?,
    };
    let tables = match audience {
        Audience::Admin => tables,
        Audience::Manager => tables.into_iter().map(without_money).collect(),
    };
    Ok(Report {
        name: name.into(),
        title,
        from: period.from.to_string(),
        to: period.to.to_string(),
        shop_id: period.shop_id,
        group: period.group.as_str().into(),
        tables,
    })
}

/// The names of the reports `audience` may open.
pub fn available(audience: Audience) -> Vec<&'static str> {
    REPORTS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| audience == Audience::Admin || *name != "revenue")
        .collect()
}

fn without_money(mut table: ReportTable) -> ReportTable {
    let keep: Vec<usize> = (0..table.columns.len())
        .filter(|&i| table.columns[i].kind != "money")
        .collect();
    table.series = table
        .series
        .iter()
        .filter_map(|s| keep.iter().position(|k| k == s))
        .collect();
    if table.series.is_empty() {
        table.chart = "none".into();
    }
    table.columns = keep.iter().map(|&i| table.columns[i].clone()).collect();
    table.rows = table
        .rows
        .into_iter()
        .map(|row| keep.iter().map(|&i| row[i].clone()).collect())
        .collect();
    table
}

fn column(key: &str, title: &str, kind: &str) -> ReportColumn {
    ReportColumn {
        key: key.into(),
        title: title.into(),
        kind: kind.into(),
    }
}

fn table(
    key: &str,
    title: &str,
    columns: Vec<ReportColumn>,
    rows: Vec<Vec<Value>>,
    chart: &str,
    series: Vec<usize>,
) -> ReportTable {
    ReportTable {
        key: key.into(),
        title: title.into(),
        columns,
        rows,
        chart: chart.into(),
        series,
    }
}

fn money(value: Decimal) -> Value {
    json!(value.round_dp(2).to_string().parse::<f64>().unwrap_or(0.0))
}

fn share(part: i64, whole: i64) -> Value {
    if whole == 0 {
        json!(0.0)
    } else {
        json!(((part as f64 / whole as f64) * 1000.0).round() / 1000.0)
    }
}

/// The period's rows of a daily rollup (`migrations/0016_report_rollups.sql`), `r` in
/// `select`: each shop's local days from `$1` to `$2`, the shop `$3` or all. A year is a few
/// thousand rows per shop, whatever the number of visits.
async fn over_days<T>(tx: &mut Tx, period: &Period, select: &str) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let select = select.replace(
        "{period}",
        "r.day BETWEEN $1 AND $2 AND ($3::bigint IS NULL OR r.shop_id = $3)",
    );
    Ok(sqlx::query_as(&select)
        .bind(period.from)
        .bind(period.to)
        .bind(period.shop_id)
        .fetch_all(&mut **tx)
        .await?)
}

/// Statuses of visits that hold (or held) their bay.
const LIVE: &str = "status NOT IN ('cancelled', 'no_show')";

/// A rollup's visits of a group, then those not come, cancelled and completed.
const OUTCOMES: &str = "sum(r.visits)::int8,
    coalesce(sum(r.visits) FILTER (WHERE r.status = 'no_show'), 0)::int8,
    coalesce(sum(r.visits) FILTER (WHERE r.status = 'cancelled'), 0)::int8,
    coalesce(sum(r.visits) FILTER (WHERE r.status = 'completed'), 0)::int8";

async fn revenue(tx: &mut Tx, period: &Period) -> Result<Vec<ReportTable>> {
    let rows: Vec<(NaiveDate, String, i64, Decimal)> = over_days(
        tx,
        period,
        "SELECT r.day, r.status, sum(r.visits)::int8, sum(r.amount) FROM report_visit_days r
         WHERE {period} GROUP BY 1, 2",
    )
    .await?;
    // bucket → (booked sum, booked visits, completed sum, completed visits)
    let mut by: BTreeMap<NaiveDate, (Decimal, i64, Decimal, i64)> =
        period.group.buckets(period.from, period.to);
    let live = |status: &str| status != "cancelled" && status != "no_show";
    for (day, status, n, sum) in rows {
        let entry = by.entry(period.group.bucket(day)).or_default();
        if live(&status) {
            entry.0 += sum;
            entry.1 += n;
        }
        if status == "completed" {
            entry.2 += sum;
            entry.3 += n;
        }
    }
    let average = |sum: Decimal, n: i64| {
        if n == 0 {
            money(Decimal::ZERO)
        } else {
            money(sum / Decimal::from(n))
        }
    };
    let mut total = (Decimal::ZERO, 0, Decimal::ZERO, 0);
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for (bucket, (booked, booked_n, done, done_n)) in &by {
        total = (
            total.0 + booked,
            total.1 + booked_n,
            total.2 + done,
            total.3 + done_n,
        );
        rows.push(vec![
            json!(bucket.to_string()),
            money(*booked),
            json!(booked_n),
            money(*done),
            json!(done_n),
            average(*done, *done_n),
        ]);
    }
    let summary = vec![vec![
        json!("Итого"),
        money(total.0),
        json!(total.1),
        money(total.2),
        json!(total.3),
        average(total.2, total.3),
    ]];
    let columns = || {
        vec![
            column("period", "Период", "text"),
            column("booked", "Записано, ₽", "money"),
            column("booked_visits", "Записей", "int"),
            column("completed", "Выполнено, ₽", "money"),
            column("completed_visits", "Выполнено визитов", "int"),
            column("average_ticket", "Средний чек, ₽", "money"),
        ]
    };
    let categories: Vec<(String, i64, Decimal)> = over_days(
        tx,
        period,
        "SELECT sv.category, sum(r.visits)::int8, sum(r.amount)
         FROM report_service_days r JOIN services sv ON sv.id = r.service_id
         WHERE {period} AND r.status = 'completed'
         GROUP BY 1 HAVING sum(r.visits) <> 0 ORDER BY 3 DESC, 1",
    )
    .await?;
    Ok(vec![
        table(
            "by_period",
            "Записано и выполнено",
            columns(),
            rows,
            "bars",
            vec![1, 3],
        ),
        table(
            "total",
            "За весь период",
            columns(),
            summary,
            "none",
            vec![],
        ),
        table(
            "by_category",
            "Выполнено по категориям услуг",
            vec![
                column("category", "Категория", "text"),
                column("services", "Услуг", "int"),
                column("revenue", "Выручка, ₽", "money"),
            ],
            categories
                .into_iter()
                .map(|(c, n, sum)| {
                    vec![
                        json!(crate::format::category_label(&c)),
                        json!(n),
                        money(sum),
                    ]
                })
                .collect(),
            "bars",
            vec![2],
        ),
    ])
}

/// How many times each weekday occurs in the period.
fn weekday_counts(period: &Period) -> [i64; 7] {
    let mut counts = [0i64; 7];
    let mut day = period.from;
    while day <= period.to {
        counts[day.weekday().num_days_from_monday() as usize] += 1;
        day += Duration::days(1);
    }
    counts
}

/// Open minutes of one bay in each hour of each weekday, from the shop's working hours.
fn open_minutes(hours: &WorkingHours) -> [[i64; 24]; 7] {
    let mut open = [[0i64; 24]; 7];
    let monday = NaiveDate::from_isoywd_opt(2024, 1, Weekday::Mon).unwrap_or_default();
    for (d, row) in open.iter_mut().enumerate() {
        let weekday = monday + Duration::days(d as i64);
        for interval in hours.day(weekday.weekday()) {
            let (start, end) = interval.on(weekday);
            for (h, cell) in row.iter_mut().enumerate() {
                let slot_start = weekday.and_hms_opt(h as u32, 0, 0).unwrap_or_default();
                let slot_end = slot_start + Duration::hours(1);
                let overlap = (end.min(slot_end) - start.max(slot_start)).num_minutes();
                *cell += overlap.max(0);
            }
        }
    }
    open
}

use crate::format::WEEKDAYS;

async fn load(tx: &mut Tx, period: &Period) -> Result<Vec<ReportTable>> {
    // Minutes live visits hold, by local weekday (1 = Monday) and hour, and by shop and bay.
    let cells: Vec<(i32, i32, f64)> = over_days(
        tx,
        period,
        "SELECT extract(isodow FROM r.day)::int, r.hour::int, sum(r.minutes)::float8
         FROM report_hour_days r WHERE {period} GROUP BY 1, 2",
    )
    .await?;
    let bays: Vec<(i64, String, i32, f64)> = over_days(
        tx,
        period,
        "SELECT s.id, s.name, r.bay, sum(r.minutes)::float8
         FROM report_bay_days r JOIN shops s ON s.id = r.shop_id
         WHERE {period} GROUP BY 1, 2, 3",
    )
    .await?;
    let shops: Vec<(i64, String, i32, Value)> = sqlx::query_as(
        "SELECT id, name, bays, working_hours FROM shops
         WHERE ($1::bigint IS NULL OR id = $1) ORDER BY id",
    )
    .bind(period.shop_id)
    .fetch_all(&mut **tx)
    .await?;
    let weekdays = weekday_counts(period);
    // Open bay-minutes per weekday and hour over the period, all bays of the shops.
    let mut capacity = [[0i64; 24]; 7];
    let mut per_bay_open: HashMap<i64, i64> = HashMap::new();
    for (id, _, bay_count, hours) in &shops {
        let open = WorkingHours::from_json(hours).map(|h| open_minutes(&h))?;
        let mut bay_open = 0;
        for d in 0..7 {
            for h in 0..24 {
                capacity[d][h] += open[d][h] * weekdays[d] * i64::from(*bay_count);
                bay_open += open[d][h] * weekdays[d];
            }
        }
        per_bay_open.insert(*id, bay_open);
    }
    let mut used = [[0f64; 24]; 7];
    for (dow, hour, minutes) in cells {
        if let (Some(d), Ok(h)) = ((dow as usize).checked_sub(1), usize::try_from(hour)) {
            if d < 7 && h < 24 {
                used[d][h] += minutes;
            }
        }
    }
    let load_of = |d: usize, h: usize| {
        if capacity[d][h] == 0 {
            None
        } else {
            Some(((used[d][h] / capacity[d][h] as f64) * 1000.0).round() / 1000.0)
        }
    };
    // The heat map covers the hours any shop is open.
    let open_hours: Vec<usize> = (0..24)
        .filter(|&h| (0..7).any(|d| capacity[d][h] > 0))
        .collect();
    let mut columns = vec![column("weekday", "День недели", "text")];
    columns.extend(
        open_hours
            .iter()
            .map(|h| column(&format!("h{h:02}"), &format!("{h:02}:00"), "share")),
    );
    let heat_rows: Vec<Vec<Value>> = (0..7)
        .map(|d| {
            let mut row = vec![json!(WEEKDAYS[d])];
            row.extend(
                open_hours
                    .iter()
                    .map(|&h| load_of(d, h).map(Value::from).unwrap_or(Value::Null)),
            );
            row
        })
        .collect();
    let mut idle: Vec<(usize, usize, f64)> = (0..7)
        .flat_map(|d| (0..24).map(move |h| (d, h)))
        .filter_map(|(d, h)| load_of(d, h).map(|l| (d, h, l)))
        .collect();
    idle.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    let idle_rows = idle
        .into_iter()
        .take(10)
        .map(|(d, h, l)| {
            vec![
                json!(WEEKDAYS[d]),
                json!(format!("{h:02}:00–{:02}:00", h + 1)),
                json!(l),
            ]
        })
        .collect();
    let mut bay_rows: Vec<Vec<Value>> = Vec::new();
    for (id, name, bay_count, _) in &shops {
        for bay in 1..=*bay_count {
            let minutes = bays
                .iter()
                .find(|(s, _, b, _)| s == id && *b == bay)
                .map(|r| r.3)
                .unwrap_or(0.0);
            let open = per_bay_open.get(id).copied().unwrap_or(0);
            let value = if open == 0 {
                json!(0.0)
            } else {
                json!(((minutes / open as f64) * 1000.0).round() / 1000.0)
            };
            bay_rows.push(vec![json!(format!("{name}, пост {bay}")), value]);
        }
    }
    let series: Vec<usize> = (1..columns.len()).collect();
    Ok(vec![
        table(
            "heat",
            "Загрузка по дням недели и часам",
            columns,
            heat_rows,
            "heat",
            series,
        ),
        table(
            "by_bay",
            "Загрузка постов за период",
            vec![
                column("bay", "Точка и пост", "text"),
                column("load", "Загрузка", "share"),
            ],
            bay_rows,
            "bars",
            vec![1],
        ),
        table(
            "idle",
            "Самые свободные часы (рабочее время)",
            vec![
                column("weekday", "День", "text"),
                column("hour", "Час", "text"),
                column("load", "Загрузка", "share"),
            ],
            idle_rows,
            "none",
            vec![],
        ),
    ])
}

/// Channel names as staff read them.
fn channel(source: &str) -> &'static str {
    match source {
        "telegram" => "Telegram",
        "web" => "Сотрудники (веб)",
        _ => "API",
    }
}

/// The spans of `report_wait_days.wait`, in order.
const WAITS: [&str; 6] = [
    "меньше 15 минут",
    "15 минут – час",
    "1–6 часов",
    "6–24 часа",
    "1–7 дней",
    "больше недели",
];

async fn funnel(tx: &mut Tx, period: &Period) -> Result<Vec<ReportTable>> {
    // Conversations by the company's local days: a chat belongs to no shop.
    let chats: (i64, i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT chat_id), count(DISTINCT chat_id) FILTER (WHERE answered),
                count(DISTINCT chat_id) FILTER (WHERE wanted)
         FROM report_chat_days WHERE day BETWEEN $1 AND $2",
    )
    .bind(period.from)
    .bind(period.to)
    .fetch_one(&mut **tx)
    .await?;
    let booked: Vec<(String, i64, i64)> = over_days(
        tx,
        period,
        "SELECT r.source, sum(r.visits)::int8,
                coalesce(sum(r.visits) FILTER (WHERE r.status = 'completed'), 0)::int8
         FROM report_visit_days r WHERE {period} GROUP BY 1",
    )
    .await?;
    let engines: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT engine, sum(answers)::int8, sum(fallbacks)::int8
         FROM report_engine_days WHERE day BETWEEN $1 AND $2
         GROUP BY 1 HAVING sum(answers) <> 0 ORDER BY 2 DESC, 1",
    )
    .bind(period.from)
    .bind(period.to)
    .fetch_all(&mut **tx)
    .await?;
    // Time from a client's first message (within the 30 days before) to a visit booked in the
    // bot, as the share of visits in each span.
    let waits: Vec<(i16, i64)> = over_days(
        tx,
        period,
        "SELECT r.wait, sum(r.visits)::int8 FROM report_wait_days r WHERE {period} GROUP BY 1",
    )
    .await?;
    let of = |source: &str| {
        booked
            .iter()
            .find(|(s, _, _)| s == source)
            .map(|r| (r.1, r.2))
            .unwrap_or((0, 0))
    };
    let steps = vec![
        column("step", "Шаг", "text"),
        column("telegram", "Telegram", "int"),
        column("web", "Сотрудники (веб)", "int"),
        column("api", "API", "int"),
    ];
    let (tg, web, api) = (of("telegram"), of("web"), of("api"));
    let na = Value::Null;
    let rows = vec![
        vec![json!("Разговоры"), json!(chats.0), na.clone(), na.clone()],
        vec![
            json!("Ответил консьерж"),
            json!(chats.1),
            na.clone(),
            na.clone(),
        ],
        vec![json!("Хотели записаться"), json!(chats.2), na.clone(), na],
        vec![json!("Записались"), json!(tg.0), json!(web.0), json!(api.0)],
        vec![
            json!("Визит выполнен"),
            json!(tg.1),
            json!(web.1),
            json!(api.1),
        ],
    ];
    let waited: i64 = waits.iter().map(|w| w.1).sum();
    let total_answers: i64 = engines.iter().map(|e| e.1).sum();
    let fallbacks: i64 = engines.iter().map(|e| e.2).sum();
    let mut engine_rows: Vec<Vec<Value>> = engines
        .iter()
        .map(|(engine, n, _)| vec![json!(engine), json!(n), share(*n, total_answers)])
        .collect();
    engine_rows.push(vec![
        json!("ответили правила вместо LLM"),
        json!(fallbacks),
        share(fallbacks, total_answers),
    ]);
    Ok(vec![
        table(
            "steps",
            "От сообщения до визита",
            steps,
            rows,
            "bars",
            vec![1],
        ),
        table(
            "engines",
            "Кто отвечал",
            vec![
                column("engine", "Движок", "text"),
                column("answers", "Ответов", "int"),
                column("share", "Доля", "share"),
            ],
            engine_rows,
            "none",
            vec![],
        ),
        table(
            "time_to_book",
            "От первого сообщения до записи в Telegram",
            vec![
                column("wait", "Прошло", "text"),
                column("visits", "Записей", "int"),
                column("share", "Доля", "share"),
            ],
            WAITS
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let n = waits
                        .iter()
                        .find(|(w, _)| usize::try_from(*w) == Ok(i))
                        .map(|w| w.1)
                        .unwrap_or(0);
                    vec![json!(label), json!(n), share(n, waited)]
                })
                .collect(),
            "bars",
            vec![1],
        ),
    ])
}

async fn no_shows(tx: &mut Tx, period: &Period) -> Result<Vec<ReportTable>> {
    let by_day: Vec<(NaiveDate, i64, i64, i64, i64)> = over_days(
        tx,
        period,
        &format!("SELECT r.day, {OUTCOMES} FROM report_visit_days r WHERE {{period}} GROUP BY 1"),
    )
    .await?;
    // bucket → (visits, no-shows, cancelled, completed)
    let mut by: BTreeMap<NaiveDate, (i64, i64, i64, i64)> =
        period.group.buckets(period.from, period.to);
    for (day, all, no_show, cancelled, completed) in by_day {
        let e = by.entry(period.group.bucket(day)).or_default();
        *e = (e.0 + all, e.1 + no_show, e.2 + cancelled, e.3 + completed);
    }
    let rate_columns = |first: (&str, &str)| {
        vec![
            column(first.0, first.1, "text"),
            column("visits", "Записей", "int"),
            column("no_shows", "Не пришли", "int"),
            column("no_show_rate", "Доля неявок", "share"),
            column("cancelled", "Отменены", "int"),
            column("cancel_rate", "Доля отмен", "share"),
        ]
    };
    // A no-show's share is of the visits that came due: completed or not come.
    let rate_row = |label: String, (all, no_show, cancelled, completed): (i64, i64, i64, i64)| {
        vec![
            json!(label),
            json!(all),
            json!(no_show),
            share(no_show, no_show + completed),
            json!(cancelled),
            share(cancelled, all),
        ]
    };
    let total = by.values().fold((0, 0, 0, 0), |t, c| {
        (t.0 + c.0, t.1 + c.1, t.2 + c.2, t.3 + c.3)
    });
    let period_rows = by
        .into_iter()
        .map(|(bucket, counts)| rate_row(bucket.to_string(), counts))
        .collect();
    let lead: Vec<(i16, i64, i64, i64, i64)> = over_days(
        tx,
        period,
        &format!("SELECT r.lead, {OUTCOMES} FROM report_visit_days r WHERE {{period}} GROUP BY 1"),
    )
    .await?;
    const LEADS: [&str; 4] = ["меньше суток", "1–3 дня", "4–7 дней", "больше недели"];
    let lead_rows = (0..4)
        .map(|i| {
            let counts = lead
                .iter()
                .find(|r| i16::try_from(i) == Ok(r.0))
                .map(|r| (r.1, r.2, r.3, r.4))
                .unwrap_or_default();
            rate_row(LEADS[i as usize].to_string(), counts)
        })
        .collect();
    // Few visits are no-shows: they are found by status and a UTC range a day wider than the
    // period on each side, then kept by their shop's local day; the 50 clients who missed most
    // then have all their visits of the period counted, each through the client's index.
    let repeated: Vec<(String, Option<String>, i64, i64)> = sqlx::query_as(
        "WITH missed AS (
             SELECT a.client_id, count(*) AS n
             FROM appointments a JOIN shops s ON s.id = a.shop_id
             WHERE a.status = 'no_show'
               AND a.start_time >= ($1::date - 1)::timestamp AT TIME ZONE 'UTC'
               AND a.start_time < ($2::date + 2)::timestamp AT TIME ZONE 'UTC'
               AND (a.start_time AT TIME ZONE s.timezone)::date BETWEEN $1 AND $2
               AND ($3::bigint IS NULL OR a.shop_id = $3)
             GROUP BY a.client_id HAVING count(*) >= 2
         ), top AS (
             SELECT c.id, c.full_name, c.phone, m.n FROM missed m JOIN clients c ON c.id = m.client_id
             ORDER BY m.n DESC, c.full_name, c.id LIMIT 50
         )
         SELECT t.full_name, t.phone, t.n,
                (SELECT count(*) FROM appointments a JOIN shops s ON s.id = a.shop_id
                 WHERE a.client_id = t.id
                   AND a.start_time >= ($1::date - 1)::timestamp AT TIME ZONE 'UTC'
                   AND a.start_time < ($2::date + 2)::timestamp AT TIME ZONE 'UTC'
                   AND (a.start_time AT TIME ZONE s.timezone)::date BETWEEN $1 AND $2
                   AND ($3::bigint IS NULL OR a.shop_id = $3))
         FROM top t ORDER BY 3 DESC, 1, t.id",
    )
    .bind(period.from)
    .bind(period.to)
    .bind(period.shop_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(vec![
        table(
            "by_period",
            "По периодам",
            rate_columns(("period", "Период")),
            period_rows,
            "bars",
            vec![3, 5],
        ),
        table(
            "total",
            "За весь период",
            rate_columns(("period", "Период")),
            vec![rate_row("Итого".into(), total)],
            "none",
            vec![],
        ),
        table(
            "by_lead_time",
            "По сроку записи заранее",
            rate_columns(("lead_time", "Записались за")),
            lead_rows,
            "bars",
            vec![3, 5],
        ),
        table(
            "repeated",
            "Клиенты, не пришедшие дважды и больше",
            vec![
                column("client", "Клиент", "text"),
                column("phone", "Телефон", "text"),
                column("no_shows", "Не пришёл", "int"),
                column("visits", "Записей", "int"),
            ],
            repeated
                .into_iter()
                .map(|(name, phone, n, all)| {
                    vec![
                        json!(name),
                        json!(phone.unwrap_or_default()),
                        json!(n),
                        json!(all),
                    ]
                })
                .collect(),
            "none",
            vec![],
        ),
    ])
}

async fn services(tx: &mut Tx, period: &Period) -> Result<Vec<ReportTable>> {
    let mix: Vec<(String, i64, Decimal)> = over_days(
        tx,
        period,
        &format!(
            "SELECT sv.name, coalesce(sum(r.visits) FILTER (WHERE r.{LIVE}), 0)::int8,
                    coalesce(sum(r.amount) FILTER (WHERE r.status = 'completed'), 0)
             FROM report_service_days r JOIN services sv ON sv.id = r.service_id
             WHERE {{period}}
             GROUP BY sv.id, sv.name HAVING sum(r.visits) <> 0 ORDER BY 2 DESC, 1"
        ),
    )
    .await?;
    let pairs: Vec<(String, String, i64)> = over_days(
        tx,
        period,
        "SELECT s1.name, s2.name, sum(r.visits)::int8
         FROM report_pair_days r JOIN services s1 ON s1.id = r.service_id
                                 JOIN services s2 ON s2.id = r.other_id
         WHERE {period}
         GROUP BY s1.id, s1.name, s2.id, s2.name HAVING sum(r.visits) > 0
         ORDER BY 3 DESC, 1, 2 LIMIT 15",
    )
    .await?;
    Ok(vec![
        table(
            "mix",
            "Услуги: сколько записано и сколько принесли",
            vec![
                column("service", "Услуга", "text"),
                column("booked", "Записано", "int"),
                column("revenue", "Выручка (выполнено), ₽", "money"),
            ],
            mix.into_iter()
                .map(|(name, n, sum)| vec![json!(name), json!(n), money(sum)])
                .collect(),
            "bars",
            vec![1, 2],
        ),
        table(
            "pairs",
            "Что записывают вместе",
            vec![
                column("first", "Услуга", "text"),
                column("second", "Вместе с", "text"),
                column("visits", "Визитов", "int"),
            ],
            pairs
                .into_iter()
                .map(|(a, b, n)| vec![json!(a), json!(b), json!(n)])
                .collect(),
            "none",
            vec![],
        ),
    ])
}

async fn sources(tx: &mut Tx, period: &Period) -> Result<Vec<ReportTable>> {
    let rows: Vec<(NaiveDate, String, i64)> = over_days(
        tx,
        period,
        "SELECT r.day, r.source, sum(r.visits)::int8 FROM report_visit_days r
         WHERE {period} GROUP BY 1, 2",
    )
    .await?;
    const SOURCES: [&str; 3] = ["telegram", "web", "api"];
    let mut by: BTreeMap<NaiveDate, [i64; 3]> = period.group.buckets(period.from, period.to);
    for (day, source, n) in rows {
        if let Some(i) = SOURCES.iter().position(|s| *s == source) {
            by.entry(period.group.bucket(day)).or_default()[i] += n;
        }
    }
    let mut columns = vec![column("period", "Период", "text")];
    for s in SOURCES {
        columns.push(column(s, channel(s), "int"));
    }
    for s in SOURCES {
        columns.push(column(
            &format!("{s}_share"),
            &format!("Доля: {}", channel(s)),
            "share",
        ));
    }
    let rows = by
        .into_iter()
        .map(|(bucket, counts)| {
            let all: i64 = counts.iter().sum();
            let mut row = vec![json!(bucket.to_string())];
            row.extend(counts.iter().map(|n| json!(n)));
            row.extend(counts.iter().map(|n| share(*n, all)));
            row
        })
        .collect();
    Ok(vec![table(
        "by_period",
        "Откуда записи",
        columns,
        rows,
        "bars",
        vec![1, 2, 3],
    )])
}

/// The report as CSV for Excel in a Russian locale: UTF-8 with a BOM (so Cyrillic opens
/// right), `;` between fields and a decimal comma; each table under its title, tables apart by
/// an empty line. Shares are percents.
pub fn csv(report: &Report) -> String {
    let mut out = String::from('\u{feff}');
    let field = |text: &str| {
        if text.contains([';', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    };
    for (i, table) in report.tables.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        out.push_str(&field(&format!(
            "{} — {} ({}–{})",
            report.title, table.title, report.from, report.to
        )));
        out.push_str("\r\n");
        let header: Vec<String> = table.columns.iter().map(|c| field(&c.title)).collect();
        out.push_str(&header.join(";"));
        out.push_str("\r\n");
        for row in &table.rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&table.columns)
                .map(|(value, column)| field(&csv_value(value, &column.kind)))
                .collect();
            out.push_str(&cells.join(";"));
            out.push_str("\r\n");
        }
    }
    out
}

fn csv_value(value: &Value, kind: &str) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            let text = match kind {
                "share" => format!("{:.1}", x * 100.0),
                "money" => format!("{x:.2}"),
                "int" => format!("{x:.0}"),
                _ => n.to_string(),
            };
            text.replace('.', ",")
        }
        other => other.to_string(),
    }
}
