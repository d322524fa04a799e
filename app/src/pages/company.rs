//! «Компания», a section of the Settings page: the company's name, time zone and the reminders
//! its clients get before a visit. Admins change them; managers see them. Server-rendered with a
//! plain form (no WASM): a save brings the page back with «Сохранено» and the values as saved
//! (normalised).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{
    feedback::{ErrorNotice, Loading},
    form::{PlainEditor, PlainForm, INPUT, PRIMARY_BUTTON},
};
use crate::error::AppError;

/// Time zones of Russia offered in the form, with how people there name them.
const ZONES: [(&str, &str); 12] = [
    ("Europe/Kaliningrad", "Калининград (МСК−1)"),
    ("Europe/Moscow", "Москва (МСК)"),
    ("Europe/Samara", "Самара (МСК+1)"),
    ("Asia/Yekaterinburg", "Екатеринбург (МСК+2)"),
    ("Asia/Omsk", "Омск (МСК+3)"),
    ("Asia/Novosibirsk", "Новосибирск (МСК+4)"),
    ("Asia/Krasnoyarsk", "Красноярск (МСК+4)"),
    ("Asia/Irkutsk", "Иркутск (МСК+5)"),
    ("Asia/Yakutsk", "Якутск (МСК+6)"),
    ("Asia/Vladivostok", "Владивосток (МСК+7)"),
    ("Asia/Magadan", "Магадан (МСК+8)"),
    ("Asia/Kamchatka", "Камчатка (МСК+9)"),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompanyView {
    pub can_edit: bool,
    pub name: String,
    /// IANA name, e.g. `Europe/Moscow`.
    pub timezone: String,
    /// «24, 2»; empty when the company sends no reminders.
    pub reminder_hours: String,
}

#[server]
pub async fn load_company() -> Result<CompanyView, AppError> {
    use crate::domain::company;

    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let company = company::get(&mut tx).await?;
    Ok(ssr::view(company, user.role.is_admin()))
}

/// An admin's change of the company's settings, as `PATCH /api/v1/tenant` makes it; answers the
/// settings as saved (normalised), and sends the page back to show them with «Сохранено».
#[server]
pub async fn save_company(
    name: String,
    timezone: String,
    reminder_hours: String,
) -> Result<CompanyView, AppError> {
    use crate::domain::company::{self, CompanyPatch};

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    let hours = ssr::hours(&reminder_hours).ok_or_else(|| {
        crate::session::ssr::refused(
            "За сколько часов напоминать: целые числа через запятую, например 24, 2",
        )
    })?;
    let company = company::change(
        &state.db,
        &state.config,
        tenant,
        CompanyPatch {
            name: Some(name),
            timezone: Some(timezone),
            reminder_hours: Some(hours),
            ..CompanyPatch::default()
        },
    )
    .await?;
    leptos_axum::redirect(&crate::session::ssr::public_url(
        &state.config,
        "/settings?saved=company",
    ));
    Ok(ssr::view(company, true))
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::CompanyView;
    use crate::domain::company::Company;

    pub fn view(company: Company, can_edit: bool) -> CompanyView {
        CompanyView {
            can_edit,
            name: company.name,
            timezone: company.timezone,
            reminder_hours: company
                .reminder_hours
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// «24, 2» (or «24 2», «24; 2») as numbers; empty: none. Their range is the domain's rule.
    pub fn hours(text: &str) -> Option<Vec<i64>> {
        text.split([',', ';', ' '])
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| part.parse().ok())
            .collect()
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn reminder_hours_are_read_from_a_list() {
            assert_eq!(super::hours(" 24, 2 "), Some(vec![24, 2]));
            assert_eq!(super::hours("48;3 1"), Some(vec![48, 3, 1]));
            assert_eq!(super::hours("  "), Some(vec![]));
            assert_eq!(super::hours("24, два"), None);
            assert_eq!(super::hours("1.5"), None);
        }
    }
}

/// The section: the form for admins, the values for managers. `saved`: the page came back
/// from a save.
#[component]
pub fn CompanySettings(company: CompanyView, #[prop(optional)] saved: bool) -> impl IntoView {
    if company.can_edit {
        view! { <CompanyForm company saved/> }.into_any()
    } else {
        view! { <CompanyValues company/> }.into_any()
    }
}

#[component]
fn CompanyForm(company: CompanyView, saved: bool) -> impl IntoView {
    let save = ServerAction::<SaveCompany>::new();
    let current = company.timezone.clone();
    // The company's own zone stays choosable when it is none of the usual ones.
    let other = (!ZONES.iter().any(|(zone, _)| *zone == current)).then(|| current.clone());
    view! {
        <PlainEditor action=save id="company-title" heading="Компания".to_string() submit="Сохранить">
            <div>
                <label for="company-name" class="block text-sm font-medium">"Название"</label>
                <input id="company-name" name="name" required maxlength="200" value=company.name.clone() class=INPUT/>
            </div>
            <div>
                <label for="company-timezone" class="block text-sm font-medium">"Часовой пояс"</label>
                <select id="company-timezone" name="timezone" class=INPUT>
                    {ZONES.iter().map(|(zone, label)| view! {
                        <option value=*zone selected=*zone == current>{*label}</option>
                    }).collect_view()}
                    {other.map(|zone| view! { <option value=zone.clone() selected=true>{zone.clone()}</option> })}
                </select>
            </div>
            <div>
                <label for="company-reminders" class="block text-sm font-medium">"За сколько часов напоминать"</label>
                <input id="company-reminders" name="reminder_hours" placeholder="24, 2" aria-describedby="company-reminders-hint"
                    value=company.reminder_hours.clone() class=INPUT/>
                <p id="company-reminders-hint" class="text-xs text-slate-500">
                    "Клиентам, до визита (по каналам из «Уведомлений»): часы через запятую, не больше 5, от 1 до 720. Пусто — не напоминать."
                </p>
            </div>
            {saved.then(|| view! { <p role="status" class="text-sm text-emerald-700">"Сохранено"</p> })}
        </PlainEditor>
    }
}

/// What a manager sees: the settings, without the form.
#[component]
fn CompanyValues(company: CompanyView) -> impl IntoView {
    let zone = ZONES
        .iter()
        .find(|(zone, _)| *zone == company.timezone)
        .map_or_else(|| company.timezone.clone(), |(_, label)| label.to_string());
    let reminders = if company.reminder_hours.is_empty() {
        "не напоминать".to_string()
    } else {
        format!("за {} ч до визита", company.reminder_hours)
    };
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="company-title">
            <h2 id="company-title" class="mb-2 font-semibold">"Компания"</h2>
            <dl class="space-y-1 text-sm">
                <div><dt class="inline text-slate-500">"Название: "</dt><dd class="inline">{company.name}</dd></div>
                <div><dt class="inline text-slate-500">"Часовой пояс: "</dt><dd class="inline">{zone}</dd></div>
                <div><dt class="inline text-slate-500">"Напоминания клиентам: "</dt><dd class="inline">{reminders}</dd></div>
            </dl>
            <p class="mt-2 text-xs text-slate-500">"Изменить их может администратор."</p>
        </section>
    }
}

/// «Чем мы не занимаемся» as the page shows it: one job a line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeclinedView {
    pub can_edit: bool,
    pub jobs: Vec<String>,
}

