//! Отчёты: revenue, bay load, the concierge's funnel, no-shows, the service mix and sources over
//! a period, each as a server-rendered SVG chart (it reads without JavaScript; every bar and
//! cell says its number on hover and keyboard focus) with its table and a CSV download. No
//! island: the page ships no WASM of its own. Managers see no money figures.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::feedback::{ErrorNotice, Loading};
use crate::error::AppError;
use crate::format::{kopecks, russian_date};
use crate::model::{Report, ReportTable};

/// What the page shows: the period as understood, the shops to pick from, the reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportsView {
    pub from: String,
    pub to: String,
    pub shop_id: Option<i64>,
    pub group: String,
    pub shops: Vec<(i64, String)>,
    /// Whether the reader sees money (admins).
    pub money: bool,
    pub reports: Vec<Report>,
}

/// The reports the reader may open for the period of the page's query (`from`, `to`, `shop`,
/// `group`; empty values: the last 30 days, all shops, by day).
#[server]
pub async fn load_reports(
    from: String,
    to: String,
    shop: String,
    group: String,
) -> Result<ReportsView, AppError> {
    use crate::domain::{
        reports::{self, Audience},
        shops, Error,
    };

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff().await?;
    let date = |text: &str, what: &str| -> Result<Option<chrono::NaiveDate>, Error> {
        match text.trim() {
            "" => Ok(None),
            t => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| Error::validation(format!("{what}: дата вида ГГГГ-ММ-ДД"))),
        }
    };
    let shop_id = match shop.trim() {
        "" => None,
        s => Some(
            s.parse::<i64>()
                .map_err(|_| Error::validation("Нет такой точки"))?,
        ),
    };
    let audience = Audience::of(user.role);
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let period = reports::period(
        &mut tx,
        date(&from, "Начало периода")?,
        date(&to, "Конец периода")?,
        shop_id,
        Some(&group),
    )
    .await?;
    let shops = shops::list(&mut tx, 0, 1000)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut built = Vec::new();
    for name in reports::available(audience) {
        built.push(reports::build(&mut tx, name, period, audience).await?);
    }
    Ok(ReportsView {
        from: period.from.to_string(),
        to: period.to.to_string(),
        shop_id: period.shop_id,
        group: period.group.as_str().into(),
        shops,
        money: audience == Audience::Admin,
        reports: built,
    })
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("from").unwrap_or_default(),
                q.get("to").unwrap_or_default(),
                q.get("shop").unwrap_or_default(),
                q.get("group").unwrap_or_default(),
            )
        })
    };
    let view_data = Resource::new(params, |(from, to, shop, group)| {
        load_reports(from, to, shop, group)
    });
    view! {
        <Title text="Отчёты — Auto-Concierge"/>
        <h1 class="mb-3 text-2xl font-semibold">"Отчёты"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(data) => view! { <Reports data/> }.into_any(),
                    Err(error) => view! { <PeriodForm data=None/> <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The period picker: a plain GET form, so it works without JavaScript and the URL says what
/// is shown.
#[component]
fn PeriodForm(data: Option<ReportsView>) -> impl IntoView {
    let (from, to, shop, group, shops) = match &data {
        Some(d) => (
            d.from.clone(),
            d.to.clone(),
            d.shop_id,
            d.group.clone(),
            d.shops.clone(),
        ),
        None => (String::new(), String::new(), None, "day".into(), Vec::new()),
    };
    let action = crate::public_path::public_url("/reports");
    view! {
        <form method="get" action=action class="mb-4 flex flex-wrap items-end gap-3 rounded-xl bg-white p-4 shadow" aria-label="Период отчётов">
            <div>
                <label for="report-from" class="block text-sm font-medium">"С"</label>
                <input id="report-from" name="from" type="date" value=from class="rounded-lg border px-3 py-2"/>
            </div>
            <div>
                <label for="report-to" class="block text-sm font-medium">"По"</label>
                <input id="report-to" name="to" type="date" value=to class="rounded-lg border px-3 py-2"/>
            </div>
            <div>
                <label for="report-shop" class="block text-sm font-medium">"Точка"</label>
                <select id="report-shop" name="shop" class="rounded-lg border px-3 py-2">
                    <option value="" selected=shop.is_none()>"Все точки"</option>
                    {shops.into_iter().map(|(id, name)| view! {
                        <option value=id.to_string() selected=shop == Some(id)>{name}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="report-group" class="block text-sm font-medium">"Группировать"</label>
                <select id="report-group" name="group" class="rounded-lg border px-3 py-2">
                    {[("day", "по дням"), ("week", "по неделям"), ("month", "по месяцам")].map(|(value, label)| view! {
                        <option value=value selected=group == value>{label}</option>
                    })}
                </select>
            </div>
            <button type="submit" class="rounded-lg bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800">"Показать"</button>
            <QuickPeriods/>
        </form>
    }
}

/// Links for the usual periods (computed on the server from the company's today).
#[component]
fn QuickPeriods() -> impl IntoView {
    let base = crate::public_path::public_url("/reports");
    view! {
        <nav aria-label="Быстрый выбор периода" class="flex flex-wrap gap-2 text-sm">
            <a class="text-blue-700 underline" href=format!("{base}?group=day")>"30 дней"</a>
            <a class="text-blue-700 underline" href=format!("{base}?group=week&from={}", days_ago(90))>"Квартал по неделям"</a>
            <a class="text-blue-700 underline" href=format!("{base}?group=month&from={}", days_ago(365))>"Год по месяцам"</a>
        </nav>
    }
}

/// `YYYY-MM-DD` of `days` ago (UTC; the server's check of the period decides the rest).
fn days_ago(days: i64) -> String {
    #[cfg(feature = "ssr")]
    {
        (chrono::Utc::now().date_naive() - chrono::Duration::days(days)).to_string()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = days;
        String::new()
    }
}

#[component]
fn Reports(data: ReportsView) -> impl IntoView {
    let query = format!(
        "from={}&to={}&group={}{}",
        data.from,
        data.to,
        data.group,
        data.shop_id
            .map(|s| format!("&shop_id={s}"))
            .unwrap_or_default()
    );
    let reports = data.reports.clone();
    let money = data.money;
    view! {
        <PeriodForm data=Some(data.clone())/>
        <p class="mb-3 text-sm text-slate-600">
            "Период: " {russian_date(&data.from)} " — " {russian_date(&data.to)}
            {(!money).then_some(" · без денежных показателей (они видны администраторам)")}
        </p>
        <Summary reports=data.reports.clone()/>
        <nav aria-label="Отчёты" class="mb-4 flex flex-wrap gap-2 text-sm">
            {reports.iter().map(|r| view! {
                <a class="rounded-full border px-3 py-1 text-blue-800 hover:bg-blue-50" href=format!("#report-{}", r.name)>{r.title.clone()}</a>
            }).collect_view()}
        </nav>
        <div class="space-y-4">
            {reports.into_iter().map(|report| {
                let csv = crate::public_path::public_url(&format!("/api/v1/reports/{}?{query}&format=csv", report.name));
                view! {
                    <section id=format!("report-{}", report.name) class="rounded-xl bg-white p-4 shadow" aria-labelledby=format!("report-{}-title", report.name)>
                        <div class="mb-2 flex flex-wrap items-center justify-between gap-2">
                            <h2 id=format!("report-{}-title", report.name) class="text-lg font-semibold">{report.title.clone()}</h2>
                            <a class="text-sm text-blue-700 underline" href=csv download="">"Скачать CSV"</a>
                        </div>
                        {report.tables.into_iter().map(|table| view! { <TableBlock table/> }).collect_view()}
                    </section>
                }
            }).collect_view()}
        </div>
    }
}

/// The period at a glance: revenue, the emptiest hour, the bot's conversion, no-shows.
#[component]
fn Summary(reports: Vec<Report>) -> impl IntoView {
    let cell = |report: &str,
                table: &str,
                row: usize,
                col: usize|
     -> Option<(serde_json::Value, String)> {
        let t = reports
            .iter()
            .find(|r| r.name == report)?
            .tables
            .iter()
            .find(|t| t.key == table)?;
        let value = t.rows.get(row)?.get(col)?.clone();
        let kind = t.columns.get(col)?.kind.clone();
        Some((value, kind))
    };
    let text = |c: Option<(serde_json::Value, String)>| c.map(|(v, k)| cell_text(&v, &k));
    let mut tiles: Vec<(&str, String)> = Vec::new();
    if let Some(done) = text(cell("revenue", "total", 0, 3)) {
        tiles.push(("Выполнено работ", done));
    }
    if let Some(average) = text(cell("revenue", "total", 0, 5)) {
        tiles.push(("Средний чек", average));
    }
    if let (Some(day), Some(hour), Some(load)) = (
        text(cell("load", "idle", 0, 0)),
        text(cell("load", "idle", 0, 1)),
        text(cell("load", "idle", 0, 2)),
    ) {
        tiles.push(("Самый свободный час", format!("{day} {hour} · {load}")));
    }
    if let (Some((talks, _)), Some((booked, _))) =
        (cell("funnel", "steps", 0, 1), cell("funnel", "steps", 3, 1))
    {
        let (talks, booked) = (number(&talks), number(&booked));
        let value = if talks > 0.0 {
            cell_text(&serde_json::json!((booked / talks).min(1.0)), "share")
        } else {
            "—".into()
        };
        tiles.push(("Разговоров с ботом → записей", value));
    }
    if let Some(rate) = text(cell("no_shows", "total", 0, 3)) {
        tiles.push(("Не пришли", rate));
    }
    view! {
        <dl class="mb-4 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5" aria-label="Коротко о периоде">
            {tiles.into_iter().map(|(what, value)| view! {
                <div class="rounded-xl bg-white p-3 shadow">
                    <dt class="text-xs text-slate-500">{what}</dt>
                    <dd class="text-lg font-semibold">{value}</dd>
                </div>
            }).collect_view()}
        </dl>
    }
}

/// A number of a column as people here read it.
fn cell_text(value: &serde_json::Value, kind: &str) -> String {
    match value {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s)
            if kind == "text" && s.len() == 10 && s.as_bytes()[4] == b'-' =>
        {
            russian_date(s)
        }
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            match kind {
                "money" => kopecks((x * 100.0).round() as i64),
                "share" => format!("{:.1}\u{a0}%", x * 100.0).replace('.', ","),
                _ => group_digits(x.round() as i64),
            }
        }
        other => other.to_string(),
    }
}

fn group_digits(n: i64) -> String {
    let digits = crate::format::grouped(n.unsigned_abs());
    if n < 0 {
        format!("−{digits}")
    } else {
        digits
    }
}

fn number(value: &serde_json::Value) -> f64 {
    value.as_f64().unwrap_or(0.0)
}

/// The largest number a chart draws (never zero, so that heights divide).
fn series_max(table: &ReportTable) -> f64 {
    table
        .rows
        .iter()
        .flat_map(|row| table.series.iter().map(move |&i| number(&row[i])))
        .fold(0.0f64, f64::max)
        .max(f64::EPSILON)
}

/// Which colour is which column.
#[component]
fn Legend(table: ReportTable) -> impl IntoView {
    let items = table
        .series
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            view! {
                <span class="mr-3 inline-flex items-center gap-1 text-xs">
                    <span class="inline-block h-3 w-3 rounded-sm" style=format!("background:{}", SERIES_COLOURS[k % 3])></span>
                    {table.columns[i].title.clone()}
                </span>
            }
        })
        .collect_view();
    view! { <div class="mb-1">{items}</div> }
}

/// Colours of a chart's series, in order.
const SERIES_COLOURS: [&str; 3] = ["#1d4ed8", "#059669", "#d97706"];

#[component]
fn TableBlock(table: ReportTable) -> impl IntoView {
    let chart = match table.chart.as_str() {
        "heat" => Some(view! { <HeatMap table=table.clone()/> }.into_any()),
        "bars" if !table.rows.is_empty() && table.columns[0].key == "period" => {
            Some(view! { <ColumnChart table=table.clone()/> }.into_any())
        }
        "bars" if !table.rows.is_empty() => {
            Some(view! { <BarChart table=table.clone()/> }.into_any())
        }
        _ => None,
    };
    let empty = table.rows.is_empty();
    let open = table.chart == "none";
    view! {
        <div class="mb-4" data-testid=format!("table-{}", table.key)>
            <h3 class="mb-1 font-medium">{table.title.clone()}</h3>
            {chart}
            {empty.then(|| view! { <p class="text-sm text-slate-500">"За этот период данных нет."</p> })}
            {(!empty).then(|| view! {
                <details class="mt-1" open=open>
                    <summary class="cursor-pointer text-sm text-blue-700">"Таблица"</summary>
                    <div class="overflow-x-auto">
                        <table class="mt-1 min-w-full text-sm">
                            <thead>
                                <tr>{table.columns.iter().map(|c| view! { <th scope="col" class="border-b px-2 py-1 text-left font-medium">{c.title.clone()}</th> }).collect_view()}</tr>
                            </thead>
                            <tbody>
                                {table.rows.iter().map(|row| view! {
                                    <tr>{row.iter().zip(table.columns.iter()).map(|(v, c)| view! {
                                        <td class="border-b px-2 py-1 whitespace-nowrap">{cell_text(v, &c.kind)}</td>
                                    }).collect_view()}</tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </details>
            })}
        </div>
    }
}

/// Horizontal bars, one group per row: reads at 390 px and with long labels; every bar is
/// focusable and says its number (and shows it beside the bar).
#[component]
fn BarChart(table: ReportTable) -> impl IntoView {
    const LABEL_W: f64 = 150.0;
    const BAR_H: f64 = 14.0;
    const WIDTH: f64 = 640.0;
    let series = table.series.clone();
    let max = series_max(&table);
    let group_h = BAR_H * series.len() as f64 + 8.0;
    let height = group_h * table.rows.len() as f64 + 24.0;
    let plot_w = WIDTH - LABEL_W - 90.0;
    let bars = table
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let y0 = 4.0 + r as f64 * group_h;
            let label = cell_text(&row[0], &table.columns[0].kind);
            let label_short: String = label.chars().take(22).collect();
            let group = series
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    let value = number(&row[i]);
                    let text = cell_text(&row[i], &table.columns[i].kind);
                    let w = (value / max * plot_w).max(if value > 0.0 { 1.0 } else { 0.0 });
                    let y = y0 + k as f64 * BAR_H;
                    let name = format!("{label}, {}: {text}", table.columns[i].title);
                    let aria = name.clone();
                    view! {
                        <g tabindex="0" role="img" aria-label=aria class="outline-none focus:opacity-80">
                            <title>{name}</title>
                            <rect x=LABEL_W y=y width=format!("{w:.1}") height=BAR_H - 2.0 rx="2" fill=SERIES_COLOURS[k % 3]/>
                            <text x=format!("{:.1}", LABEL_W + w + 4.0) y=y + BAR_H - 4.0 font-size="11" fill="#334155">{text}</text>
                        </g>
                    }
                })
                .collect_view();
            view! {
                <text x=LABEL_W - 6.0 y=y0 + group_h / 2.0 text-anchor="end" font-size="11" fill="#0f172a">{label_short}</text>
                {group}
            }
        })
        .collect_view();
    view! {
        <Legend table=table.clone()/>
        // On a phone the chart keeps a readable size and scrolls sideways.
        <div class="overflow-x-auto">
            <svg viewBox=format!("0 0 {WIDTH} {height:.0}") class="w-full min-w-[520px] max-w-3xl" role="group" aria-label=table.title.clone()>
                {bars}
            </svg>
        </div>
    }
}

