//! «Уведомления», a section of the Settings page: the order in which a notification tries the
//! client's channels, the address answers to the company's letters go to, and the company's SMS
//! account (SMS.ru or a JSON gateway). Server-rendered with a plain form: no WASM behind it. The
//! SMS key is never shown again; an empty key field keeps the stored one.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{
    feedback::{ErrorNotice, Loading},
    form::{PlainForm, INPUT, PRIMARY_BUTTON},
};
use crate::error::AppError;

/// The section as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelsView {
    pub can_edit: bool,
    /// `telegram`, `sms`, `email`, in the company's order.
    pub channels: Vec<String>,
    pub reply_to_email: String,
    /// `none`, `smsru` or `webhook`.
    pub sms_provider: String,
    pub sms_sender: String,
    pub sms_url: String,
    /// Whether the platform has SMTP (e-mail can be sent at all).
    pub mail_ready: bool,
}

#[server]
pub async fn load_channels() -> Result<ChannelsView, AppError> {
    use crate::domain::company;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let company = company::get(&mut tx).await?;
    Ok(ChannelsView {
        can_edit: user.role.is_admin(),
        channels: company.channels,
        reply_to_email: company.reply_to_email.unwrap_or_default(),
        sms_provider: company
            .sms
            .as_ref()
            .map_or("none".into(), |s| s.provider.clone()),
        sms_sender: company
            .sms
            .as_ref()
            .and_then(|s| s.sender.clone())
            .unwrap_or_default(),
        sms_url: company
            .sms
            .as_ref()
            .and_then(|s| s.url.clone())
            .unwrap_or_default(),
        mail_ready: state.mailer.is_some(),
    })
}

/// The form as typed: three places of the order (`""` for none), the reply-to address and the
/// SMS account.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelsInput {
    pub first: String,
    pub second: String,
    pub third: String,
    pub reply_to_email: String,
    pub sms_provider: String,
    pub sms_sender: String,
    pub sms_url: String,
    pub sms_key: String,
}

/// An admin's change of the channel settings, as `PATCH /api/v1/tenant` makes it.
#[server]
pub async fn save_channels(settings: ChannelsInput) -> Result<(), AppError> {
    use crate::domain::company::{self, CompanyPatch, SmsPatch};

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    let channels: Vec<String> = [settings.first, settings.second, settings.third]
        .into_iter()
        .filter(|c| !c.is_empty())
        .collect();
    let key = Some(settings.sms_key.trim().to_string()).filter(|k| !k.is_empty());
    company::change(
        &state.db,
        &state.config,
        tenant,
        CompanyPatch {
            channels: Some(channels),
            reply_to_email: Some(settings.reply_to_email),
            sms: Some(SmsPatch {
                provider: settings.sms_provider,
                sender: Some(settings.sms_sender),
                url: Some(settings.sms_url),
                key,
            }),
            ..CompanyPatch::default()
        },
    )
    .await?;
    Ok(())
}

const CHANNELS: [(&str, &str); 3] = [
    ("telegram", "Telegram"),
    ("sms", "SMS"),
    ("email", "E-mail"),
];