#[server]
pub async fn load_declined_jobs() -> Result<DeclinedView, AppError> {
    let crate::session::ssr::Caller {
        state,
        user,
        tenant,
    } = crate::session::ssr::staff().await?;
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    Ok(DeclinedView {
        can_edit: user.role.is_admin(),
        jobs: crate::domain::concierge::declined_jobs(&mut tx).await?,
    })
}

/// An admin's list, one job a line, as `PATCH /api/v1/tenant` (`declined_jobs`) takes it.
#[server]
pub async fn save_declined_jobs(jobs: String) -> Result<(), AppError> {
    use crate::domain::company::{self, CompanyPatch};

    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    company::change(
        &state.db,
        &state.config,
        tenant,
        CompanyPatch {
            declined_jobs: Some(jobs.lines().map(str::to_string).collect()),
            ..CompanyPatch::default()
        },
    )
    .await?;
    Ok(())
}

/// «Чем мы не занимаемся»: jobs the shop does not take; the concierge tells a customer who asks
/// for one so. Server-rendered with a plain form: no WASM behind it.
#[component]
pub fn DeclinedJobsSettings() -> impl IntoView {
    let view = Resource::new(|| (), |_| load_declined_jobs());
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match view.await {
                    Ok(view) => view! { <DeclinedJobsForm view/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DeclinedJobsForm(view: DeclinedView) -> impl IntoView {
    let save = ServerAction::<SaveDeclinedJobs>::new();
    let text = view.jobs.join("\n");
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="declined-title">
            <h2 id="declined-title" class="mb-1 font-semibold">"Чем мы не занимаемся"</h2>
            <p class="mb-2 text-sm text-slate-600">
                "Если клиент просит такую работу, консьерж вежливо ответит, что её здесь не делают, и подберёт услуги только для остального. Одна работа в строке, например «кузовной ремонт», «покраска»."
            </p>
            <PlainForm action=save class="space-y-2">
                <label for="declined-jobs" class="block text-sm font-medium">"Работы, которые мы не выполняем"</label>
                <textarea id="declined-jobs" name="jobs" rows="4" class=INPUT disabled=!view.can_edit placeholder="кузовной ремонт\nпокраска">{text}</textarea>
                {view.can_edit.then(|| view! { <button type="submit" class=PRIMARY_BUTTON>"Сохранить"</button> })}
            </PlainForm>
        </section>
    }
}
