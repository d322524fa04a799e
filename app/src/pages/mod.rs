pub mod appointment_status;
pub mod calendar;
pub mod channels;
pub mod clients;
pub mod closures;
pub mod company;
pub mod dashboard;
pub mod inbox;
pub mod login;
pub mod password;
pub mod public;
pub mod public_setup;
pub mod register;
pub mod reports;
pub mod services;
pub mod settings;
pub mod shops;
pub mod webhooks;

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="mx-auto max-w-md p-8 text-center">
            <h1 class="text-2xl font-semibold">"Страница не найдена"</h1>
            <A href=crate::public_path::public_url("/") attr:class="mt-4 inline-block text-blue-700 underline">"На главную"</A>
        </main>
    }
}
