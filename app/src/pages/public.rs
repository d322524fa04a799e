//! The company's public page, `/b/{slug}` (issue 15, its first part): for car owners, no login.
//! The company, its shops with address, phone and hours, and its catalogue by section with
//! prices and durations, with the ways to book that exist today — the company's Telegram bot and
//! the shops' phones. Server-rendered with no island: it reads whole without JavaScript and adds
//! nothing to the WASM. Booking on the page itself is the next part.

use crate::components::feedback::Loading;
use crate::error::AppError;
pub use crate::model::{PublicCompany, PublicService, PublicShop};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The company of `slug` as its public page shows it; `NotFound` for no such company.
#[server(endpoint = "public_company")]
pub async fn load_public_company(slug: String) -> Result<PublicCompany, AppError> {
    use crate::domain::AppState;

    let state = expect_context::<AppState>();
    let found = crate::domain::public::company(&state.db, &slug).await;
    if matches!(found, Err(crate::domain::Error::NotFound)) {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    Ok(found?)
}

/// `/b/{slug}`.
#[component]
pub fn PublicPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default());
    let company = Resource::new(move || slug.clone(), load_public_company);
    view! {
        <main class="mx-auto max-w-2xl px-4 py-6">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match company.await {
                        Ok(company) => view! { <Company company/> }.into_any(),
                        Err(_) => view! {
                            <Title text="Сервис не найден — Auto-Concierge"/>
                            <h1 class="text-2xl font-semibold">"Такого автосервиса у нас нет"</h1>
                            <p class="mt-2 text-slate-600">"Проверьте адрес страницы — его даёт сам сервис."</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Company(company: PublicCompany) -> impl IntoView {
    let bot = company.bot.clone();
    view! {
        <Title text=format!("{} — запись в автосервис", company.name)/>
        <h1 class="text-2xl font-semibold">{company.name.clone()}</h1>
        <section class="mt-4 rounded-xl bg-white p-4 shadow" aria-labelledby="book-title">
            <h2 id="book-title" class="font-semibold">"Как записаться"</h2>
            <p class="mt-1 text-sm text-slate-700">
                {match &bot {
                    Some(_) => "Напишите нашему боту в Telegram, что случилось с машиной: он подскажет возможные причины, цены и свободное время и запишет вас. Или позвоните в сервис.",
                    None => "Позвоните в удобный вам сервис — телефоны ниже.",
                }}
            </p>
            {bot.map(|bot| view! {
                <a class="mt-3 inline-block rounded-lg bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800"
                    href=format!("https://t.me/{bot}") rel="noopener">
                    "Записаться в Telegram: @" {bot.clone()}
                </a>
            })}
        </section>
        <section class="mt-4" aria-labelledby="shops-title">
            <h2 id="shops-title" class="mb-2 font-semibold">"Наши сервисы"</h2>
            <ul class="space-y-3">
                {company.shops.into_iter().map(|shop| view! { <ShopCard shop/> }).collect_view()}
            </ul>
        </section>
        <section class="mt-4" aria-labelledby="prices-title">
            <h2 id="prices-title" class="mb-2 font-semibold">"Работы и цены"</h2>
            {company.sections.into_iter().map(|(section, services)| view! {
                <section class="mb-3 rounded-xl bg-white p-4 shadow" aria-label=section.clone()>
                    <h3 class="mb-1 font-medium">{section.clone()}</h3>
                    <ul class="divide-y">
                        {services.into_iter().map(|s| view! {
                            <li class="flex flex-wrap justify-between gap-x-4 py-2">
                                <span>
                                    {s.name}
                                    {(!s.description.is_empty()).then(|| view! { <span class="block text-sm text-slate-600">{s.description.clone()}</span> })}
                                </span>
                                <span class="whitespace-nowrap font-medium">{s.price} <span class="text-sm font-normal text-slate-500">" · " {s.minutes} " мин"</span></span>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            }).collect_view()}
            <p class="text-xs text-slate-500">"Цены — за работу, без запчастей; точную стоимость скажет мастер после осмотра."</p>
        </section>
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
