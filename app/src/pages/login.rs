use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::form::ActionForm;
use crate::session::{error_text, Login};

/// The login page. The form posts to the `login` server function, so it works before the WASM
/// has loaded; once hydrated, errors appear in place without a reload.
#[component]
pub fn LoginPage() -> impl IntoView {
    view! {
        <Title text="Вход — Auto-Concierge"/>
        <main class="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4">
            <h1 class="mb-1 text-2xl font-semibold">"Auto-Concierge"</h1>
            <p class="mb-6 text-slate-600">"Вход для сотрудников автосервиса"</p>
            <LoginForm/>
            <p class="mt-4 text-center text-sm text-slate-600">
                "Новая компания? "
                <A href=crate::public_path::public_url("/register") attr:class="text-blue-700 underline">"Зарегистрировать компанию"</A>
            </p>
        </main>
    }
}

/// The form: shows the password on demand, says «Входим…» while it waits and the refusal in
/// place.
#[island]
fn LoginForm() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let show_password = RwSignal::new(false);
    let error = move || {
        login
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| error_text(&e))
    };

    view! {
        <ActionForm action=login attr:class="space-y-4 rounded-xl bg-white p-6 shadow">
            <div>
                <label for="email" class="mb-1 block text-sm font-medium">"E-mail"</label>
                <input
                    id="email"
                    name="email"
                    type="email"
                    required
                    autocomplete="username"
                    class="w-full rounded-lg border border-slate-300 px-3 py-2 focus:border-blue-600 focus:outline-none"
                />
            </div>
            <div>
                <label for="password" class="mb-1 block text-sm font-medium">"Пароль"</label>
                <input
                    id="password"
                    name="password"
                    type=move || if show_password.get() { "text" } else { "password" }
                    required
                    autocomplete="current-password"
                    class="w-full rounded-lg border border-slate-300 px-3 py-2 focus:border-blue-600 focus:outline-none"
                />
                <button
                    type="button"
                    id="toggle-password"
                    class="mt-1 text-sm text-blue-700 hover:underline"
                    on:click=move |_| show_password.update(|shown| *shown = !*shown)
                >
                    {move || if show_password.get() { "Скрыть пароль" } else { "Показать пароль" }}
                </button>
            </div>
            <p role="alert" class="min-h-5 text-sm text-red-700">{error}</p>
            <button
                type="submit"
                class="w-full rounded-lg bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60"
                disabled=move || login.pending().get()
            >
                {move || if login.pending().get() { "Входим…" } else { "Войти" }}
            </button>
        </ActionForm>
    }
}
