//! Настройки: the company itself (name, time zone, reminders: `pages::company`), its staff and
//! new staff accounts, its Telegram bot and the AI provider behind the concierge. Admins only; a
//! manager gets a page that says so rather than an error, with the company's settings to read,
//! and every server function here refuses them. Everyone can change their own password here.
//! Server-rendered with plain forms (no WASM; a change brings the page back, `?saved=…` saying
//! what was saved); only a password reset (its temporary password is shown once) and the AI form
//! (its fields follow the engine, its check answers in place) are islands.

use crate::error::AppError;
use leptos::{html, prelude::*};
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{
    feedback::{EmptyState, ErrorNotice, Loading},
    form::{PlainForm, INPUT, PRIMARY_BUTTON},
};
use crate::pages::company::CompanySettings;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: i64,
    pub email: String,
    pub full_name: String,
    pub role: crate::model::Role,
    pub is_active: bool,
    /// «07.12.2026 09:15» in the company's time, or `None` before the first login.
    pub last_login: Option<String>,
    /// Has a temporary password an admin gave and not yet set their own.
    pub must_change_password: bool,
    /// The admin looking at the list: their own password is changed, not reset.
    pub is_you: bool,
}

/// What the settings page may show to the one asking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StaffAccess {
    Allowed(Vec<StaffMember>),
    /// A manager: settings are for admins.
    Forbidden,
}

#[server]
pub async fn staff_members() -> Result<StaffAccess, AppError> {
    use crate::domain::{users, AppState};
    use crate::session::ssr::require_staff;

    // Taken before the first await: during server rendering a resumed future may run outside
    // the request's reactive owner.
    let state = expect_context::<AppState>();
    let response = use_context::<leptos_axum::ResponseOptions>();
    let (user, tenant) = require_staff().await?;
    if !user.role.is_admin() {
        if let Some(response) = response {
            response.set_status(axum::http::StatusCode::FORBIDDEN);
        }
        return Ok(StaffAccess::Forbidden);
    }
    let mut tx = state.db.tenant_tx(tenant).await?;
    let members = users::list(&mut tx, 0, 500).await?;
    let zone = crate::domain::company::zone(&mut tx).await?;
    tx.commit().await?;
    Ok(StaffAccess::Allowed(
        members
            .into_iter()
            .map(|u| StaffMember {
                id: u.id,
                email: u.email,
                full_name: u.full_name,
                role: u.role,
                is_active: u.is_active,
                must_change_password: u.must_change_password,
                is_you: u.id == user.id,
                last_login: u
                    .last_login_at
                    .map(|at| at.with_timezone(&zone).format("%d.%m.%Y %H:%M").to_string()),
            })
            .collect(),
    ))
}

/// An admin's change of a staff account: `admin`, `manager`, `deactivate` or `activate`.
/// Deactivating or changing the role ends the user's sessions at once; the company's last active
/// admin stays one (409).
#[server]
pub async fn change_staff_member(id: i64, change: String) -> Result<(), AppError> {
    use crate::domain::users::{self, UserPatch};

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::admin_changing().await?;
    let patch = match change.as_str() {
        "admin" | "manager" => UserPatch {
            role: Some(change),
            ..UserPatch::default()
        },
        "deactivate" | "activate" => UserPatch {
            is_active: Some(change == "activate"),
            ..UserPatch::default()
        },
        _ => return Err(crate::session::ssr::refused("Неизвестное действие")),
    };
    users::change(&state.db, tenant, &user, id, patch).await?;
    Ok(())
}

/// A staff member's temporary password, for the admin to pass on: shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemporaryPassword {
    pub user_id: i64,
    pub password: String,
}

/// An admin resets a staff member's forgotten password (not their own): the member's sessions
/// end, and at the next login they set their own in place of the temporary one.
#[server]
pub async fn reset_staff_password(id: i64) -> Result<TemporaryPassword, AppError> {
    use crate::domain::passwords;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::admin_changing().await?;
    let password = passwords::reset(&state.db, tenant, &user, id).await?;
    Ok(TemporaryPassword {
        user_id: id,
        password,
    })
}