/// A time series as columns, one group per period; a column shows its number on hover and on
/// keyboard focus (and says it to screen readers).
#[component]
fn ColumnChart(table: ReportTable) -> impl IntoView {
    const WIDTH: f64 = 640.0;
    const HEIGHT: f64 = 200.0;
    const BOTTOM: f64 = 20.0;
    const TOP: f64 = 16.0;
    let series = table.series.clone();
    let max = series_max(&table);
    let n = table.rows.len().max(1);
    let group_w = WIDTH / n as f64;
    let bar_w = (group_w * 0.8 / series.len() as f64).max(1.0);
    let plot_h = HEIGHT - BOTTOM - TOP;
    // Every label would crowd a month of days: about eight of them.
    let every = n.div_ceil(8);
    let columns = table
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let x0 = r as f64 * group_w + group_w * 0.1;
            let label = cell_text(&row[0], &table.columns[0].kind);
            let short: String = label.chars().take(5).collect();
            let bars = series
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    let value = number(&row[i]);
                    let text = cell_text(&row[i], &table.columns[i].kind);
                    let h = (value / max * plot_h).max(if value > 0.0 { 1.0 } else { 0.0 });
                    let x = x0 + k as f64 * bar_w;
                    let y = TOP + plot_h - h;
                    let name = format!("{label}, {}: {text}", table.columns[i].title);
                    let aria = name.clone();
                    view! {
                        <g tabindex="0" role="img" aria-label=aria class="group outline-none">
                            <title>{name}</title>
                            <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{:.1}", (bar_w - 1.0).max(1.0)) height=format!("{h:.1}") fill=SERIES_COLOURS[k % 3] class="group-hover:opacity-80 group-focus:opacity-80"/>
                            <text x=format!("{:.1}", x + bar_w / 2.0) y=format!("{:.1}", (y - 3.0).max(10.0)) text-anchor="middle" font-size="10" fill="#0f172a" class="opacity-0 group-hover:opacity-100 group-focus:opacity-100">{text}</text>
                        </g>
                    }
                })
                .collect_view();
            let tick = (r % every == 0).then(|| view! {
                <text x=format!("{:.1}", x0 + group_w * 0.4) y=HEIGHT - 5.0 text-anchor=if r == 0 { "start" } else { "middle" } font-size="10" fill="#475569">{short}</text>
            });
            view! { {bars} {tick} }
        })
        .collect_view();
    view! {
        <Legend table=table.clone()/>
        <div class="overflow-x-auto">
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="w-full min-w-[520px] max-w-3xl" role="group" aria-label=table.title.clone()>
            <line x1="0" x2=WIDTH y1=TOP + plot_h y2=TOP + plot_h stroke="#cbd5e1"/>
            {columns}
        </svg>
        </div>
    }
}

