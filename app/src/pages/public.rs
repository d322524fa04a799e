//! The company's public pages for car owners (issue 15), no login, no island and no WASM (the
//! shell leaves the hydration scripts out under `/b/`): they read and work whole with JavaScript
//! off, and with it `forms.js` posts their forms in place.
//!
//! - `/b/{slug}`: the company, its shops with hours, its prices by section; «Опишите, что
//!   случилось» and the catalogue to pick works from.
//! - `/b/{slug}/book?q=…&s=…&shop=…&day=…`: booking step by step, each step a page that the
//!   query so far leads to (the concierge's answer, the shop, the day, the time), then the
//!   contact form, which books through `booking::book` (source `web`).
//! - `/b/{slug}/v/{token}`: the visit behind its manage link: cancel or move it.

// The booking form posts its fields flat (`name=…&phone=…`, readable with JavaScript off): one
// server-function argument each, more than clippy's seven.
#![allow(clippy::too_many_arguments)]

use crate::components::{
    feedback::Loading,
    form::{PlainForm, INPUT, PRIMARY_BUTTON},
};
use crate::error::AppError;
pub use crate::model::{
    BookingQuery, PublicBooking, PublicCompany, PublicFindings, PublicService, PublicShop,
    PublicVisit,
};
use crate::public_path::public_url;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The company of `slug` as its public page shows it; `NotFound` for no such company.
#[server(endpoint = "public_company")]
pub async fn load_public_company(slug: String) -> Result<PublicCompany, AppError> {
    let state = expect_context::<crate::domain::AppState>();
    let found = crate::domain::public::company(&state.db, &slug).await;
    ssr::with_status(found)
}

/// The page's address as people outside reach it (`PUBLIC_URL` + `/b/{slug}`), for the card.
#[server(endpoint = "public_address")]
pub async fn load_public_address(slug: String) -> Result<String, AppError> {
    let state = expect_context::<crate::domain::AppState>();
    Ok(format!(
        "{}/b/{}",
        state.config.public_url.trim_end_matches('/'),
        slug.trim()
    ))
}

/// One step of booking on the page of `slug`, as `query` chose so far.
#[server(endpoint = "public_booking")]
pub async fn load_public_booking(
    slug: String,
    query: BookingQuery,
) -> Result<PublicBooking, AppError> {
    let state = expect_context::<crate::domain::AppState>();
    let client = ssr::client_address(&state).await?;
    let found = crate::domain::public::booking_step(&state, &slug, query, client).await;
    ssr::with_status(found)
}

/// Books the visit; on success the browser goes to the visit's manage link.
#[server(endpoint = "public_book")]
pub async fn public_book(
    slug: String,
    q: String,
    services: String,
    shop: i64,
    start: String,
    name: String,
    phone: String,
    make: String,
    model: String,
    plate: String,
    website: String,
    #[server(default)] email: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::public::{self, BookingForm};

    let state = expect_context::<crate::domain::AppState>();
    // Posted from this site only: another site cannot spend its visitors' addresses on the
    // page's limits.
    crate::session::ssr::require_same_origin().await?;
    let client = ssr::client_address(&state).await?;
    let form = BookingForm {
        q,
        services: ssr::ids(&services),
        shop,
        start,
        name,
        phone,
        make,
        model,
        plate,
        email: email.unwrap_or_default(),
        website,
    };
    let next = match public::book(&state, &slug, form, client).await? {
        public::Booked::Visit(token) => format!("/b/{slug}/v/{token}?done=booked"),
        public::Booked::CodeSent(token) => format!("/b/{slug}/confirm/{token}"),
    };
    leptos_axum::redirect(&crate::session::ssr::public_url(&state.config, &next));
    Ok(())
}

/// Where a code sent by SMS waits: the end of the phone it went to.
#[server(endpoint = "public_pending")]
pub async fn load_public_pending(slug: String, token: String) -> Result<String, AppError> {
    let state = expect_context::<crate::domain::AppState>();
    let found = crate::domain::public::pending_phone(&state.db, &slug, &token).await;
    ssr::with_status(found)
}

/// The code typed: the visit is booked and the browser goes to its manage link.
#[server(endpoint = "public_confirm")]
pub async fn public_confirm(slug: String, token: String, code: String) -> Result<(), AppError> {
    let state = expect_context::<crate::domain::AppState>();
    // Posted from this site only: another site cannot spend its visitors' addresses on the
    // page's limits.
    crate::session::ssr::require_same_origin().await?;
    let visit = crate::domain::public::confirm(&state, &slug, &token, &code).await?;
    leptos_axum::redirect(&crate::session::ssr::public_url(
        &state.config,
        &format!("/b/{slug}/v/{visit}?done=booked"),
    ));
    Ok(())
}