#[server]
pub async fn add_staff_member(
    email: String,
    full_name: String,
    role: String,
    password: String,
) -> Result<(), AppError> {
    use crate::domain::users;

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    users::add(
        &state.db,
        tenant,
        users::NewUser {
            email,
            password,
            full_name,
            role,
        },
    )
    .await?;
    leptos_axum::redirect(&crate::session::ssr::public_url(
        &state.config,
        "/settings?saved=staff",
    ));
    Ok(())
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Настройки — Auto-Concierge"/>
        <SettingsSections/>
        <div class="mt-4 grid gap-4 lg:grid-cols-2">
            <crate::pages::channels::ChannelSettings/>
            <crate::pages::public_setup::PublicSetupSettings/>
            <crate::pages::password::PasswordForm temporary=false/>
            <crate::pages::company::DeclinedJobsSettings/>
            <crate::pages::channels::TemplateSettings/>
            <crate::pages::webhooks::WebhookSettings/>
        </div>
    }
}

/// Company, staff, bot and AI sections (or, for a manager, why not and the company to read).
#[component]
fn SettingsSections() -> impl IntoView {
    let access = Resource::new(|| (), |_| staff_members());
    let company = Resource::new(|| (), |_| crate::pages::company::load_company());
    let bot = Resource::new(|| (), |_| load_bot_status());
    let ai = Resource::new(|| (), |_| load_ai());
    // What the page came back from saving, if it did.
    let saved = crate::components::form::saved();
    view! {
        <Transition fallback=Loading>
            {move || {
                let saved = saved.clone();
                Suspend::new(async move {
                    let company = match company.await {
                        Ok(company) => company,
                        Err(error) => return view! { <ErrorNotice error/> }.into_any(),
                    };
                    match access.await {
                        Ok(StaffAccess::Allowed(members)) => {
                            let (bot, ai) = (bot.await, ai.await);
                            view! {
                                <h1 class="mb-4 text-2xl font-semibold">"Настройки"</h1>
                                <div class="grid gap-4 lg:grid-cols-2">
                                    <CompanySettings company saved=saved == "company"/>
                                    <StaffList members/>
                                    <AddStaffForm added=saved == "staff"/>
                                    <BotSettings status=bot connected=saved == "bot"/>
                                    <AiSettings settings=ai/>
                                </div>
                            }.into_any()
                        }
                        Ok(StaffAccess::Forbidden) => view! {
                            <NotAllowed/>
                            <div class="mx-auto mt-4 max-w-md">
                                <CompanySettings company/>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn NotAllowed() -> impl IntoView {
    view! {
        <section class="mx-auto max-w-md rounded-xl bg-white p-6 text-center shadow">
            <h1 class="text-2xl font-semibold">"Недостаточно прав"</h1>
            <p class="mt-2 text-slate-600">"Настройки компании и сотрудники доступны только администраторам."</p>
        </section>
    }
}

#[component]
fn StaffList(members: Vec<StaffMember>) -> impl IntoView {
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="staff">
            <h2 id="staff" class="mb-2 font-semibold">"Сотрудники"</h2>
            {if members.is_empty() {
                view! { <EmptyState text="Сотрудников нет."/> }.into_any()
            } else {
                view! {
                    <ul class="divide-y" aria-label="Сотрудники компании">
                        {members.into_iter().map(|member| view! { <StaffRow member/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// A staff member with their role, last login, and the admin's buttons.
#[component]
fn StaffRow(member: StaffMember) -> impl IntoView {
    let m = member;
    let (role_change, role_label) = if m.role == crate::model::Role::Admin {
        ("manager", "Сделать менеджером")
    } else {
        ("admin", "Сделать администратором")
    };
    let (active_change, active_label) = if m.is_active {
        ("deactivate", "Отключить")
    } else {
        ("activate", "Включить")
    };
    let (id, email) = (m.id, m.email.clone());
    let button = |action: &'static str, label: &'static str| {
        let change = ServerAction::<ChangeStaffMember>::new();
        let email = email.clone();
        view! {
            <PlainForm action=change>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="change" value=action/>
                <button type="submit" class="rounded-lg border px-2 py-0.5 text-xs">
                    {label}<span class="sr-only">" " {email}</span>
                </button>
            </PlainForm>
        }
    };
    view! {
        <li class="flex flex-wrap items-start gap-2 py-2" data-staff=m.id>
            <div class="flex-1">
                <p class="font-medium">{m.full_name.clone()} {(!m.is_active).then_some(" (отключён)")}</p>
                <p class="text-sm text-slate-600">
                    {m.email.clone()} " · " {m.role.label()}
                    {m.must_change_password.then_some(" · ждёт смены пароля")}
                </p>
                <p class="text-xs text-slate-500">{match &m.last_login { Some(at) => format!("Последний вход: {at}"), None => "Ещё не входил".to_string() }}</p>
            </div>
            {button(role_change, role_label)}
            {button(active_change, active_label)}
            {(!m.is_you).then(|| view! { <PasswordReset id email=m.email.clone()/> })}
        </li>
    }
}

/// «Сбросить пароль» and, once reset, the temporary password: shown this once, so it is answered
/// in place rather than after a reload.
#[island]
fn PasswordReset(id: i64, email: String) -> impl IntoView {
    let reset = ServerAction::<ResetStaffPassword>::new();
    view! {
        <leptos::form::ActionForm action=reset>
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="rounded-lg border px-2 py-0.5 text-xs disabled:opacity-60" disabled=move || reset.pending().get()>
                "Сбросить пароль"<span class="sr-only">" " {email}</span>
            </button>
        </leptos::form::ActionForm>
        {move || reset.value().get().map(|result| match result {
            Ok(t) => view! {
                <div role="status" data-testid="temporary-password" class="w-full rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm">
                    <p>"Временный пароль: " <code class="select-all font-mono text-base font-semibold">{t.password}</code></p>
                    <p class="text-slate-700">"Передайте сотруднику; при входе он задаст новый. Больше пароль не будет показан."</p>
                    <p class="text-slate-700">"Сотрудник ждёт смены пароля: его прежние сеансы закрыты."</p>
                </div>
            }.into_any(),
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
        })}
    }
}

#[component]
fn AddStaffForm(added: bool) -> impl IntoView {
    let add = ServerAction::<AddStaffMember>::new();
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="add-staff">
            <h2 id="add-staff" class="mb-2 font-semibold">"Добавить сотрудника"</h2>
            <PlainForm action=add class="space-y-3">
                <div>
                    <label for="staff-name" class="block text-sm font-medium">"Имя"</label>
                    <input id="staff-name" name="full_name" required class=INPUT/>
                </div>
                <div>
                    <label for="staff-email" class="block text-sm font-medium">"E-mail"</label>
                    <input id="staff-email" name="email" type="email" required autocomplete="off" class=INPUT/>
                </div>
                <div>
                    <label for="staff-role" class="block text-sm font-medium">"Роль"</label>
                    <select id="staff-role" name="role" class=INPUT>
                        <option value="manager">"Менеджер"</option>
                        <option value="admin">"Администратор"</option>
                    </select>
                </div>
                <div>
                    <label for="staff-password" class="block text-sm font-medium">"Пароль"</label>
                    <input id="staff-password" name="password" type="password" required autocomplete="new-password" class=INPUT/>
                </div>
                {added.then(|| view! { <p role="status" class="text-sm text-emerald-700">"Сотрудник добавлен"</p> })}
                <button type="submit" class=PRIMARY_BUTTON>"Добавить"</button>
            </PlainForm>
        </section>
    }
}

/// The company's Telegram bot as the page shows it: never the token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BotStatus {
    /// The bot's @username (without the @) when one is connected.
    pub username: Option<String>,
    /// «07.12.2026 09:15: …», the bot's last error while it lasts (polling fails, an update
    /// could not be handled).
    pub problem: Option<String>,
}

#[server]
pub async fn load_bot_status() -> Result<BotStatus, AppError> {
    use crate::domain::telegram;

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::admin().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let connection = telegram::status(&mut tx).await?;
    let zone = crate::domain::company::zone(&mut tx).await?;
    let problem = telegram::bot_fault(&mut tx).await?.map(|(at, error)| {
        format!(
            "{}: {error}",
            at.with_timezone(&zone).format("%d.%m.%Y %H:%M")
        )
    });
    tx.commit().await?;
    Ok(BotStatus {
        problem: problem.filter(|_| connection.bot_username.is_some()),
        username: connection.bot_username,
    })
}

/// Connects the company's bot: the token is checked with the Bot API's `getMe` and stored
/// encrypted, as `PUT /api/v1/tenant/telegram` does; the running bot process picks it up.
/// Returns the bot's username.
// A stable URL (no generated suffix) so that tests and logs can name it.
#[server(endpoint = "connect_bot")]
pub async fn connect_bot(token: String) -> Result<String, AppError> {
    use crate::domain::telegram;

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    let connection = telegram::connect_bot(&state, tenant, &token).await?;
    leptos_axum::redirect(&crate::session::ssr::public_url(
        &state.config,
        "/settings?saved=bot",
    ));
    Ok(connection.bot_username.unwrap_or_default())
}

#[server(endpoint = "disconnect_bot")]
pub async fn disconnect_bot() -> Result<(), AppError> {
    use crate::domain::telegram;

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    telegram::disconnect_bot(&state, tenant).await?;
    Ok(())
}

pub use crate::model::{AiCheck, CompanyAi};

#[server(endpoint = "load_ai")]
pub async fn load_ai() -> Result<CompanyAi, AppError> {
    use crate::domain::concierge::company_ai;

    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::admin().await?;
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    Ok(company_ai::get(&mut tx, &state.config).await?)
}

/// The section's form, as `PUT /api/v1/tenant/ai` takes it; an empty key keeps the stored one.
#[server(endpoint = "save_ai")]
pub async fn save_ai(
    engine: String,
    #[server(default)] base_url: Option<String>,
    #[server(default)] model: Option<String>,
    #[server(default)] key: Option<String>,
    #[server(default)] gigachat_scope: Option<String>,
    #[server(default)] gigachat_auth_url: Option<String>,
    #[server(default)] timeout_seconds: Option<String>,
) -> Result<CompanyAi, AppError> {
    use crate::domain::{
        concierge::company_ai::{self, CompanyAiPatch},
        Error,
    };

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    let timeout_seconds = match timeout_seconds.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(
            t.parse::<u32>()
                .map_err(|_| Error::validation("Время на ответ: число секунд от 1 до 60"))?,
        ),
    };
    let patch = CompanyAiPatch {
        engine,
        base_url,
        model,
        key,
        gigachat_scope,
        gigachat_auth_url,
        timeout_seconds,
    };
    Ok(company_ai::change(&state.db, &state.config, tenant, patch).await?)
}

/// Runs the company's engine on a sample message against its catalogue, as the bot would.
#[server(endpoint = "check_ai")]
pub async fn check_ai() -> Result<AiCheck, AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    Ok(crate::domain::concierge::company_ai::check(&state, tenant).await?)
}

/// Connect the bot by token (shown afterwards as @username only), or disconnect it.
/// `connected`: the page came back from connecting it.
#[component]
fn BotSettings(status: Result<BotStatus, AppError>, connected: bool) -> impl IntoView {
    let connect = ServerAction::<ConnectBot>::new();
    let username = status.as_ref().ok().and_then(|s| s.username.clone());
    let has_bot = username.is_some();
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="bot-title">
            <h2 id="bot-title" class="mb-2 font-semibold">"Telegram-бот"</h2>
            <BotState status/>
            <PlainForm action=connect class="space-y-2">
                <label for="bot-token" class="block text-sm font-medium">
                    {if has_bot { "Новый токен бота" } else { "Токен бота" }}
                </label>
                <input id="bot-token" name="token" type="password" required autocomplete="off" spellcheck="false" aria-describedby="bot-token-hint" class="w-full rounded-lg border px-3 py-2 font-mono"/>
                <p id="bot-token-hint" class="text-xs text-slate-500">"Его выдаёт @BotFather: 123456789:AA… Токен проверяется в Telegram, хранится зашифрованным и больше не показывается."</p>
                {username.filter(|_| connected).map(|username| view! {
                    <p role="status" class="text-sm text-emerald-700">"Бот @" {username} " подключён"</p>
                })}
                <button type="submit" class=PRIMARY_BUTTON>
                    {if has_bot { "Заменить токен" } else { "Подключить" }}
                </button>
            </PlainForm>
        </section>
    }
}

/// Which bot is connected, with «Отключить бота», or that none is.
#[component]
fn BotState(status: Result<BotStatus, AppError>) -> impl IntoView {
    match status {
        Ok(BotStatus { username: Some(username), problem }) => {
            let disconnect = ServerAction::<DisconnectBot>::new();
            view! {
                {problem.map(|problem| view! {
                    <p role="alert" class="mb-2 rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="bot-problem">
                        "Бот не может связаться с Telegram или обработать сообщение. Последняя ошибка " {problem}
                    </p>
                })}
                <div class="mb-3 flex flex-wrap items-center gap-3">
                    <p data-testid="bot-status">
                        "Подключён: "
                        <a class="font-medium text-blue-700 underline" href=format!("https://t.me/{username}") target="_blank" rel="noopener">
                            "@" {username.clone()}
                        </a>
                    </p>
                    <PlainForm action=disconnect>
                        <button type="submit" class="rounded-lg border border-red-300 px-3 py-1 text-sm text-red-700 hover:bg-red-50">
                            "Отключить бота"
                        </button>
                    </PlainForm>
                </div>
            }.into_any()
        }
        Ok(BotStatus { username: None, .. }) => view! {
            <p class="mb-3 text-slate-600" data-testid="bot-status">"Бот не подключён: клиенты пока не могут записаться через Telegram."</p>
        }.into_any(),
        Err(error) => view! { <ErrorNotice error/> }.into_any(),
    }
}

/// Which engine answers the company's customers (the server's, the rules, or its own model),
/// and a check that runs it on a sample message.
#[component]
fn AiSettings(settings: Result<CompanyAi, AppError>) -> impl IntoView {
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="ai-title">
            <h2 id="ai-title" class="mb-2 font-semibold">"ИИ-консьерж"</h2>
            {match settings {
                Ok(initial) => view! { <AiForm initial/> }.into_any(),
                Err(error) => view! { <ErrorNotice error/> }.into_any(),
            }}
        </section>
    }
}

/// The engine's name as a person reads it.
fn engine_label(engine: &str, platform: &str) -> String {
    match engine {
        "rules" => "встроенные правила".into(),
        "openai" => "своя модель, OpenAI-совместимый API".into(),
        "gigachat" => "своя модель, GigaChat".into(),
        _ => format!("настройка сервера ({platform})"),
    }
}

/// The form is loaded once; a save's own answer updates what it shows, so typing is never
/// overwritten by a reload. The page's island: the fields follow the engine chosen, and the check
/// answers in place.
#[island]
fn AiForm(initial: CompanyAi) -> impl IntoView {
    let save = ServerAction::<SaveAi>::new();
    let check = ServerAction::<CheckAi>::new();
    let current = RwSignal::new(initial.clone());
    let engine = RwSignal::new(initial.engine.clone());
    let key_input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            current.set(saved);
            // The key leaves the field at once; the page never shows it again.
            if let Some(key) = key_input.get() {
                key.set_value("");
            }
        }
    });
    let own = move || matches!(engine.get().as_str(), "openai" | "gigachat");
    let gigachat = move || engine.get() == "gigachat";
    let saved = move || {
        save.value().get().map(|result| match result {
            Ok(_) => view! { <p role="status" class="text-sm text-emerald-700">"Настройки ИИ сохранены"</p> }.into_any(),
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
        })
    };
    let checked = move || {
        check.value().get().map(|result| match result {
            Ok(found) => view! { <AiCheckResult found/> }.into_any(),
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
        })
    };
    let platform = initial.platform.clone();
    let option = move |value: &'static str, label: String| {
        view! { <option value=value selected=initial.engine == value>{label}</option> }
    };
    view! {
        <p class="mb-2" data-testid="ai-engine">
            "Отвечает: "
            <span class="font-medium">{move || { let c = current.get(); engine_label(&c.engine, &c.platform) }}</span>
        </p>
        <leptos::form::ActionForm action=save attr:class="space-y-2">
            <label for="ai-engine-select" class="block text-sm font-medium">"Движок"</label>
            <select id="ai-engine-select" name="engine" class="w-full rounded-lg border px-3 py-2"
                on:change=move |ev| engine.set(event_target_value(&ev))>
                {option("platform", format!("Настройка сервера ({platform})"))}
                {option("rules", "Встроенные правила".into())}
                {option("openai", "Своя модель: OpenAI-совместимый API".into())}
                {option("gigachat", "Своя модель: GigaChat".into())}
            </select>
            <fieldset class="space-y-2" hidden=move || !own()>
                <legend class="sr-only">"Своя модель"</legend>
                <label for="ai-base-url" class="block text-sm font-medium">"Адрес API"</label>
                <input id="ai-base-url" name="base_url" type="url" autocomplete="off" spellcheck="false"
                    value=initial.base_url.clone().unwrap_or_default()
                    placeholder=move || if gigachat() { "https://gigachat.devices.sberbank.ru/api/v1" } else { "https://api.openai.com/v1" }
                    class="w-full rounded-lg border px-3 py-2 font-mono text-sm"/>
                <label for="ai-model" class="block text-sm font-medium">"Модель"</label>
                <input id="ai-model" name="model" autocomplete="off" spellcheck="false" maxlength="100"
                    value=initial.model.clone().unwrap_or_default()
                    placeholder=move || if gigachat() { "GigaChat" } else { "gpt-4o-mini" }
                    class="w-full rounded-lg border px-3 py-2"/>
                <label for="ai-key" class="block text-sm font-medium">
                    {move || if gigachat() { "Ключ авторизации GigaChat" } else { "API-ключ" }}
                </label>
                <input id="ai-key" node_ref=key_input name="key" type="password" autocomplete="off" spellcheck="false" aria-describedby="ai-key-hint"
                    class="w-full rounded-lg border px-3 py-2 font-mono"/>
                <p id="ai-key-hint" class="text-xs text-slate-500">
                    {move || if current.get().key_set {
                        "Ключ задан и хранится зашифрованным; оставьте поле пустым, чтобы его не менять."
                    } else {
                        "Хранится зашифрованным и больше не показывается. Локальной модели ключ может быть не нужен."
                    }}
                </p>
                <div class="space-y-2" hidden=move || !gigachat()>
                    <label for="ai-scope" class="block text-sm font-medium">"Scope GigaChat"</label>
                    <select id="ai-scope" name="gigachat_scope" class="w-full rounded-lg border px-3 py-2">
                        {["GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"].map(|scope| view! {
                            <option value=scope selected=initial.gigachat_scope.as_deref() == Some(scope)>{scope}</option>
                        })}
                    </select>
                    <label for="ai-auth-url" class="block text-sm font-medium">"Адрес авторизации GigaChat"</label>
                    <input id="ai-auth-url" name="gigachat_auth_url" type="url" autocomplete="off" spellcheck="false"
                        value=initial.gigachat_auth_url.clone().unwrap_or_default()
                        placeholder="https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
                        class="w-full rounded-lg border px-3 py-2 font-mono text-sm"/>
                </div>
                <label for="ai-timeout" class="block text-sm font-medium">"Время на ответ, секунд"</label>
                <input id="ai-timeout" name="timeout_seconds" type="number" min="1" max="60" aria-describedby="ai-timeout-hint"
                    value=initial.timeout_seconds.to_string()
                    class="w-32 rounded-lg border px-3 py-2"/>
                <p id="ai-timeout-hint" class="text-xs text-slate-500">"Не ответит за это время — ответят встроенные правила."</p>
            </fieldset>
            {saved}
            <button type="submit" class="rounded-lg bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800 disabled:opacity-60" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Сохраняем…" } else { "Сохранить настройки ИИ" }}
            </button>
        </leptos::form::ActionForm>
        <leptos::form::ActionForm action=check attr:class="mt-4 space-y-2">
            <p class="text-sm text-slate-600">"Проверочное сообщение: «" {crate::model::AI_SAMPLE_MESSAGE} "»"</p>
            <button type="submit" class="rounded-lg border border-blue-300 px-4 py-2 text-sm font-medium text-blue-800 hover:bg-blue-50 disabled:opacity-60" disabled=move || check.pending().get()>
                {move || if check.pending().get() { "Проверяем…" } else { "Проверить" }}
            </button>
        </leptos::form::ActionForm>
        <div class="mt-2" aria-live="polite">{checked}</div>
    }
}

#[component]
fn AiCheckResult(found: AiCheck) -> impl IntoView {
    let engine = match found.engine.as_str() {
        "llm" => "LLM",
        "llm+rules" => "LLM, дополненная правилами",
        _ => "встроенные правила",
    };
    let intent = match found.intent.as_str() {
        "booking" => "запись",
        "reschedule" => "перенос записи",
        "cancel" => "отмена записи",
        "visit_status" => "готова ли машина",
        "price" => "цена",
        "consultation" => "консультация",
        _ => "другое",
    };
    view! {
        <div role="status" data-testid="ai-check" class="rounded-lg border border-slate-200 bg-slate-50 p-3 text-sm">
            <p>"Ответил: " <span class="font-medium">{engine}</span> " за " {found.latency_ms} " мс"</p>
            <p>"Намерение: " {intent}</p>
            {(!found.diagnoses.is_empty()).then(|| view! { <p>"Причины: " {found.diagnoses.join("; ")}</p> })}
            {(!found.services.is_empty()).then(|| view! { <p>"Услуги: " {found.services.join(", ")}</p> })}
            {found.llm_failure.map(|reason| view! {
                <p class="mt-1 text-red-700">"LLM не ответил, вместо него ответили правила: " {reason}</p>
            })}
        </div>
    }
}
