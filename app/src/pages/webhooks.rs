//! «Вебхуки», a section of the Settings page (admins): the company's endpoints for its CRM, the
//! secret of a new one shown once, each endpoint's delivery log with «Повторить», a test event,
//! switching off and on, removal. Server-rendered with plain forms: no WASM behind it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{
    feedback::{ErrorNotice, Loading},
    form::{PlainForm, INPUT, PRIMARY_BUTTON},
};
use crate::error::AppError;

/// Events as the form names them.
const EVENTS: [(&str, &str); 4] = [
    ("appointment.created", "Новая запись"),
    (
        "appointment.updated",
        "Запись изменена (статус, время, работы)",
    ),
    ("client.created", "Новый клиент"),
    ("client.updated", "Клиент изменён"),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhooksView {
    pub can_edit: bool,
    pub endpoints: Vec<EndpointView>,
    /// (endpoint id, URL, secret) of endpoints just created, until the admin has saved it.
    pub new_secrets: Vec<(i64, String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: i64,
    pub url: String,
    pub description: String,
    /// «все события» or the chosen ones.
    pub events: String,
    pub active: bool,
    /// «Работает», «Ошибки с 07.12.2026 09:15», «Выключен …».
    pub state: String,
    pub failing: bool,
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    /// «07.12.2026 09:15:03» in the company's time.
    pub at: String,
    pub event: String,
    pub attempt: i32,
    pub ok: bool,
    /// «200 · 35 мс» or what went wrong.
    pub result: String,
    pub excerpt: String,
}

/// Attempts shown per endpoint.
#[cfg(feature = "ssr")]
const LOG_ROWS: i64 = 10;

#[server]
pub async fn load_webhooks() -> Result<WebhooksView, AppError> {
    use crate::domain::{company, webhooks};

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff().await?;
    if !user.role.is_admin() {
        return Ok(WebhooksView {
            can_edit: false,
            endpoints: Vec::new(),
            new_secrets: Vec::new(),
        });
    }
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let unsaved = webhooks::unsaved_secrets(&mut tx, &state.config).await?;
    let zone = company::zone(&mut tx).await?;
    let time = |at: chrono::DateTime<chrono::Utc>, format: &str| {
        at.with_timezone(&zone).format(format).to_string()
    };
    let mut endpoints = Vec::new();
    let mut new_secrets = Vec::new();
    for endpoint in webhooks::list(&mut tx).await? {
        if let Some((_, secret)) = unsaved.iter().find(|(id, _)| *id == endpoint.id) {
            new_secrets.push((endpoint.id, endpoint.url.clone(), secret.clone()));
        }
        let deliveries = webhooks::deliveries(&mut tx, endpoint.id, LOG_ROWS)
            .await?
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                at: time(d.created_at, "%d.%m.%Y %H:%M:%S"),
                event: d.event_type,
                attempt: d.attempt,
                ok: d.ok,
                result: match (d.status_code, d.error) {
                    (Some(code), _) => format!("{code} · {} мс", d.duration_ms.unwrap_or(0)),
                    (None, Some(error)) => error,
                    (None, None) => "—".into(),
                },
                excerpt: d.response_excerpt.unwrap_or_default(),
            })
            .collect();
        let state = match (
            &endpoint.disabled_at,
            endpoint.active,
            &endpoint.failing_since,
        ) {
            (Some(at), _, _) => format!(
                "Выключен {}: {}",
                time(*at, "%d.%m.%Y %H:%M"),
                endpoint.disabled_reason.clone().unwrap_or_default()
            ),
            (None, false, _) => "Выключен администратором".into(),
            (None, true, Some(since)) => {
                format!(
                    "Ошибки с {}: повторяем до суток",
                    time(*since, "%d.%m.%Y %H:%M")
                )
            }
            (None, true, None) => "Работает".into(),
        };
        endpoints.push(EndpointView {
            id: endpoint.id,
            failing: endpoint.failing_since.is_some() || endpoint.disabled_at.is_some(),
            events: if endpoint.events.is_empty() {
                "все события".into()
            } else {
                endpoint.events.join(", ")
            },
            url: endpoint.url,
            description: endpoint.description,
            active: endpoint.active,
            state,
            deliveries,
        });
    }
    Ok(WebhooksView {
        can_edit: true,
        endpoints,
        new_secrets,
    })
}

/// The add form as typed: a checkbox per event (`Some("on")` when ticked).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewWebhookInput {
    pub url: String,
    pub description: String,
    pub appointment_created: Option<String>,
    pub appointment_updated: Option<String>,
    pub client_created: Option<String>,
    pub client_updated: Option<String>,
}

