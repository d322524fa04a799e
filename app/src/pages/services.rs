//! Услуги: the company's catalogue. Admins add, change and remove services; managers read it.
//! Server-rendered with plain forms (no WASM): «Изменить» opens the page with `?edit=<id>`, and
//! a save brings the list back.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{
    feedback::{EmptyState, ErrorNotice, Loading},
    form::{Field, PlainEditor, PlainForm, TextArea, INPUT},
};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceRow {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub description: String,
    /// As typed in the form: `1500` or `1500.50`.
    pub price: String,
    pub duration_minutes: i32,
    pub buffer_minutes: i32,
    pub is_active: bool,
    /// Words and symptoms the concierge matches customer messages against.
    pub keywords: String,
    /// `None`: offered in every shop.
    pub shop_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    /// Admins may change the catalogue; managers see it read-only.
    pub can_edit: bool,
    pub services: Vec<ServiceRow>,
    /// The company's shops, `(id, name)`, for "offered in".
    pub shops: Vec<(i64, String)>,
}

#[server]
pub async fn load_catalogue() -> Result<Catalogue, AppError> {
    use crate::domain::{services, shops};

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let list = services::list(&mut tx, None, 0, 1000).await?;
    let shops = shops::list(&mut tx, 0, 100).await?;
    tx.commit().await?;
    Ok(Catalogue {
        can_edit: user.role.is_admin(),
        services: list
            .into_iter()
            .map(|s| ServiceRow {
                id: s.id,
                name: s.name,
                category: s.category,
                description: s.description,
                price: s.price.round_dp(2).normalize().to_string(),
                duration_minutes: s.duration_minutes,
                buffer_minutes: s.buffer_minutes,
                is_active: s.is_active,
                keywords: s.keywords,
                shop_id: s.shop_id,
            })
            .collect(),
        shops: shops.into_iter().map(|s| (s.id, s.name)).collect(),
    })
}

/// The service form as typed: numbers stay text until the server reads them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceInput {
    /// Empty for a new service.
    pub id: Option<i64>,
    pub name: String,
    pub category: String,
    pub description: String,
    pub price: String,
    pub duration_minutes: String,
    pub buffer_minutes: String,
    /// A checkbox: present when ticked.
    pub is_active: Option<String>,
    pub keywords: String,
    /// A shop's id, or empty for every shop.
    pub shop_id: String,
}

/// Creates a service (`id` empty) or changes one. The rules (price not negative, duration
/// 1–1440 minutes…) are the catalogue's own, in `services`.
#[server]
pub async fn save_service(service: ServiceInput) -> Result<(), AppError> {
    use crate::domain::services;

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    let id = service.id;
    let service = ssr::read(service)?;
    match id {
        Some(id) => {
            let patch = services::ServicePatch {
                name: Some(service.name),
                category: Some(service.category),
                description: Some(service.description),
                price: Some(service.price),
                duration_minutes: Some(service.duration_minutes),
                buffer_minutes: Some(service.buffer_minutes),
                is_active: Some(service.is_active),
                keywords: Some(service.keywords),
                shop_id: Some(service.shop_id),
            };
            services::change(&state.db, tenant, id, patch).await?
        }
        None => services::add(&state.db, tenant, service).await?,
    };
    // Back to the list with the form empty (followed by `public/forms.js`, or natively).
    leptos_axum::redirect(&crate::session::ssr::public_url(&state.config, "/services"));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::ServiceInput;
    use crate::{domain::services::NewService, error::AppError, session::ssr::refused};

    /// The form's text as the catalogue's numbers: people type «1 500,50» (spaces group
    /// digits, the comma is the decimal separator).
    pub(super) fn read(input: ServiceInput) -> Result<NewService, AppError> {
        let price: String = input
            .price
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c == ',' { '.' } else { c })
            .collect();
        let price = Decimal::from_str(&price)
            .map_err(|_| refused("Цена: число рублей, например 1500 или 1500,50"))?;
        let duration_minutes: i32 = input
            .duration_minutes
            .trim()
            .parse()
            .map_err(|_| refused("Длительность: целое число минут"))?;
        let buffer_minutes: i32 = match input.buffer_minutes.trim() {
            "" => 0,
            text => text
                .parse()
                .map_err(|_| refused("Буфер после работы: целое число минут"))?,
        };
        let shop_id: Option<i64> = match input.shop_id.trim() {
            "" => None,
            text => Some(
                text.parse()
                    .map_err(|_| refused("Точка: выберите из списка"))?,
            ),
        };
        Ok(NewService {
            name: input.name,
            description: input.description,
            category: input.category,
            price,
            duration_minutes,
            buffer_minutes,
            is_active: input.is_active.is_some(),
            keywords: input.keywords,
            shop_id,
        })
    }
}

/// Removes a service; one that past visits refer to is only deactivated (see `services::delete`).
#[server]
pub async fn remove_service(id: i64) -> Result<(), AppError> {
    use crate::domain::services;

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    services::remove(&state.db, tenant, id).await?;
    Ok(())
}

#[component]
pub fn ServicesPage() -> impl IntoView {
    view! {
        <Title text="Услуги — Auto-Concierge"/>
        <h1 class="mb-4 text-2xl font-semibold">"Услуги"</h1>
        <ServicesEditor/>
    }
}

