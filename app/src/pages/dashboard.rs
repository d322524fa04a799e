//! Сводка: today in every shop of the company, and the requests waiting for confirmation.

use crate::error::AppError;
use crate::model::Status;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::appointment_status::ChangeStatus;
use crate::components::{
    feedback::{EmptyState, ErrorNotice, Loading},
    form::ActionForm,
    live::reload_on_appointment_events,
    loaded::load,
};

/// One shop's day so far, counted in the shop's own time zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShopToday {
    pub shop_id: i64,
    pub shop_name: String,
    /// `ДД.ММ.ГГГГ`, the shop's today.
    pub date: String,
    /// `(status, count)` for every status, in the order a visit goes through them.
    pub by_status: Vec<(Status, usize)>,
    /// Share of the day's open bay-minutes that live visits hold; `None` when the shop is closed.
    pub bay_load_percent: Option<u32>,
    /// Sum of the live visits' prices, formatted in rubles.
    pub expected_revenue: String,
}

/// A visit in status `new`: booked by the bot or over the API, not yet confirmed by staff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewRequest {
    pub id: i64,
    pub shop_name: String,
    pub client_name: String,
    pub client_phone: Option<String>,
    /// Local time of the shop, `ДД.ММ ЧЧ:ММ`.
    pub start: String,
    pub services: String,
    pub source: crate::model::Channel,
    pub customer_note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub shops: Vec<ShopToday>,
    pub requests: Vec<NewRequest>,
}