/// Adds an endpoint, as `POST /api/v1/webhooks` does; its secret is shown on the page until the
/// admin has saved it.
#[server]
pub async fn add_webhook(endpoint: NewWebhookInput) -> Result<(), AppError> {
    use crate::domain::webhooks::{self, NewEndpoint};

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    let ticked = [
        &endpoint.appointment_created,
        &endpoint.appointment_updated,
        &endpoint.client_created,
        &endpoint.client_updated,
    ];
    let events = EVENTS
        .iter()
        .zip(ticked)
        .filter(|(_, ticked)| ticked.is_some())
        .map(|((event, _), _)| event.to_string())
        .collect();
    webhooks::create(
        &state.db,
        &state.config,
        tenant,
        NewEndpoint {
            url: endpoint.url,
            events,
            description: endpoint.description,
        },
        false,
    )
    .await?;
    Ok(())
}

/// «Секрет сохранён»: the secret is not shown again.
#[server]
pub async fn put_away_webhook_secret(id: i64) -> Result<(), AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    crate::domain::webhooks::put_away_secret(&state.db, tenant, id).await?;
    Ok(())
}

/// «Отправить тестовое событие»: the attempt shows in the log when the page comes back.
#[server]
pub async fn test_webhook(id: i64) -> Result<(), AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    crate::domain::webhooks::send_test(&state, tenant, id).await?;
    Ok(())
}

/// «Повторить» an attempt of the log.
#[server]
pub async fn retry_webhook(id: i64, delivery: i64) -> Result<(), AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    crate::domain::webhooks::resend(&state, tenant, id, delivery).await?;
    Ok(())
}

/// «Выключить» / «Включить» (switching on forgets the failures).
#[server]
pub async fn switch_webhook(id: i64, active: bool) -> Result<(), AppError> {
    use crate::domain::webhooks::{self, EndpointPatch};

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    webhooks::change(
        &state.db,
        &state.config,
        tenant,
        id,
        EndpointPatch {
            active: Some(active),
            ..EndpointPatch::default()
        },
    )
    .await?;
    Ok(())
}

#[server]
pub async fn remove_webhook(id: i64) -> Result<(), AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    crate::domain::webhooks::remove(&state.db, tenant, id).await?;
    Ok(())
}

