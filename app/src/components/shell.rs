//! The frame of every staff page: company name, navigation, who is logged in, logout.

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

use super::{
    feedback::{ErrorNotice, Loading},
    form::ActionForm,
};
use crate::session::{current_user, Logout, SessionUser};

const SECTIONS: [(&str, &str); 8] = [
    ("/", "Сводка"),
    ("/calendar", "Календарь"),
    ("/inbox", "Входящие"),
    ("/clients", "Клиенты"),
    ("/services", "Услуги"),
    ("/shops", "Точки"),
    ("/reports", "Отчёты"),
    ("/settings", "Настройки"),
];

/// Wraps the staff pages (rendered in its `Outlet`) for a logged-in user; anyone else is sent
/// to the login page before a page loads any data, and a user with a temporary password to set
/// their own.
#[component]
pub fn StaffShell() -> impl IntoView {
    // Blocking: the redirect of a visitor without a session must be decided before headers go out.
    let user = Resource::new_blocking(|| (), |_| current_user());

    view! {
        <div class="min-h-screen">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) if user.must_change_password => {
                            view! { <Redirect path=crate::public_path::public_url("/password")/> }.into_any()
                        }
                        Ok(Some(user)) => view! {
                            <TopBar user/>
                            <main class="mx-auto max-w-7xl px-3 py-4 sm:px-6">
                                <Outlet/>
                            </main>
                        }.into_any(),
                        Ok(None) => view! { <Redirect path=login_path()/> }.into_any(),
                        Err(error) => view! {
                            <main class="mx-auto max-w-3xl p-6"><ErrorNotice error/></main>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// Where a visitor without a session goes. The shell is rendered on the server only, where
/// `<Redirect>` sends the path as it is: it must carry the public path prefix.
fn login_path() -> String {
    crate::public_path::public_url("/login")
}

/// Company, sections and the user. On a phone the sections fold into a `<details>` menu, which
/// opens and closes without JavaScript.
#[component]
fn TopBar(user: SessionUser) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let company = user.company.unwrap_or_else(|| "Платформа".into());
    view! {
        <header class="border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-7xl items-center gap-4 px-3 py-2 sm:px-6">
                <span class="font-semibold" data-testid="company">{company}</span>
                <nav aria-label="Разделы" class="hidden flex-1 gap-1 md:flex">
                    <SectionLinks unread=user.unread/>
                </nav>
                <div class="ml-auto flex items-center gap-3">
                    <span class="hidden text-sm text-slate-600 sm:inline">{user.full_name}</span>
                    <ActionForm action=logout>
                        <button type="submit" class="rounded px-2 py-1 text-sm text-blue-700 hover:underline">"Выйти"</button>
                    </ActionForm>
                </div>
            </div>
            <details class="border-t border-slate-200 px-3 md:hidden">
                <summary class="cursor-pointer py-2 text-sm font-medium">"Меню"</summary>
                <nav aria-label="Разделы" class="flex flex-col pb-2">
                    <SectionLinks unread=user.unread/>
                </nav>
            </details>
        </header>
    }
}

/// The sections; «Входящие» with the count of unread customer messages, as of this page.
#[component]
fn SectionLinks(unread: i64) -> impl IntoView {
    SECTIONS
        .into_iter()
        .map(|(href, label)| {
            let badge = (href == "/inbox" && unread > 0).then(|| view! {
                <span class="ml-1 rounded-full bg-blue-700 px-1.5 text-xs font-semibold text-white" data-testid="unread-badge">
                    {unread}<span class="sr-only">" непрочитанных"</span>
                </span>
            });
            view! {
                // `A` marks the current section with aria-current="page".
                <A href=crate::public_path::public_url(href) exact=href == "/" attr:class="rounded px-3 py-2 text-sm text-slate-700 hover:bg-slate-100 aria-[current=page]:bg-blue-50 aria-[current=page]:font-medium aria-[current=page]:text-blue-800">
                    {label}
                    {badge}
                </A>
            }
        })
        .collect_view()
}
