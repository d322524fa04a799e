//! Auto-Concierge web admin (Leptos components and server functions) and, behind the `ssr`
//! feature, the server-side domain: database and tenancy, auth, configuration, demo data.
#![recursion_limit = "256"]

pub mod components;
pub mod error;
pub mod format;
pub mod model;
pub mod pages;
pub mod public_path;
pub mod session;

#[cfg(feature = "ssr")]
pub mod domain;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

use components::shell::StaffShell;
use pages::{
    calendar::CalendarPage,
    clients::{ClientPage, ClientsPage},
    dashboard::DashboardPage,
    login::LoginPage,
    password::PasswordPage,
    register::RegisterPage,
    services::ServicesPage,
    settings::SettingsPage,
    shops::ShopsPage,
};

/// The HTML document around the app, rendered on the server only. Everything the browser loads
/// is asked for under the public path prefix (see [`public_path`]), which the page also hands
/// to the browser in a `<meta>` tag.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let prefix = public_path::public_prefix();
    view! {
        <!DOCTYPE html>
        <html lang="ru">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name={public_path::META_NAME} content=prefix.clone()/>
                <AutoReload options=options.clone()/>
                // The public pages for car owners have no island: they load no WASM at all.
                {(!public_path::is_public_page()).then(|| view! {
                    <HydrationScripts options islands=true root=prefix.clone()/>
                })}
                <link rel="icon" href=format!("{prefix}/favicon.svg") type="image/svg+xml"/>
                // Plain forms posted in place (no WASM): `components::form::PlainForm`.
                <script src=format!("{prefix}/forms.js") defer></script>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased" data-hydrated="false">
                <App/>
                <components::hydration::HydrationMark/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let prefix = public_path::public_prefix();

    view! {
        <Stylesheet id="leptos" href=format!("{prefix}/pkg/auto-concierge.css")/>
        <Title text="Auto-Concierge"/>
        // Routes match below the prefix, and `navigate` resolves paths under it.
        <Router base=prefix>
            <Routes fallback=|| view! { <pages::NotFound/> }>
                // Async: the page is rendered with its data, so it reads complete without
                // JavaScript and nothing shifts when it hydrates.
                <ParentRoute path=path!("") view=StaffShell ssr=SsrMode::Async>
                    <Route path=path!("") view=DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("calendar") view=CalendarPage ssr=SsrMode::Async/>
                    <Route path=path!("inbox") view=pages::inbox::InboxPage ssr=SsrMode::Async/>
                    <Route path=path!("clients") view=ClientsPage ssr=SsrMode::Async/>
                    <Route path=path!("clients/:id") view=ClientPage ssr=SsrMode::Async/>
                    <Route path=path!("services") view=ServicesPage ssr=SsrMode::Async/>
                    <Route path=path!("shops") view=ShopsPage ssr=SsrMode::Async/>
                    <Route path=path!("reports") view=pages::reports::ReportsPage ssr=SsrMode::Async/>
                    <Route path=path!("settings") view=SettingsPage ssr=SsrMode::Async/>
                </ParentRoute>
                <Route path=path!("/login") view=LoginPage/>
                // Outside the staff frame: a temporary password leads here from every staff page.
                <Route path=path!("/password") view=PasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/register") view=RegisterPage/>
                // Car owners: a company's public page, no login.
                <Route path=path!("/b/:slug") view=pages::public::PublicPage ssr=SsrMode::Async/>
                <Route path=path!("/b/:slug/card") view=pages::public::PublicCardPage ssr=SsrMode::Async/>
                <Route path=path!("/b/:slug/confirm/:token") view=pages::public::PublicConfirmPage ssr=SsrMode::Async/>
                <Route path=path!("/b/:slug/book") view=pages::public::PublicBookingPage ssr=SsrMode::Async/>
                <Route path=path!("/b/:slug/v/:token") view=pages::public::PublicVisitPage ssr=SsrMode::Async/>
                <Route path=path!("/register/sent") view=pages::register::RegisterSentPage/>
                <Route path=path!("/register/confirm") view=pages::register::RegisterConfirmPage/>
            </Routes>
        </Router>
    }
}