/// The visit behind a manage link; with `day`, that day's free times to move it to.
#[server(endpoint = "public_visit")]
pub async fn load_public_visit(
    slug: String,
    token: String,
    day: Option<String>,
) -> Result<PublicVisit, AppError> {
    let state = expect_context::<crate::domain::AppState>();
    let found = crate::domain::public::visit(&state.db, &slug, &token, day.as_deref()).await;
    ssr::with_status(found)
}

#[server(endpoint = "public_cancel")]
pub async fn public_cancel(slug: String, token: String) -> Result<(), AppError> {
    let state = expect_context::<crate::domain::AppState>();
    // Posted from this site only: another site cannot spend its visitors' addresses on the
    // page's limits.
    crate::session::ssr::require_same_origin().await?;
    crate::domain::public::cancel(&state, &slug, &token).await?;
    leptos_axum::redirect(&crate::session::ssr::public_url(
        &state.config,
        &format!("/b/{slug}/v/{token}?done=cancelled"),
    ));
    Ok(())
}

#[server(endpoint = "public_move")]
pub async fn public_move(slug: String, token: String, start: String) -> Result<(), AppError> {
    let state = expect_context::<crate::domain::AppState>();
    // Posted from this site only: another site cannot spend its visitors' addresses on the
    // page's limits.
    crate::session::ssr::require_same_origin().await?;
    crate::domain::public::reschedule(&state, &slug, &token, &start).await?;
    leptos_axum::redirect(&crate::session::ssr::public_url(
        &state.config,
        &format!("/b/{slug}/v/{token}?done=moved"),
    ));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::domain::{ratelimit, AppState, Error, Result};

    /// A page that cannot be shown answers with its status (404 for a missing company or
    /// visit, 422 for booking switched off, 429 over a limit), not only says so.
    pub fn with_status<T>(found: Result<T>) -> Result<T, crate::error::AppError> {
        found.map_err(|error| {
            let error = crate::error::AppError::from(error);
            let status = axum::http::StatusCode::from_u16(error.status);
            if let (Some(response), Ok(status)) = (
                leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
                status,
            ) {
                response.set_status(status);
            }
            error
        })
    }

    /// The client's address (through the trusted proxies), which the page's limits count by.
    pub async fn client_address(state: &AppState) -> Result<std::net::IpAddr> {
        let axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr> =
            leptos_axum::extract()
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
        let headers: axum::http::HeaderMap = leptos_axum::extract()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(ratelimit::client_ip(
            peer.ip(),
            &headers,
            &state.config.trusted_proxies,
        ))
    }

    /// Service ids as a form or a query gives them: `3,7` (repeated parameters are joined first).
    pub fn ids(text: &str) -> Vec<i64> {
        text.split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect()
    }
}

/// The choices of the booking page's query: `s` may come repeated (checkboxes) or as `3,7`.
fn booking_query() -> BookingQuery {
    use_query_map().with_untracked(|q| BookingQuery {
        q: q.get("q").unwrap_or_default().chars().take(2000).collect(),
        services: q
            .get_all("s")
            .unwrap_or_default()
            .iter()
            .flat_map(|s| s.split(','))
            .filter_map(|id| id.trim().parse().ok())
            .take(20)
            .collect(),
        shop: q.get("shop").and_then(|s| s.parse().ok()),
        day: q.get("day").filter(|d| d.len() == 10),
    })
}

fn slug_param() -> String {
    use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default())
}

/// The page's frame: the company's colour (its buttons and heading) and logo, if set.
#[component]
fn Frame(company: PublicCompany, title: String, children: Children) -> impl IntoView {
    let style = company
        .color
        .as_ref()
        .map(|c| format!("--brand: {c}"))
        .unwrap_or_default();
    view! {
        <Title text=title/>
        <main class="mx-auto max-w-2xl px-4 py-6" style=style>
            <header class="mb-4 flex items-center gap-3">
                {company.logo.clone().map(|logo| view! {
                    <img src=logo alt=format!("Логотип «{}»", company.name) class="h-12 w-12 rounded object-contain"/>
                })}
                <a href=public_url(&format!("/b/{}", company.slug)) class="text-2xl font-semibold text-[var(--brand,#0f172a)]">
                    {company.name.clone()}
                </a>
            </header>
            {children()}
        </main>
    }
}

/// The look of the page's main buttons, in the company's colour when it has one.
const BRAND_BUTTON: &str = "inline-block rounded-lg bg-[var(--brand,#1d4ed8)] px-4 py-2 font-medium text-white hover:opacity-90";

const NO_COMPANY: &str = "Такого автосервиса у нас нет";

