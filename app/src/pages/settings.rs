//! Настройки: the company's staff and new staff accounts. Admins only; a manager gets a page that
//! says so rather than an error.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::feedback::{EmptyState, ErrorNotice, Loading};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: i64,
    pub email: String,
    pub full_name: String,
    pub role: String,
    pub is_active: bool,
}

/// What the settings page may show to the one asking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StaffAccess {
    Allowed(Vec<StaffMember>),
    /// A manager: settings are for admins.
    Forbidden,
}

#[server]
pub async fn staff_members() -> Result<StaffAccess, ServerFnError> {
    use crate::domain::{auth::Role, users, AppState};
    use crate::session::ssr::{failed, require_staff};

    // Taken before the first await: during server rendering a resumed future may run outside
    // the request's reactive owner.
    let state = expect_context::<AppState>();
    let response = use_context::<leptos_axum::ResponseOptions>();
    let (user, tenant) = require_staff().await?;
    if matches!(user.role, Role::Manager) {
        if let Some(response) = response {
            response.set_status(axum::http::StatusCode::FORBIDDEN);
        }
        return Ok(StaffAccess::Forbidden);
    }
    let mut tx = state.db.tenant_tx(tenant).await.map_err(failed)?;
    let members = users::list(&mut tx, 0, 500).await.map_err(failed)?;
    tx.commit().await.map_err(|e| failed(e.into()))?;
    Ok(StaffAccess::Allowed(
        members
            .into_iter()
            .map(|u| StaffMember {
                id: u.id,
                email: u.email,
                full_name: u.full_name,
                role: u.role,
                is_active: u.is_active,
            })
            .collect(),
    ))
}

#[server]
pub async fn add_staff_member(
    email: String,
    full_name: String,
    role: String,
    password: String,
) -> Result<(), ServerFnError> {
    use crate::domain::{users, AppState};
    use crate::session::ssr::{failed, require_admin, require_same_origin};

    // Taken before the first await (see `staff_members`).
    let state = expect_context::<AppState>();
    require_same_origin().await?;
    let (_, tenant) = require_admin().await?;
    let mut tx = state.db.tenant_tx(tenant).await.map_err(failed)?;
    users::create(
        &mut tx,
        tenant,
        users::NewUser {
            email,
            password,
            full_name,
            role,
        },
    )
    .await
    .map_err(failed)?;
    tx.commit().await.map_err(|e| failed(e.into()))?;
    Ok(())
}

fn role_name(role: &str) -> &'static str {
    match role {
        "admin" => "Администратор",
        "manager" => "Менеджер",
        _ => "Оператор платформы",
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let add = ServerAction::<AddStaffMember>::new();
    let access = Resource::new(|| (), |_| staff_members());
    // Only a successful addition reloads the list: a refused one keeps the form as typed.
    Effect::new(move |_| {
        if let Some(Ok(())) = add.value().get() {
            access.refetch();
        }
    });

    view! {
        <Title text="Настройки — Auto-Concierge"/>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(StaffAccess::Allowed(members)) => view! {
                        <h1 class="mb-4 text-2xl font-semibold">"Настройки"</h1>
                        <div class="grid gap-4 lg:grid-cols-2">
                            <StaffList members/>
                            <AddStaffForm add/>
                        </div>
                    }.into_any(),
                    Ok(StaffAccess::Forbidden) => view! { <NotAllowed/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
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
                    <ul class="divide-y">
                        {members.into_iter().map(|m| view! {
                            <li class="py-2">
                                <p class="font-medium">{m.full_name} {(!m.is_active).then_some(" (отключён)")}</p>
                                <p class="text-sm text-slate-600">{m.email} " · " {role_name(&m.role)}</p>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn AddStaffForm(add: ServerAction<AddStaffMember>) -> impl IntoView {
    let result = move || match add.value().get() {
        Some(Ok(())) => Some(
            view! { <p role="status" class="text-sm text-emerald-700">"Сотрудник добавлен"</p> }
                .into_any(),
        ),
        Some(Err(error)) => Some(view! { <ErrorNotice error/> }.into_any()),
        None => None,
    };
    let input = "w-full rounded-lg border px-3 py-2";
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="add-staff">
            <h2 id="add-staff" class="mb-2 font-semibold">"Добавить сотрудника"</h2>
            <ActionForm action=add attr:class="space-y-3">
                <div>
                    <label for="staff-name" class="block text-sm font-medium">"Имя"</label>
                    <input id="staff-name" name="full_name" required class=input/>
                </div>
                <div>
                    <label for="staff-email" class="block text-sm font-medium">"E-mail"</label>
                    <input id="staff-email" name="email" type="email" required autocomplete="off" class=input/>
                </div>
                <div>
                    <label for="staff-role" class="block text-sm font-medium">"Роль"</label>
                    <select id="staff-role" name="role" class=input>
                        <option value="manager">"Менеджер"</option>
                        <option value="admin">"Администратор"</option>
                    </select>
                </div>
                <div>
                    <label for="staff-password" class="block text-sm font-medium">"Пароль"</label>
                    <input id="staff-password" name="password" type="password" required autocomplete="new-password" class=input/>
                </div>
                {result}
                <button type="submit" class="rounded-lg bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800 disabled:opacity-60" disabled=move || add.pending().get()>"Добавить"</button>
            </ActionForm>
        </section>
    }
}
