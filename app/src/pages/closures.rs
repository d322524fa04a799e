//! Выходные и сокращённые дни, on the Точки page: holidays, short days and a bay out of
//! service, per shop. Admins add and remove them with plain forms (no WASM: the page reloads);
//! a closure over booked visits lists those visits, with a link to each in the calendar, until
//! they are moved.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{
    feedback::{EmptyState, ErrorNotice, Loading},
    form::{Field, PlainForm, INPUT, PRIMARY_BUTTON},
};
use crate::error::AppError;
use crate::public_path::public_url;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClosuresView {
    pub can_edit: bool,
    /// `(id, name, bays)`.
    pub shops: Vec<(i64, String, i32)>,
    pub closures: Vec<ClosureRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClosureRow {
    pub id: i64,
    pub shop_id: i64,
    pub shop_name: String,
    /// «31.12.2026, чт».
    pub day: String,
    /// «Закрыто», «Пост 2 закрыт», «Сокращённый день: 10:00–16:00».
    pub what: String,
    pub reason: String,
    /// Live visits of the day the closure leaves outside the hours.
    pub to_move: Vec<VisitToMove>,
}

/// A visit a closure leaves outside the hours: `(calendar link, «09:00 Иванов Иван»)`.
pub type VisitToMove = (String, String);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClosureInput {
    pub shop_id: i64,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// `day`, `short` or `bay`.
    pub kind: String,
    pub opens: String,
    pub closes: String,
    pub bay: String,
    pub reason: String,
}

#[server]
pub async fn load_closures() -> Result<ClosuresView, AppError> {
    use crate::domain::{closures, shops};

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let shops = shops::list(&mut tx, 0, 100).await?;
    let mut rows = Vec::new();
    for shop in &shops {
        for c in closures::upcoming(&mut tx, shop.id).await? {
            let to_move = closures::visits_to_move(&mut tx, shop.id, &c).await?;
            rows.push(ssr::row(&shop.name, c, ssr::links(shop.id, to_move)));
        }
    }
    tx.commit().await?;
    rows.sort_by(|a, b| a.day.cmp(&b.day));
    Ok(ClosuresView {
        can_edit: user.role.is_admin(),
        shops: shops.into_iter().map(|s| (s.id, s.name, s.bays)).collect(),
        closures: rows,
    })
}

#[server]
pub async fn add_closure(closure: ClosureInput) -> Result<Vec<VisitToMove>, AppError> {
    use crate::domain::closures;

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    let shop_id = closure.shop_id;
    let new = ssr::read(closure)?;
    let added = closures::add(&state, tenant, shop_id, new).await?;
    Ok(ssr::links(shop_id, added.visits_to_move))
}

#[server]
pub async fn remove_closure(shop_id: i64, id: i64) -> Result<(), AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    crate::domain::closures::remove(&state, tenant, shop_id, id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{ClosureInput, ClosureRow, VisitToMove};
    use crate::{
        domain::{
            booking::Appointment,
            closures::{Closure, NewClosure},
        },
        error::AppError,
        session::ssr::refused,
    };

    /// Each visit as a link to it in the calendar, with its time and client.
    pub(super) fn links(shop_id: i64, visits: Vec<Appointment>) -> Vec<VisitToMove> {
        visits
            .into_iter()
            .map(|a| {
                let link = format!(
                    "/calendar?shop={shop_id}&date={}&visit={}",
                    a.start_time.date_naive(),
                    a.id
                );
                let start = a.start_time.format("%H:%M");
                (link, format!("{start} {}", a.client.full_name))
            })
            .collect()
    }

    pub(super) fn row(shop_name: &str, c: Closure, to_move: Vec<VisitToMove>) -> ClosureRow {
        let what = match (c.bay, c.opens, c.closes) {
            (Some(bay), _, _) => format!("Пост {bay} закрыт"),
            (None, Some(opens), Some(closes)) => format!(
                "Сокращённый день: {}–{}",
                opens.format("%H:%M"),
                closes.format("%H:%M")
            ),
            _ => "Закрыто".to_string(),
        };
        ClosureRow {
            id: c.id,
            shop_id: c.shop_id,
            shop_name: shop_name.to_string(),
            day: format!(
                "{}, {}",
                c.day.format("%d.%m.%Y"),
                crate::format::weekday_short(c.day)
            ),
            what,
            reason: c.reason,
            to_move,
        }
    }

    pub(super) fn read(input: ClosureInput) -> Result<NewClosure, AppError> {
        let day = input
            .day
            .trim()
            .parse()
            .map_err(|_| refused("Дата: выберите день"))?;
        let time = |text: &str, what: &str| {
            text.trim()
                .parse()
                .map_err(|_| refused(&format!("{what}: время вида 10:00")))
        };
        let (bay, opens, closes) = match input.kind.as_str() {
            "short" => (
                None,
                Some(time(&input.opens, "Открытие")?),
                Some(time(&input.closes, "Закрытие")?),
            ),
            "bay" => (
                Some(
                    input
                        .bay
                        .trim()
                        .parse()
                        .map_err(|_| refused("Пост: номер поста"))?,
                ),
                None,
                None,
            ),
            _ => (None, None, None),
        };
        Ok(NewClosure {
            day,
            bay,
            opens,
            closes,
            reason: input.reason,
        })
    }
}

/// The closures of every shop and, for admins, the form that adds one.
#[component]
pub fn ClosuresEditor() -> impl IntoView {
    let view_data = Resource::new(|| (), |_| load_closures());
    view! {
        <section class="mt-6 rounded-xl bg-white p-4 shadow" aria-labelledby="closures-title">
            <h2 id="closures-title" class="mb-1 font-semibold">"Выходные и сокращённые дни"</h2>
            <p class="mb-3 text-sm text-slate-600">"В эти дни клиенты не могут записаться ни в боте, ни по API, ни в календаре."</p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match view_data.await {
                        Ok(data) => view! {
                            <ClosureList rows=data.closures can_edit=data.can_edit/>
                            {data.can_edit.then(|| view! { <ClosureForm shops=data.shops/> })}
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ClosureList(rows: Vec<ClosureRow>, can_edit: bool) -> impl IntoView {
    if rows.is_empty() {
        return view! { <EmptyState text="Особых дней нет: точки работают по своему расписанию."/> }
            .into_any();
    }
    view! {
        <ul class="mb-3 divide-y" aria-label="Особые дни">
            {rows.into_iter().map(|row| {
                let remove = ServerAction::<RemoveClosure>::new();
                view! {
                    <li class="py-2 text-sm">
                        <div class="flex flex-wrap items-center gap-2">
                            <span class="w-32 font-medium">{row.day.clone()}</span>
                            <span>{row.shop_name.clone()}</span>
                            <span class="text-slate-700">{row.what.clone()}</span>
                            <span class="flex-1 text-slate-500">{row.reason.clone()}</span>
                            {can_edit.then(|| view! {
                                <PlainForm action=remove>
                                    <input type="hidden" name="shop_id" value=row.shop_id/>
                                    <input type="hidden" name="id" value=row.id/>
                                    <button type="submit" class="rounded-lg border px-2 py-0.5 text-xs">
                                        "Удалить"<span class="sr-only">" " {row.day.clone()} " " {row.shop_name.clone()}</span>
                                    </button>
                                </PlainForm>
                            })}
                        </div>
                        {(!row.to_move.is_empty()).then(|| view! {
                            <div role="status" class="mt-2 rounded-lg border border-amber-300 bg-amber-50 p-3">
                                <p class="font-medium">"На этот день уже есть записи — перенесите их:"</p>
                                <ul class="mt-1 list-disc pl-5">
                                    {row.to_move.into_iter().map(|(link, text)| view! {
                                        <li><a class="text-blue-700 underline" href=public_url(&link)>{text}</a></li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn ClosureForm(shops: Vec<(i64, String, i32)>) -> impl IntoView {
    let add = ServerAction::<AddClosure>::new();
    view! {
        <PlainForm action=add class="grid gap-2 border-t pt-3 sm:grid-cols-3">
            <div>
                <label for="closure-shop" class="block text-sm font-medium">"Точка"</label>
                <select id="closure-shop" name="closure[shop_id]" class=INPUT>
                    {shops.into_iter().map(|(id, name, bays)| view! {
                        <option value=id>{format!("{name} ({bays} пост.)")}</option>
                    }).collect_view()}
                </select>
            </div>
            <Field id="closure-day" label="День" name="closure[day]" kind="date" required=true value=""/>
            <div>
                <label for="closure-kind" class="block text-sm font-medium">"Что"</label>
                <select id="closure-kind" name="closure[kind]" class=INPUT>
                    <option value="day">"Закрыто весь день"</option>
                    <option value="short">"Сокращённый день"</option>
                    <option value="bay">"Закрыт один пост"</option>
                </select>
            </div>
            <Field id="closure-opens" label="Открытие (сокращённый)" name="closure[opens]" kind="time" value=""/>
            <Field id="closure-closes" label="Закрытие (сокращённый)" name="closure[closes]" kind="time" value=""/>
            <Field id="closure-bay" label="Пост (если один)" name="closure[bay]" inputmode="numeric" value=""/>
            <div class="sm:col-span-2">
                <Field id="closure-reason" label="Причина" name="closure[reason]" placeholder="Новый год" value=""/>
            </div>
            <div class="flex items-end">
                <button type="submit" class=PRIMARY_BUTTON>"Добавить"</button>
            </div>
        </PlainForm>
    }
}