#[component]
pub fn WebhookSettings() -> impl IntoView {
    let view = Resource::new(|| (), |_| load_webhooks());
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match view.await {
                    Ok(view) if view.can_edit => view! { <Webhooks view/> }.into_any(),
                    Ok(_) => ().into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Webhooks(view: WebhooksView) -> impl IntoView {
    let add = ServerAction::<AddWebhook>::new();
    view! {
        <section class="rounded-xl bg-white p-4 shadow lg:col-span-2" aria-labelledby="webhooks">
            <h2 id="webhooks" class="mb-1 font-semibold">"Вебхуки"</h2>
            <p class="mb-2 text-sm text-slate-600">
                "События о записях и клиентах уходят в вашу CRM (amoCRM, Битрикс24, 1С) POST-запросом с полными данными. Подпись — заголовок X-Concierge-Signature: t=время,v1=HMAC-SHA256 секрета от «t.тело». Неудачные отправки повторяются до суток; адрес, который не принимает события 3 дня, выключается, и администраторам приходит письмо."
            </p>
            {view.new_secrets.into_iter().map(|(id, url, secret)| {
                let saved = ServerAction::<PutAwayWebhookSecret>::new();
                view! {
                    <div role="status" class="mb-2 rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                        <p>"Секрет подписи для " {url} " — сохраните его в CRM: после «Секрет сохранён» он больше не будет показан."</p>
                        <code class="my-1 block select-all break-all font-mono" data-webhook-secret="">{secret}</code>
                        <PlainForm action=saved>
                            <input type="hidden" name="id" value=id/>
                            <button type="submit" class="rounded-lg border border-amber-400 px-3 py-1">"Секрет сохранён"</button>
                        </PlainForm>
                    </div>
                }
            }).collect_view()}
            <div class="space-y-3">
                {view.endpoints.into_iter().map(|endpoint| view! { <EndpointCard endpoint/> }).collect_view()}
            </div>
            <PlainForm action=add class="mt-3 space-y-2 rounded-lg border p-3">
                <h3 class="text-sm font-medium">"Новый адрес"</h3>
                <div>
                    <label for="webhook-url" class="block text-sm font-medium">"URL приёмника"</label>
                    <input id="webhook-url" name="endpoint[url]" type="url" required maxlength="2000" class=INPUT placeholder="https://crm.example.ru/hooks/concierge"/>
                </div>
                <div>
                    <label for="webhook-description" class="block text-sm font-medium">"Описание"</label>
                    <input id="webhook-description" name="endpoint[description]" maxlength="200" class=INPUT placeholder="amoCRM, воронка «Сервис»"/>
                </div>
                <fieldset>
                    <legend class="text-sm font-medium">"События (ничего не выбрано — все)"</legend>
                    {EVENTS.iter().map(|(event, label)| {
                        let name = format!("endpoint[{}]", event.replace('.', "_"));
                        let id = format!("webhook-event-{}", event.replace('.', "-"));
                        view! {
                            <div class="flex items-center gap-2 text-sm">
                                <input type="checkbox" id=id.clone() name=name/>
                                <label for=id>{*label}" "<code class="text-xs text-slate-500">{*event}</code></label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <button type="submit" class=PRIMARY_BUTTON>"Создать вебхук"</button>
            </PlainForm>
        </section>
    }
}

#[component]
fn EndpointCard(endpoint: EndpointView) -> impl IntoView {
    let test = ServerAction::<TestWebhook>::new();
    let switch = ServerAction::<SwitchWebhook>::new();
    let remove = ServerAction::<RemoveWebhook>::new();
    let id = endpoint.id;
    let state_class = if endpoint.failing || !endpoint.active {
        "text-sm text-red-700"
    } else {
        "text-sm text-emerald-700"
    };
    let label = format!("Вебхук {}", endpoint.url);
    view! {
        <article class="rounded-lg border p-3" aria-label=label data-webhook=id>
            <p class="break-all font-mono text-sm">{endpoint.url.clone()}</p>
            {(!endpoint.description.is_empty()).then(|| view! { <p class="text-sm">{endpoint.description.clone()}</p> })}
            <p class="text-xs text-slate-500">"События: " {endpoint.events.clone()}</p>
            <p class=state_class data-webhook-state="">{endpoint.state.clone()}</p>
            <div class="mt-2 flex flex-wrap gap-2">
                <PlainForm action=test>
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="rounded-lg border px-3 py-1 text-sm" disabled=!endpoint.active>"Отправить тестовое событие"</button>
                </PlainForm>
                <PlainForm action=switch>
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="active" value=(!endpoint.active).to_string()/>
                    <button type="submit" class="rounded-lg border px-3 py-1 text-sm">{if endpoint.active { "Выключить" } else { "Включить" }}</button>
                </PlainForm>
                <PlainForm action=remove>
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="rounded-lg border border-red-300 px-3 py-1 text-sm text-red-700">"Удалить"</button>
                </PlainForm>
            </div>
            <DeliveryLog id deliveries=endpoint.deliveries/>
        </article>
    }
}

#[component]
fn DeliveryLog(id: i64, deliveries: Vec<DeliveryView>) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="mt-2 text-xs text-slate-500">"Отправок ещё не было."</p> }
            .into_any();
    }
    view! {
        <div class="mt-2 overflow-x-auto">
            <table class="w-full text-left text-xs">
                <caption class="text-left text-sm font-medium">"Журнал отправок"</caption>
                <thead><tr class="text-slate-500">
                    <th class="pr-2">"Когда"</th><th class="pr-2">"Событие"</th><th class="pr-2">"Попытка"</th>
                    <th class="pr-2">"Результат"</th><th class="pr-2">"Ответ"</th><th></th>
                </tr></thead>
                <tbody>
                    {deliveries.into_iter().map(|d| {
                        let retry = ServerAction::<RetryWebhook>::new();
                        let class = if d.ok { "text-emerald-700" } else { "text-red-700" };
                        view! {
                            <tr class="border-t align-top" data-delivery=d.id>
                                <td class="pr-2 whitespace-nowrap">{d.at}</td>
                                <td class="pr-2">{d.event}</td>
                                <td class="pr-2">{d.attempt}</td>
                                <td class=format!("pr-2 {class}")>{d.result}</td>
                                <td class="pr-2 break-all">{d.excerpt}</td>
                                <td>
                                    <PlainForm action=retry>
                                        <input type="hidden" name="id" value=id/>
                                        <input type="hidden" name="delivery" value=d.id/>
                                        <button type="submit" class="rounded border px-2 py-0.5">"Повторить"</button>
                                    </PlainForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