/// The catalogue and its form; `?edit=<id>` puts that service in the form.
#[component]
fn ServicesEditor() -> impl IntoView {
    let catalogue = Resource::new(|| (), |_| load_catalogue());
    let editing = crate::components::form::editing();
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match catalogue.await {
                    Ok(catalogue) => {
                        let service = editing.and_then(|id| catalogue.services.iter().find(|s| s.id == id).cloned());
                        view! {
                            <div class="grid gap-4 lg:grid-cols-3">
                                <div class="lg:col-span-2">
                                    <ServiceList services=catalogue.services shops=catalogue.shops.clone() can_edit=catalogue.can_edit/>
                                </div>
                                {catalogue.can_edit.then(|| view! { <ServiceForm service shops=catalogue.shops/> })}
                            </div>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ServiceList(
    services: Vec<ServiceRow>,
    shops: Vec<(i64, String)>,
    can_edit: bool,
) -> impl IntoView {
    if services.is_empty() {
        return view! { <EmptyState text="Услуг пока нет."/> }.into_any();
    }
    view! {
        <ul class="divide-y rounded-xl bg-white shadow" aria-label="Каталог услуг">
            {services.into_iter().map(|service| {
                // Where it is offered, when not everywhere.
                let only_in = service.shop_id.map(|id| {
                    shops.iter().find(|(shop, _)| *shop == id).map(|(_, name)| name.clone()).unwrap_or_default()
                });
                let remove = ServerAction::<RemoveService>::new();
                view! {
                    <li class="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-center" data-service=service.id>
                        <div class="flex-1">
                            <p class="font-medium">
                                {service.name.clone()}
                                {(!service.is_active).then(|| view! { <span class="ml-2 text-xs text-slate-500">"(не активна)"</span> })}
                            </p>
                            <p class="text-sm text-slate-600">
                                {service.category.clone()} " · " {service.duration_minutes} " мин · " {service.price.clone()} "\u{a0}₽"
                                {only_in.map(|name| view! { " · только: " {name} })}
                            </p>
                            {(!service.keywords.is_empty()).then(|| view! {
                                <p class="text-xs text-slate-500">"Слова для консьержа: " {service.keywords.clone()}</p>
                            })}
                        </div>
                        {can_edit.then(|| view! {
                            <div class="flex flex-wrap items-start gap-2">
                                <a class="rounded-lg border px-3 py-1 text-sm" href=crate::public_path::public_url(&format!("/services?edit={}#service-form", service.id))>
                                    "Изменить"<span class="sr-only">" " {service.name.clone()}</span>
                                </a>
                                <PlainForm action=remove>
                                    <input type="hidden" name="id" value=service.id/>
                                    <button type="submit" class="rounded-lg border border-red-300 px-3 py-1 text-sm text-red-700">
                                        "Удалить"<span class="sr-only">" " {service.name.clone()}</span>
                                    </button>
                                </PlainForm>
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
fn ServiceForm(service: Option<ServiceRow>, shops: Vec<(i64, String)>) -> impl IntoView {
    let save = ServerAction::<SaveService>::new();
    let is_new = service.is_none();
    let service = service.unwrap_or(ServiceRow {
        is_active: true,
        ..ServiceRow::default()
    });
    let (heading, submit) = if is_new {
        ("Новая услуга".to_string(), "Добавить услугу")
    } else {
        (format!("Изменить: {}", service.name), "Сохранить")
    };
    let cancel = (!is_new).then(|| "/services".to_string());
    view! {
        <PlainEditor action=save id="service-form" heading submit cancel>
            {(!is_new).then(|| view! { <input type="hidden" name="service[id]" value=service.id/> })}
            <Field id="service-name" label="Название" name="service[name]" required=true value=service.name.clone()/>
            <Field id="service-category" label="Категория" name="service[category]" value=service.category.clone()/>
            <TextArea id="service-description" label="Описание" name="service[description]" value=service.description.clone()/>
            <div class="grid grid-cols-3 gap-2">
                <Field id="service-price" label="Цена, ₽" name="service[price]" inputmode="decimal" required=true value=service.price.clone()/>
                <Field id="service-duration" label="Минут" name="service[duration_minutes]" inputmode="numeric" required=true
                    value=if is_new { String::new() } else { service.duration_minutes.to_string() }/>
                <Field id="service-buffer" label="Буфер, мин" name="service[buffer_minutes]" inputmode="numeric" value=service.buffer_minutes.to_string()/>
            </div>
            <TextArea id="service-keywords" label="Слова и симптомы для консьержа" name="service[keywords]" value=service.keywords.clone()
                hint="Через запятую: как клиенты описывают проблему («стук, подвеска, кочки»)."/>
            <div>
                <label for="service-shop" class="block text-sm font-medium">"Где оказывается"</label>
                <select id="service-shop" name="service[shop_id]" class=INPUT>
                    <option value="" selected=service.shop_id.is_none()>"Во всех точках"</option>
                    {shops.into_iter().map(|(id, name)| view! {
                        <option value=id selected=service.shop_id == Some(id)>{name}</option>
                    }).collect_view()}
                </select>
            </div>
            <label class="flex items-center gap-2 text-sm">
                <input type="checkbox" name="service[is_active]" value="on" checked=service.is_active/>
                "Активна (предлагается клиентам)"
            </label>
        </PlainEditor>
    }
}