#[server]
pub async fn today_overview() -> Result<Overview, AppError> {
    use crate::domain::{
        booking::{self, AppointmentFilter, Channel, Status},
        shops,
    };

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let shops = shops::list(&mut tx, 0, 100).await?;
    let mut days = Vec::with_capacity(shops.len());
    let mut requests = Vec::new();
    for shop in &shops {
        let tz = shop.tz()?;
        let today = chrono::Utc::now().with_timezone(&tz).date_naive();
        let visits = booking::list(
            &mut tx,
            &AppointmentFilter {
                shop_id: Some(shop.id),
                date_from: Some(today),
                date_to: Some(today),
                limit: booking::MAX_PAGE,
                ..AppointmentFilter::default()
            },
        )
        .await?;
        days.push(ssr::shop_today(shop, tz, today, &visits)?);

        let waiting = booking::list(
            &mut tx,
            &AppointmentFilter {
                shop_id: Some(shop.id),
                status: Some(Status::New),
                date_from: Some(today),
                limit: booking::MAX_PAGE,
                ..AppointmentFilter::default()
            },
        )
        .await?;
        requests.extend(waiting.into_iter().map(|a| (shop, tz, a)));
    }
    tx.commit().await?;
    // The bot's requests first: a customer in the chat is waiting for an answer.
    requests.sort_by_key(|(_, _, a)| (a.source != Channel::Telegram, a.start_time));
    Ok(Overview {
        shops: days,
        requests: requests
            .into_iter()
            .map(|(shop, tz, a)| ssr::new_request(shop, tz, a))
            .collect(),
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    use chrono::{DateTime, NaiveDate, Utc};
    use chrono_tz::Tz;
    use rust_decimal::Decimal;

    use super::{NewRequest, ShopToday};
    use crate::domain::{
        booking::{Appointment, Status},
        hours::WorkingHours,
        shops::Shop,
        Result,
    };

    fn is_live(status: Status) -> bool {
        !matches!(status, Status::Cancelled | Status::NoShow)
    }

    pub fn shop_today(
        shop: &Shop,
        tz: Tz,
        today: NaiveDate,
        visits: &[Appointment],
    ) -> Result<ShopToday> {
        let by_status = Status::ALL
            .into_iter()
            .map(|status| (status, visits.iter().filter(|a| a.status == status).count()))
            .collect();
        let open = WorkingHours::from_json(&shop.working_hours)?.open_periods(today, tz);
        let open_minutes: i64 = open
            .iter()
            .map(|(from, to)| (*to - *from).num_minutes())
            .sum();
        let live: Vec<&Appointment> = visits.iter().filter(|a| is_live(a.status)).collect();
        // Only the part of a visit inside opening hours counts, so the load never exceeds 100 %.
        let booked_minutes: i64 = live
            .iter()
            .map(|a| {
                let (start, end) = (a.start_time.to_utc(), a.end_time.to_utc());
                open.iter()
                    .map(|(from, to)| overlap_minutes(start, end, *from, *to))
                    .sum::<i64>()
            })
            .sum();
        let bay_minutes = open_minutes * i64::from(shop.bays);
        let bay_load_percent = (bay_minutes > 0).then(|| {
            u32::try_from((booked_minutes * 100 + bay_minutes / 2) / bay_minutes).unwrap_or(100)
        });
        let revenue: Decimal = live.iter().map(|a| a.total_price).sum();
        Ok(ShopToday {
            shop_id: shop.id,
            shop_name: shop.name.clone(),
            date: today.format("%d.%m.%Y").to_string(),
            by_status,
            bay_load_percent,
            expected_revenue: crate::format::rubles(revenue),
        })
    }

    fn overlap_minutes(
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> i64 {
        (end.min(to) - start.max(from)).num_minutes().max(0)
    }

    pub fn new_request(shop: &Shop, tz: Tz, a: Appointment) -> NewRequest {
        let services = a.service_names();
        NewRequest {
            id: a.id,
            shop_name: shop.name.clone(),
            client_name: a.client.full_name,
            client_phone: a.client.phone,
            start: a
                .start_time
                .with_timezone(&tz)
                .format("%d.%m %H:%M")
                .to_string(),
            services,
            source: a.source,
            customer_note: a.customer_note,
        }
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Сводка — Auto-Concierge"/>
        <h1 class="mb-4 text-2xl font-semibold">"Сводка на сегодня"</h1>
        <LiveOverview/>
    }
}

/// The shops' day and the new requests, reloaded as they change: the page's island.
#[island]
fn LiveOverview() -> impl IntoView {
    let confirm = ServerAction::<ChangeStatus>::new();
    // Reloaded after each confirmation made here and on every change reported by the stream.
    let overview = load(move || confirm.version().get(), |_| today_overview());
    reload_on_appointment_events(move || overview.refetch());

    view! {
        // Transition keeps the current numbers on screen while a live update reloads them.
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! {
                        <ShopDays shops=overview.shops/>
                        <NewRequests requests=overview.requests confirm/>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ShopDays(shops: Vec<ShopToday>) -> impl IntoView {
    if shops.is_empty() {
        return view! { <EmptyState text="Точек пока нет: добавьте первую в разделе «Точки»." next=("/shops", "Добавить точку")/> }
            .into_any();
    }
    view! {
        <div class="grid gap-4 md:grid-cols-2">
            {shops.into_iter().map(|day| view! { <ShopDayCard day/> }).collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn ShopDayCard(day: ShopToday) -> impl IntoView {
    let load = day
        .bay_load_percent
        .map(|p| format!("{p}\u{a0}%"))
        .unwrap_or_else(|| "выходной".into());
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-label=day.shop_name.clone() data-shop=day.shop_id>
            <h2 class="font-semibold">{day.shop_name.clone()}</h2>
            <p class="text-sm text-slate-500">{day.date}</p>
            <dl class="mt-3 grid grid-cols-2 gap-3">
                <div>
                    <dt class="text-sm text-slate-500">"Загрузка постов"</dt>
                    <dd class="text-xl font-semibold" data-testid="bay-load">{load}</dd>
                </div>
                <div>
                    <dt class="text-sm text-slate-500">"Ожидаемая выручка"</dt>
                    <dd class="text-xl font-semibold" data-testid="revenue">{day.expected_revenue}</dd>
                </div>
            </dl>
            <ul class="mt-3 flex flex-wrap gap-2" aria-label="Записи по статусам">
                {day.by_status.into_iter().map(|(status, count)| view! {
                    <li class=format!("rounded-full border px-3 py-1 text-sm {}", status.classes())>
                        {status.label()} ": " <strong>{count}</strong>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn NewRequests(requests: Vec<NewRequest>, confirm: ServerAction<ChangeStatus>) -> impl IntoView {
    let error = move || confirm.value().get().and_then(Result::err);
    view! {
        <section class="mt-6" aria-labelledby="new-requests">
            <h2 id="new-requests" class="mb-3 text-lg font-semibold">
                "Новые заявки " <span class="text-slate-500">{requests.len()}</span>
            </h2>
            {move || error().map(|error| view! { <ErrorNotice error/> })}
            {if requests.is_empty() {
                view! { <EmptyState text="Новых заявок нет — все подтверждены."/> }.into_any()
            } else {
                view! {
                    <ul class="space-y-2">
                        {requests.into_iter().map(|request| view! { <NewRequestRow request confirm/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn NewRequestRow(request: NewRequest, confirm: ServerAction<ChangeStatus>) -> impl IntoView {
    view! {
        <li class="flex flex-col gap-2 rounded-lg bg-white p-3 shadow sm:flex-row sm:items-center" data-request=request.id>
            <div class="flex-1">
                <p class="font-medium">
                    {request.start} " · " {request.client_name}
                    <span class="ml-2 rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-600">{request.source.label()}</span>
                </p>
                <p class="text-sm text-slate-600">
                    {request.shop_name} " · " {request.services}
                    {request.client_phone.map(|phone| view! { " · " <a class="text-blue-700" href=format!("tel:{phone}")>{phone.clone()}</a> })}
                </p>
                {(!request.customer_note.is_empty()).then(|| view! {
                    <p class="mt-1 text-sm italic text-slate-500">"«" {request.customer_note} "»"</p>
                })}
            </div>
            <ActionForm action=confirm>
                <input type="hidden" name="id" value=request.id/>
                <input type="hidden" name="status" value="confirmed"/>
                <button
                    type="submit"
                    class="w-full rounded-lg bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800 disabled:opacity-60 sm:w-auto"
                    disabled=move || confirm.pending().get()
                >"Подтвердить"</button>
            </ActionForm>
        </li>
    }
}
