use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::session::{current_user, Logout};

/// Start page for a logged-in staff member; anyone else is sent to the login page.
#[component]
pub fn HomePage() -> impl IntoView {
    // Blocking: the redirect of a visitor without a session must be decided before headers go out.
    let user = Resource::new_blocking(|| (), |_| current_user());
    let logout = ServerAction::<Logout>::new();

    view! {
        <Title text="Auto-Concierge"/>
        <Suspense fallback=|| view! { <p class="p-8 text-slate-500">"Загрузка…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! {
                        <header class="flex items-center justify-between border-b bg-white px-4 py-3">
                            <span class="font-semibold">{user.company.clone().unwrap_or_else(|| "Платформа".into())}</span>
                            <ActionForm action=logout>
                                <button type="submit" class="text-sm text-blue-700 hover:underline">"Выйти"</button>
                            </ActionForm>
                        </header>
                        <main class="mx-auto max-w-3xl p-6">
                            <h1 class="text-2xl font-semibold">"Здравствуйте, " {user.full_name.clone()}</h1>
                            <p class="mt-2 text-slate-600">{user.email.clone()} " · " {role_name(&user.role)}</p>
                        </main>
                    }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! {
                        <p role="alert" class="p-8 text-red-700">{crate::session::error_text(&e)}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn role_name(role: &str) -> &'static str {
    match role {
        "superadmin" => "оператор платформы",
        "admin" => "администратор",
        _ => "менеджер",
    }
}