#[component]
pub fn ChannelSettings() -> impl IntoView {
    let view = Resource::new(|| (), |_| load_channels());
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match view.await {
                    Ok(view) => view! { <ChannelsForm view/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ChannelsForm(view: ChannelsView) -> impl IntoView {
    let save = ServerAction::<SaveChannels>::new();
    let (channels, can_edit) = (view.channels.clone(), view.can_edit);
    let place = move |n: usize, label: &'static str, name: &'static str| {
        let chosen = channels.get(n).cloned().unwrap_or_default();
        let id = format!("channel-{name}");
        view! {
            <div>
                <label for=id.clone() class="block text-sm font-medium">{label}</label>
                <select id=id name=format!("settings[{name}]") class=INPUT disabled=!can_edit>
                    {(n > 0).then(|| view! { <option value="" selected=chosen.is_empty()>"—"</option> })}
                    {CHANNELS.iter().map(|(value, text)| view! {
                        <option value=*value selected=chosen == *value>{*text}</option>
                    }).collect_view()}
                </select>
            </div>
        }
    };
    let provider = view.sms_provider.clone();
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="channels">
            <h2 id="channels" class="mb-1 font-semibold">"Уведомления"</h2>
            <p class="mb-2 text-sm text-slate-600">
                "Сообщение о записи уходит по первому каналу, который у клиента есть и работает; если канал отказал (бот заблокирован, номер неверен, адрес не существует) — по следующему."
            </p>
            {(!view.mail_ready).then(|| view! {
                <p class="mb-2 rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                    "Почта платформы не настроена (SMTP_HOST): e-mail пропускается."
                </p>
            })}
            <PlainForm action=save class="space-y-3">
                <div class="grid gap-2 sm:grid-cols-3">
                    {place(0, "Сначала", "first")}
                    {place(1, "Затем", "second")}
                    {place(2, "В последнюю очередь", "third")}
                </div>
                <div>
                    <label for="reply-to" class="block text-sm font-medium">"Адрес для ответов на письма"</label>
                    <input id="reply-to" name="settings[reply_to_email]" type="email" value=view.reply_to_email class=INPUT placeholder="office@example.ru" disabled=!view.can_edit/>
                </div>
                <fieldset class="space-y-2 rounded-lg border p-3">
                    <legend class="px-1 text-sm font-medium">"SMS"</legend>
                    <div>
                        <label for="sms-provider" class="block text-sm font-medium">"Провайдер"</label>
                        <select id="sms-provider" name="settings[sms_provider]" class=INPUT disabled=!view.can_edit>
                            <option value="none" selected=provider == "none">"Не подключены"</option>
                            <option value="smsru" selected=provider == "smsru">"SMS.ru"</option>
                            <option value="webhook" selected=provider == "webhook">"Свой шлюз (JSON)"</option>
                        </select>
                    </div>
                    <div class="grid gap-2 sm:grid-cols-2">
                        <div>
                            <label for="sms-sender" class="block text-sm font-medium">"Имя отправителя"</label>
                            <input id="sms-sender" name="settings[sms_sender]" value=view.sms_sender class=INPUT maxlength="11" placeholder="SeverAuto" disabled=!view.can_edit/>
                        </div>
                        <div>
                            <label for="sms-key" class="block text-sm font-medium">"api_id или ключ"</label>
                            <input id="sms-key" name="settings[sms_key]" type="password" autocomplete="off" class=INPUT
                                placeholder=if provider == "none" { "" } else { "сохранён; пусто — не менять" } disabled=!view.can_edit/>
                        </div>
                    </div>
                    <div>
                        <label for="sms-url" class="block text-sm font-medium">"Адрес шлюза (для своего шлюза)"</label>
                        <input id="sms-url" name="settings[sms_url]" type="url" value=view.sms_url class=INPUT placeholder="https://sms.example.ru/send" disabled=!view.can_edit/>
                    </div>
                </fieldset>
                {view.can_edit.then(|| view! { <button type="submit" class=PRIMARY_BUTTON>"Сохранить"</button> })}
            </PlainForm>
        </section>
    }
}

/// One event's texts as the «Тексты сообщений» section shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateView {
    pub event: String,
    pub label: String,
    pub long: String,
    pub short: String,
    pub custom: bool,
    pub preview: String,
    pub preview_sms: String,
    pub sms_parts: usize,
    pub sms_chars: usize,
}

#[server]
pub async fn load_templates() -> Result<(bool, Vec<TemplateView>), AppError> {
    use crate::domain::templates;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let all = templates::list(&mut tx)
        .await?
        .into_iter()
        .map(|t| TemplateView {
            label: templates::event_label(&t.event).into(),
            sms_chars: t.preview_sms.chars().count(),
            event: t.event,
            long: t.long,
            short: t.short,
            custom: t.custom,
            preview: t.preview,
            preview_sms: t.preview_sms,
            sms_parts: t.sms_parts,
        })
        .collect();
    Ok((user.role.is_admin(), all))
}

/// An admin's change of one event's texts, as `PUT /api/v1/tenant/templates/{event}` makes it.
#[server]
pub async fn save_template(event: String, long: String, short: String) -> Result<(), AppError> {
    use crate::domain::templates::{self, TemplatePatch};

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    templates::change(
        &state.db,
        tenant,
        &event,
        TemplatePatch {
            long: Some(long),
            short: Some(short),
        },
    )
    .await?;
    Ok(())
}

/// «Вернуть стандартный»: the event's texts go back to the defaults.
#[server]
pub async fn reset_template(event: String) -> Result<(), AppError> {
    use crate::domain::templates::{self, TemplatePatch};

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    templates::change(&state.db, tenant, &event, TemplatePatch::default()).await?;
    Ok(())
}

/// «Тексты сообщений»: each event's long text (Telegram, e-mail) and SMS text, with the
/// placeholders, a preview on a sample visit and the SMS's length in parts.
#[component]
pub fn TemplateSettings() -> impl IntoView {
    let all = Resource::new(|| (), |_| load_templates());
    view! {
        <section class="rounded-xl bg-white p-4 shadow lg:col-span-2" aria-labelledby="templates">
            <h2 id="templates" class="mb-1 font-semibold">"Тексты сообщений"</h2>
            <p class="mb-2 text-sm text-slate-600">
                "Плейсхолдеры: {клиент}, {дата}, {время}, {сервис} (точка), {адрес}, {работы}, {сумма}, {ссылка} (бот компании). Предпросмотр — на примере записи."
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match all.await {
                        Ok((can_edit, all)) => view! {
                            <div class="divide-y">
                                {all.into_iter().map(|t| view! { <TemplateForm t can_edit/> }).collect_view()}
                            </div>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TemplateForm(t: TemplateView, can_edit: bool) -> impl IntoView {
    let save = ServerAction::<SaveTemplate>::new();
    let reset = ServerAction::<ResetTemplate>::new();
    let event = t.event.clone();
    let saved_event = t.event.clone();
    let (long, short) = (t.long.clone(), t.short.clone());
    let long_id = format!("template-{}-long", t.event);
    let short_id = format!("template-{}-short", t.event);
    let parts = match t.sms_parts {
        1 => "1 SMS".to_string(),
        n => format!("{n} SMS"),
    };
    view! {
        <details class="py-2" data-template=t.event.clone()>
            <summary class="cursor-pointer font-medium">
                {t.label.clone()}
                {t.custom.then_some(" · изменён")}
            </summary>
            <div class="mt-2 grid gap-3 md:grid-cols-2" role="group" aria-label=t.label.clone()>
                <PlainForm action=save class="space-y-2">
                    <input type="hidden" name="event" value=saved_event/>
                    <div>
                        <label for=long_id.clone() class="block text-sm font-medium">"Telegram и e-mail"</label>
                        <textarea id=long_id name="long" rows="3" class=INPUT maxlength="1000" disabled=!can_edit>{long}</textarea>
                    </div>
                    <div>
                        <label for=short_id.clone() class="block text-sm font-medium">"SMS"</label>
                        <textarea id=short_id name="short" rows="2" class=INPUT maxlength="300" disabled=!can_edit>{short}</textarea>
                    </div>
                    {can_edit.then(|| view! { <button type="submit" class=PRIMARY_BUTTON>"Сохранить"</button> })}
                </PlainForm>
                <div class="space-y-2 text-sm">
                    <p class="font-medium">"Предпросмотр"</p>
                    <p class="whitespace-pre-wrap rounded-lg bg-slate-50 p-2" data-testid="preview">{t.preview.clone()}</p>
                    <p class="whitespace-pre-wrap rounded-lg bg-slate-50 p-2" data-testid="preview-sms">{t.preview_sms.clone()}</p>
                    <p class="text-xs text-slate-600" data-testid="sms-length">{format!("SMS: {} символов — {parts}", t.sms_chars)}</p>
                    {(can_edit && t.custom).then(move || view! {
                        <PlainForm action=reset>
                            <input type="hidden" name="event" value=event/>
                            <button type="submit" class="rounded-lg border px-3 py-1 text-sm">"Вернуть стандартный"</button>
                        </PlainForm>
                    })}
                </div>
            </div>
        </details>
    }
}