/// Weekdays × hours, darker where the bays are busier; each cell says its share.
#[component]
fn HeatMap(table: ReportTable) -> impl IntoView {
    const CELL: f64 = 30.0;
    const LEFT: f64 = 30.0;
    const TOP: f64 = 18.0;
    let cols = table.series.clone();
    let width = LEFT + CELL * cols.len() as f64 + 4.0;
    let height = TOP + CELL * table.rows.len() as f64 + 4.0;
    let heads = cols
        .iter()
        .enumerate()
        .map(|(c, &i)| {
            let hour: String = table.columns[i].title.chars().take(2).collect();
            view! { <text x=LEFT + c as f64 * CELL + CELL / 2.0 y="12" text-anchor="middle" font-size="10" fill="#475569">{hour}</text> }
        })
        .collect_view();
    let cells = table
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let day = cell_text(&row[0], "text");
            let y = TOP + r as f64 * CELL;
            let line = cols
                .iter()
                .enumerate()
                .map(|(c, &i)| {
                    let x = LEFT + c as f64 * CELL;
                    let value = &row[i];
                    let name = format!("{day}, {}: {}", table.columns[i].title, if value.is_null() { "закрыто".into() } else { cell_text(value, "share") });
                    let (fill, opacity) = if value.is_null() {
                        ("#e2e8f0", 1.0)
                    } else {
                        ("#1d4ed8", 0.08 + 0.92 * number(value).clamp(0.0, 1.0))
                    };
                    let percent = (!value.is_null()).then(|| format!("{:.0}", number(value) * 100.0));
                    let dark = number(value) > 0.5;
                    let aria = name.clone();
                    view! {
                        <g tabindex="0" role="img" aria-label=aria>
                            <title>{name}</title>
                            <rect x=x y=y width=CELL - 2.0 height=CELL - 2.0 rx="3" fill=fill fill-opacity=format!("{opacity:.2}")/>
                            <text x=x + CELL / 2.0 - 1.0 y=y + CELL / 2.0 + 3.0 text-anchor="middle" font-size="9" fill=if dark { "#ffffff" } else { "#0f172a" }>{percent}</text>
                        </g>
                    }
                })
                .collect_view();
            view! {
                <text x="2" y=y + CELL / 2.0 + 3.0 font-size="11" fill="#0f172a">{day}</text>
                {line}
            }
        })
        .collect_view();
    view! {
        <div class="overflow-x-auto">
            <svg viewBox=format!("0 0 {width:.0} {height:.0}") width=format!("{width:.0}") class="max-w-none" role="group" aria-label=table.title.clone()>
                {heads}
                {cells}
            </svg>
        </div>
    }
}