/// The frame around a page that could not be shown: the refusal and a way back.
fn missing(error: AppError, back: Option<String>, absent: &'static str) -> AnyView {
    view! {
        <main class="mx-auto max-w-2xl px-4 py-6">
            <Title text="Страница не найдена — Auto-Concierge"/>
            {if error.status == 404 {
                view! {
                    <h1 class="text-2xl font-semibold">{absent}</h1>
                    <p class="mt-2 text-slate-600">"Проверьте адрес страницы — его даёт сам сервис."</p>
                }.into_any()
            } else {
                view! {
                    <h1 class="text-2xl font-semibold">"Не получилось"</h1>
                    <p role="alert" class="mt-2 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-red-800">{error.message.clone()}</p>
                }.into_any()
            }}
            {back.map(|href| view! { <p class="mt-4"><a class="text-blue-700 underline" href=href>"Вернуться"</a></p> })}
        </main>
    }
    .into_any()
}

/// `/b/{slug}`.
#[component]
pub fn PublicPage() -> impl IntoView {
    let slug = slug_param();
    let company = Resource::new(move || slug.clone(), load_public_company);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match company.await {
                    Ok(company) => view! { <Company company/> }.into_any(),
                    Err(error) => missing(error, None, NO_COMPANY),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Company(company: PublicCompany) -> impl IntoView {
    let title = format!("{} — запись в автосервис", company.name);
    let book = public_url(&format!("/b/{}/book", company.slug));
    let bot = company.bot.clone();
    let booking = company.booking;
    let shops = company.shops.clone();
    let sections = company.sections.clone();
    view! {
        <Frame company title>
            <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="book-title">
                <h2 id="book-title" class="font-semibold">"Записаться"</h2>
                {if booking {
                    view! { <Describe action=book.clone() words=String::new()/> }.into_any()
                } else {
                    view! { <p class="mt-1 text-sm text-slate-700">"Запись на сайте сейчас выключена — позвоните в удобный вам сервис, телефоны ниже."</p> }.into_any()
                }}
                {bot.map(|bot| view! {
                    <p class="mt-3 text-sm text-slate-700">
                        "Или напишите нашему боту в Telegram: "
                        <a class="text-blue-700 underline" href=format!("https://t.me/{bot}") rel="noopener">"@" {bot.clone()}</a>
                    </p>
                })}
            </section>
            <section class="mt-4" aria-labelledby="shops-title">
                <h2 id="shops-title" class="mb-2 font-semibold">"Наши сервисы"</h2>
                <ul class="space-y-3">
                    {shops.into_iter().map(|shop| view! { <ShopCard shop/> }).collect_view()}
                </ul>
            </section>
            <section class="mt-4" aria-labelledby="prices-title">
                <h2 id="prices-title" class="mb-2 font-semibold">"Работы и цены"</h2>
                {if booking {
                    view! {
                        <form method="get" action=book.clone()>
                            <Catalogue sections checked=Vec::new() pick=true/>
                            <div class="sticky bottom-3"><button type="submit" class=format!("{BRAND_BUTTON} shadow-lg")>"Выбрать время"</button></div>
                        </form>
                    }.into_any()
                } else {
                    view! { <Catalogue sections checked=Vec::new() pick=false/> }.into_any()
                }}
                <p class="mt-2 text-xs text-slate-500">"Цены — за работу, без запчастей; точную стоимость скажет мастер после осмотра."</p>
            </section>
        </Frame>
    }
}

/// «Опишите, что случилось»: the words go to the booking page, where the concierge answers.
#[component]
fn Describe(action: String, words: String) -> impl IntoView {
    view! {
        <form method="get" action=action class="mt-2 space-y-2">
            <label for="public-words" class="block text-sm font-medium">"Опишите, что случилось с машиной"</label>
            <textarea id="public-words" name="q" rows="3" maxlength="2000" required class=INPUT
                placeholder="Например: стучит спереди справа на кочках">{words}</textarea>
            <button type="submit" class=BRAND_BUTTON>"Подобрать работы"</button>
        </form>
    }
}

/// The catalogue by section; with `pick`, each service is a checkbox (`s`).
#[component]
fn Catalogue(
    sections: Vec<(String, Vec<PublicService>)>,
    checked: Vec<i64>,
    pick: bool,
) -> impl IntoView {
    sections
        .into_iter()
        .map(|(section, services)| {
            let checked = checked.clone();
            view! {
                <section class="mb-3 rounded-xl bg-white p-4 shadow" aria-label=section.clone()>
                    <h3 class="mb-1 font-medium">{section.clone()}</h3>
                    <ul class="divide-y divide-slate-100">
                        {services.into_iter().map(|s| {
                            let on = checked.contains(&s.id);
                            view! { <ServiceRow service=s pick checked=on/> }
                        }).collect_view()}
                    </ul>
                </section>
            }
        })
        .collect_view()
}

#[component]
fn ServiceRow(service: PublicService, pick: bool, checked: bool) -> impl IntoView {
    let id = format!("service-{}", service.id);
    let name = view! {
        <span>
            {service.name.clone()}
            {(!service.description.is_empty()).then(|| view! { <span class="block text-sm text-slate-600">{service.description.clone()}</span> })}
        </span>
    };
    let price = view! {
        <span class="whitespace-nowrap font-medium">{service.price.clone()} <span class="text-sm font-normal text-slate-500">" · " {service.minutes} " мин"</span></span>
    };
    if pick {
        let label_for = id.clone();
        view! {
            <li class="py-2">
                <label for=label_for class="flex cursor-pointer items-start justify-between gap-x-4">
                    <span class="flex gap-2">
                        <input id=id type="checkbox" name="s" value=service.id.to_string() checked=checked class="mt-1 h-4 w-4 shrink-0"/>
                        {name}
                    </span>
                    {price}
                </label>
            </li>
        }
        .into_any()
    } else {
        view! { <li class="flex flex-wrap justify-between gap-x-4 py-2">{name}{price}</li> }
            .into_any()
    }
}

#[component]
fn ShopCard(shop: PublicShop) -> impl IntoView {
    let phone = shop.phone.clone();
    view! {
        <li class="rounded-xl bg-white p-4 shadow">
            <p class="font-medium">{shop.name}</p>
            <p class="text-sm text-slate-700">{shop.address}</p>
            {(!phone.is_empty()).then(|| view! {
                <a class="text-sm text-blue-700 underline" href=format!("tel:{phone}")>{phone.clone()}</a>
            })}
            <dl class="mt-2 grid grid-cols-2 gap-x-4 text-sm sm:grid-cols-4">
                {shop.hours.into_iter().map(|(day, hours)| view! {
                    <div class="flex gap-2"><dt class="w-6 text-slate-500">{day}</dt><dd>{hours}</dd></div>
                }).collect_view()}
            </dl>
        </li>
    }
}

/// `/b/{slug}/book`.
#[component]
pub fn PublicBookingPage() -> impl IntoView {
    let slug = slug_param();
    let query = booking_query();
    let back = public_url(&format!("/b/{slug}"));
    let step = Resource::new(
        move || (slug.clone(), query.clone()),
        |(slug, query)| load_public_booking(slug, query),
    );
    view! {
        <Suspense fallback=Loading>
            {move || {
                let back = back.clone();
                Suspend::new(async move {
                    match step.await {
                        Ok(step) => view! { <Booking step/> }.into_any(),
                        Err(error) => missing(error, Some(back), NO_COMPANY),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Booking(step: PublicBooking) -> impl IntoView {
    let slug = step.company.slug.clone();
    let book = public_url(&format!("/b/{slug}/book"));
    let here = move |query: String| format!("{book}?{query}");
    let title = format!("Запись — {}", step.company.name);
    let query = step.query.clone();
    let body = if step.chosen.is_empty() {
        view! { <ChooseWorks step=step.clone()/> }.into_any()
    } else {
        let change_works = here(query.with(|q| {
            q.shop = None;
            q.day = None;
        }));
        let chosen = step.chosen.clone();
        view! {
            <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="works-title">
                <h2 id="works-title" class="font-semibold">"Работы"</h2>
                <ul class="mt-1 text-sm">
                    {chosen.into_iter().map(|s| view! {
                        <li class="flex justify-between gap-4"><span>{s.name}</span><span class="whitespace-nowrap">{s.price}</span></li>
                    }).collect_view()}
                </ul>
                <p class="mt-1 text-sm font-medium">"Итого от " {step.total.clone()} " · ≈ " {step.minutes} " мин"</p>
                <a class="text-sm text-blue-700 underline" href=change_works>"Изменить работы"</a>
            </section>
            <ChooseTime step=step.clone()/>
        }
        .into_any()
    };
    view! {
        <Frame company=step.company.clone() title>
            <nav aria-label="Шаги записи" class="mb-3 text-sm text-slate-600">
                <ol class="flex flex-wrap gap-x-2">
                    <li aria-current=step.chosen.is_empty().then_some("step")>"1. Работы"</li>
                    <li>"→"</li>
                    <li aria-current=(!step.chosen.is_empty() && step.times.is_empty()).then_some("step")>"2. Сервис и день"</li>
                    <li>"→"</li>
                    <li aria-current=(!step.times.is_empty()).then_some("step")>"3. Время и контакты"</li>
                </ol>
            </nav>
            {body}
        </Frame>
    }
}

/// Step 1: the concierge's answer to the words, and the catalogue to pick from.
#[component]
fn ChooseWorks(step: PublicBooking) -> impl IntoView {
    let slug = step.company.slug.clone();
    let book = public_url(&format!("/b/{slug}/book"));
    let words = step.query.q.clone();
    let findings = step.findings.clone();
    let suggested: Vec<i64> = findings
        .as_ref()
        .and_then(|f| f.services.first())
        .map(|s| vec![s.id])
        .unwrap_or_default();
    let sections = step.company.sections.clone();
    view! {
        {findings.map(|f| {
            let found = !f.services.is_empty();
            view! {
                <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="findings-title">
                    <h2 id="findings-title" class="font-semibold">"Что это может быть"</h2>
                    {(!f.declined.is_empty()).then(|| view! {
                        <p class="mt-1 text-sm text-slate-700">"Этим мы не занимаемся: " {f.declined.join(", ")} "."</p>
                    })}
                    {(!f.causes.is_empty()).then(|| view! {
                        <ul class="mt-1 list-disc pl-5 text-sm">
                            {f.causes.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}
                        </ul>
                    })}
                    {if found {
                        view! {
                            <form method="get" action=book.clone() class="mt-3">
                                <input type="hidden" name="q" value=words.clone()/>
                                <h3 class="font-medium">"Подходящие работы"</h3>
                                <ul class="divide-y divide-slate-100">
                                    {f.services.into_iter().map(|s| {
                                        let on = suggested.contains(&s.id);
                                        view! { <ServiceRow service=s pick=true checked=on/> }
                                    }).collect_view()}
                                </ul>
                                <button type="submit" class=BRAND_BUTTON>"Выбрать время"</button>
                            </form>
                        }.into_any()
                    } else {
                        view! {
                            <p class="mt-2 text-sm text-slate-700">"Подходящей работы в нашем каталоге не нашлось. Опишите подробнее, выберите работу из каталога ниже или позвоните в сервис."</p>
                        }.into_any()
                    }}
                </section>
            }
        })}
        <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="describe-title">
            <h2 id="describe-title" class="font-semibold">"Что случилось?"</h2>
            <Describe action=book.clone() words=words.clone()/>
        </section>
        <section class="mt-4" aria-labelledby="catalogue-title">
            <h2 id="catalogue-title" class="mb-2 font-semibold">"Или выберите работы из каталога"</h2>
            <form method="get" action=book.clone()>
                <input type="hidden" name="q" value=words.clone()/>
                <Catalogue sections checked=Vec::new() pick=true/>
                <div class="sticky bottom-3"><button type="submit" class=format!("{BRAND_BUTTON} shadow-lg")>"Выбрать время"</button></div>
            </form>
        </section>
    }
}

/// Step 2 and 3: the shop, the day, then the time with the contact form.
#[component]
fn ChooseTime(step: PublicBooking) -> impl IntoView {
    let slug = step.company.slug.clone();
    let book = public_url(&format!("/b/{slug}/book"));
    let link = {
        let book = book.clone();
        move |query: String| format!("{book}?{query}")
    };
    let query = step.query.clone();
    let several_shops = step.shops.len() > 1;
    let shop_choice = match (&step.shop, several_shops) {
        (None, true) => Some(view! {
            <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="shop-title">
                <h2 id="shop-title" class="font-semibold">"В какой сервис удобнее приехать?"</h2>
                <ul class="mt-2 space-y-2">
                    {step.shops.iter().map(|s| {
                        let href = link(query.with(|q| { q.shop = Some(s.id); q.day = None; }));
                        view! {
                            <li><a class="block rounded-lg border p-3 hover:bg-slate-50" href=href>
                                <span class="font-medium">{s.name.clone()}</span>
                                <span class="block text-sm text-slate-600">{s.address.clone()}</span>
                            </a></li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        }.into_any()),
        (Some(shop), _) => {
            let change = several_shops.then(|| link(query.with(|q| { q.shop = None; q.day = None; })));
            Some(view! {
                <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-label="Сервис">
                    <p><span class="text-sm text-slate-500">"Сервис: "</span>{shop.name.clone()} ", " {shop.address.clone()}</p>
                    {change.map(|href| view! { <a class="text-sm text-blue-700 underline" href=href>"Другой сервис"</a> })}
                </section>
            }.into_any())
        }
        (None, false) => None,
    };
    let days = (step.shop.is_some() && !step.days.is_empty()).then(|| {
        let chosen = query.day.clone();
        view! {
            <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="day-title">
                <h2 id="day-title" class="font-semibold">"День"</h2>
                <DayLinks
                    days=step.days.iter().map(|(label, day)| (label.clone(), day.clone(), link(query.with(|q| q.day = Some(day.clone()))))).collect()
                    chosen/>
            </section>
        }
    });
    let notice = step.notice.clone().map(|text| view! {
        <p role="status" class="mt-4 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-amber-900">{text}</p>
    });
    let contact = (!step.times.is_empty()).then(|| view! { <ContactForm step=step.clone()/> });
    view! {
        {shop_choice}
        {notice}
        {days}
        {contact}
    }
}

/// Days with free time as links (label, `2026-12-24`, where the link leads); `chosen` marked.
#[component]
fn DayLinks(days: Vec<(String, String, String)>, chosen: Option<String>) -> impl IntoView {
    view! {
        <ul class="mt-2 grid grid-cols-3 gap-2 sm:grid-cols-5">
            {days.into_iter().map(|(label, day, href)| {
                let current = chosen.as_deref() == Some(day.as_str());
                view! {
                    <li><a href=href aria-current=current.then_some("date")
                        class=if current { "block rounded-lg border-2 border-[var(--brand,#1d4ed8)] p-2 text-center font-medium" } else { "block rounded-lg border p-2 text-center hover:bg-slate-50" }>
                        {label}
                    </a></li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Free start times as radio buttons named `start` (label «10:30», value RFC 3339).
#[component]
fn TimeChoice(times: Vec<(String, String)>, prefix: &'static str) -> impl IntoView {
    view! {
        <div class="mt-2 grid grid-cols-4 gap-2 sm:grid-cols-6">
            {times.into_iter().enumerate().map(|(i, (label, start))| {
                let id = format!("{prefix}-{i}");
                view! {
                    <div>
                        <input id=id.clone() type="radio" name="start" value=start required=true class="peer sr-only"/>
                        <label for=id class="block cursor-pointer rounded-lg border p-2 text-center peer-checked:border-2 peer-checked:border-[var(--brand,#1d4ed8)] peer-checked:font-semibold peer-focus-visible:ring-2">{label}</label>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

/// Step 3: the free times of the day, and who is coming; then «Записаться».
#[component]
fn ContactForm(step: PublicBooking) -> impl IntoView {
    let action = ServerAction::<PublicBook>::new();
    let query = step.query.clone();
    let services: Vec<String> = query.services.iter().map(i64::to_string).collect();
    view! {
        <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="time-title">
            <PlainForm action class="space-y-4">
                <input type="hidden" name="slug" value=step.company.slug.clone()/>
                <input type="hidden" name="q" value=query.q.clone()/>
                <input type="hidden" name="services" value=services.join(",")/>
                <input type="hidden" name="shop" value=query.shop.unwrap_or_default().to_string()/>
                <fieldset>
                    <legend id="time-title" class="font-semibold">"Время"</legend>
                    <TimeChoice times=step.times.clone() prefix="time"/>
                </fieldset>
                <div>
                    <label for="public-name" class="block text-sm font-medium">"Как к вам обращаться"</label>
                    <input id="public-name" name="name" required=true maxlength="100" autocomplete="name" class=INPUT/>
                </div>
                <div>
                    <label for="public-phone" class="block text-sm font-medium">"Телефон"</label>
                    <input id="public-phone" name="phone" type="tel" required=true autocomplete="tel" inputmode="tel" placeholder="+7 916 123-45-67" class=INPUT/>
                </div>
                <div>
                    <label for="public-email" class="block text-sm font-medium">"E-mail (необязательно)"</label>
                    <input id="public-email" name="email" type="email" autocomplete="email" maxlength="254" aria-describedby="public-email-hint" class=INPUT/>
                    <p id="public-email-hint" class="text-xs text-slate-500">"Пришлём письмо со ссылкой, по которой запись можно перенести или отменить."</p>
                </div>
                <fieldset class="grid grid-cols-1 gap-2 sm:grid-cols-3">
                    <legend class="text-sm font-medium">"Автомобиль (необязательно)"</legend>
                    <div><label for="public-make" class="block text-sm">"Марка"</label><input id="public-make" name="make" maxlength="50" class=INPUT/></div>
                    <div><label for="public-model" class="block text-sm">"Модель"</label><input id="public-model" name="model" maxlength="50" class=INPUT/></div>
                    <div><label for="public-plate" class="block text-sm">"Госномер"</label><input id="public-plate" name="plate" maxlength="20" class=INPUT/></div>
                </fieldset>
                // Hidden from people (and from screen readers); bots that fill every field fill it.
                <div class="absolute -left-[9999px]" aria-hidden="true">
                    <label for="public-website">"Сайт (не заполняйте)"</label>
                    <input id="public-website" name="website" tabindex="-1" autocomplete="off"/>
                </div>
                <p class="text-xs text-slate-500">"Нажимая «Записаться», вы соглашаетесь, что сервис свяжется с вами по этому телефону."</p>
                <button type="submit" class=BRAND_BUTTON>"Записаться"</button>
            </PlainForm>
        </section>
    }
}

/// `/b/{slug}/v/{token}`.
#[component]
pub fn PublicVisitPage() -> impl IntoView {
    let (slug, token) = use_params_map().with_untracked(|p| {
        (
            p.get("slug").unwrap_or_default(),
            p.get("token").unwrap_or_default(),
        )
    });
    let (day, done) = use_query_map().with_untracked(|q| (q.get("day"), q.get("done")));
    let back = public_url(&format!("/b/{slug}"));
    let visit = Resource::new(
        move || (slug.clone(), token.clone(), day.clone()),
        |(slug, token, day)| load_public_visit(slug, token, day),
    );
    view! {
        <Suspense fallback=Loading>
            {move || {
                let back = back.clone();
                let done = done.clone();
                Suspend::new(async move {
                    match visit.await {
                        Ok(visit) => view! { <Visit visit done/> }.into_any(),
                        Err(error) => missing(error, Some(back), "Такой записи нет: ссылка неверна или больше не действует"),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Visit(visit: PublicVisit, done: Option<String>) -> impl IntoView {
    let (slug, token) = use_params_map().with_untracked(|p| {
        (
            p.get("slug").unwrap_or_default(),
            p.get("token").unwrap_or_default(),
        )
    });
    let title = format!("Ваша запись — {}", visit.company.name);
    let said = match done.as_deref() {
        Some("booked") => Some("Вы записаны! Сохраните эту страницу (добавьте в закладки): по ней можно отменить или перенести визит. Сервис подтвердит запись."),
        Some("cancelled") => Some("Запись отменена."),
        Some("moved") => Some("Запись перенесена."),
        _ => None,
    };
    let here = public_url(&format!("/b/{slug}/v/{token}"));
    let phone = visit.shop.phone.clone();
    let cancel = ServerAction::<PublicCancel>::new();
    let change = visit.changeable.then(|| {
        let (slug, token, here) = (slug.clone(), token.clone(), here.clone());
        let chosen = visit.day.clone();
        view! {
            <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="move-title">
                <h2 id="move-title" class="font-semibold">"Перенести на другое время"</h2>
                {if visit.days.is_empty() {
                    view! { <p class="mt-1 text-sm text-slate-700">"В ближайшие недели свободного времени нет — позвоните в сервис."</p> }.into_any()
                } else {
                    view! {
                        <DayLinks
                            days=visit.days.iter().map(|(label, day)| (label.clone(), day.clone(), format!("{here}?day={day}"))).collect()
                            chosen=chosen.clone()/>
                    }.into_any()
                }}
                {(chosen.is_some()).then(|| view! { <MoveForm slug=slug.clone() token=token.clone() times=visit.times.clone()/> })}
            </section>
            <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="cancel-title">
                <h2 id="cancel-title" class="font-semibold">"Не получится приехать?"</h2>
                <PlainForm action=cancel class="mt-2 space-y-2">
                    <input type="hidden" name="slug" value=slug.clone()/>
                    <input type="hidden" name="token" value=token.clone()/>
                    <button type="submit" class="rounded-lg border border-red-300 px-4 py-2 font-medium text-red-700 hover:bg-red-50">"Отменить запись"</button>
                </PlainForm>
            </section>
        }
    });
    view! {
        <Frame company=visit.company.clone() title>
            {said.map(|text| view! {
                <p role="status" class="mb-4 rounded-lg border border-green-200 bg-green-50 px-4 py-3 text-green-900">{text}</p>
            })}
            <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="visit-title">
                <h1 id="visit-title" class="text-xl font-semibold">"Ваша запись"</h1>
                <dl class="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
                    <dt class="text-slate-500">"Статус"</dt><dd data-visit-status="">{visit.status.clone()}</dd>
                    <dt class="text-slate-500">"Когда"</dt><dd data-visit-when="">{visit.when.clone()}</dd>
                    <dt class="text-slate-500">"Где"</dt><dd>{visit.shop.name.clone()} ", " {visit.shop.address.clone()}</dd>
                    <dt class="text-slate-500">"Работы"</dt><dd>{visit.services.join(", ")}</dd>
                    <dt class="text-slate-500">"Стоимость"</dt><dd>"от " {visit.total.clone()}</dd>
                </dl>
                {(!phone.is_empty()).then(|| view! {
                    <p class="mt-2 text-sm">"Телефон сервиса: " <a class="text-blue-700 underline" href=format!("tel:{phone}")>{phone.clone()}</a></p>
                })}
            </section>
            {change}
        </Frame>
    }
}

#[component]
fn MoveForm(slug: String, token: String, times: Vec<(String, String)>) -> impl IntoView {
    let action = ServerAction::<PublicMove>::new();
    if times.is_empty() {
        return view! { <p class="mt-2 text-sm text-slate-700">"На этот день свободного времени уже нет — выберите другой."</p> }.into_any();
    }
    view! {
        <PlainForm action class="mt-3 space-y-3">
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="token" value=token/>
            <fieldset>
                <legend class="text-sm font-medium">"Новое время"</legend>
                <TimeChoice times prefix="move"/>
            </fieldset>
            <button type="submit" class=PRIMARY_BUTTON>"Перенести"</button>
        </PlainForm>
    }
    .into_any()
}

/// `/b/{slug}/card`: an A5 card for the reception desk — the company, «Запишитесь онлайн», the
/// page's QR code and, for those without a camera, its address — laid out for printing.
#[component]
pub fn PublicCardPage() -> impl IntoView {
    let slug = slug_param();
    let company = Resource::new(
        move || slug.clone(),
        |slug| async move {
            let company = load_public_company(slug.clone()).await?;
            let address = load_public_address(slug).await?;
            Ok::<_, AppError>((company, address))
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match company.await {
                    Ok((company, address)) => {
                        let qr = public_url(&format!("/b/{}/qr.svg", company.slug));
                        let shown = address.split_once("://").map(|(_, rest)| rest.to_string()).unwrap_or(address);
                        view! {
                            <Title text=format!("Карточка для печати — {}", company.name)/>
                            <style>"@page { size: A5 portrait; margin: 0 } @media print { .no-print { display: none } body { background: white } }"</style>
                            <p class="no-print mx-auto mt-4 max-w-[148mm] text-sm text-slate-600">"Формат A5. Напечатайте (Ctrl+P) и поставьте на ресепшен."</p>
                            <article class="mx-auto my-4 flex h-[210mm] w-[148mm] flex-col items-center justify-center gap-6 bg-white p-[12mm] text-center shadow print:my-0 print:shadow-none" style=company.color.as_ref().map(|c| format!("--brand: {c}")).unwrap_or_default()>
                                {company.logo.clone().map(|logo| view! { <img src=logo alt="" class="h-20 object-contain"/> })}
                                <h1 class="text-3xl font-bold text-[var(--brand,#0f172a)]">{company.name.clone()}</h1>
                                <p class="text-2xl">"Запишитесь онлайн"</p>
                                <p class="text-lg text-slate-700">"Опишите, что случилось с машиной, — подскажем причину, цену и свободное время"</p>
                                <img src=qr alt="QR-код страницы записи" class="h-[70mm] w-[70mm]"/>
                                <p class="text-base text-slate-600">"Наведите камеру телефона на код или откройте"</p>
                                <p class="break-all font-mono text-lg" data-card-address="">{shown}</p>
                            </article>
                        }.into_any()
                    }
                    Err(error) => missing(error, None, NO_COMPANY),
                }
            })}
        </Suspense>
    }
}

/// `/b/{slug}/confirm/{token}`: the code sent by SMS to the phone typed on the page.
#[component]
pub fn PublicConfirmPage() -> impl IntoView {
    let (slug, token) = use_params_map().with_untracked(|p| {
        (
            p.get("slug").unwrap_or_default(),
            p.get("token").unwrap_or_default(),
        )
    });
    let back = public_url(&format!("/b/{slug}"));
    let pending = Resource::new(
        move || (slug.clone(), token.clone()),
        |(slug, token)| async move {
            let company = load_public_company(slug.clone()).await?;
            let phone = load_public_pending(slug, token.clone()).await?;
            Ok::<_, AppError>((company, phone, token))
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || {
                let back = back.clone();
                Suspend::new(async move {
                    match pending.await {
                        Ok((company, phone, token)) => {
                            let action = ServerAction::<PublicConfirm>::new();
                            let slug = company.slug.clone();
                            let title = format!("Код из SMS — {}", company.name);
                            view! {
                                <Frame company title>
                                    <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="code-title">
                                        <h1 id="code-title" class="text-xl font-semibold">"Подтвердите телефон"</h1>
                                        <p class="mt-1 text-sm text-slate-700">"Мы отправили SMS с кодом на номер " {phone} ". Введите его — и запись готова. Код действует 10 минут."</p>
                                        <PlainForm action class="mt-3 space-y-3">
                                            <input type="hidden" name="slug" value=slug/>
                                            <input type="hidden" name="token" value=token/>
                                            <div>
                                                <label for="public-code" class="block text-sm font-medium">"Код из SMS"</label>
                                                <input id="public-code" name="code" required=true inputmode="numeric" autocomplete="one-time-code" maxlength="6" class=INPUT/>
                                            </div>
                                            <button type="submit" class=BRAND_BUTTON>"Подтвердить запись"</button>
                                        </PlainForm>
                                    </section>
                                </Frame>
                            }.into_any()
                        }
                        Err(error) => missing(error, Some(back), "Код больше не действует: запишитесь ещё раз, мы пришлём новый"),
                    }
                })
            }}
        </Suspense>
    }
}
