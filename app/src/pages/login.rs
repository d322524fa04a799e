use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::form::PlainForm;
use crate::session::Login;

/// The login page. The form posts to the `login` server function, with or without JavaScript.
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

/// The form: a plain form (no WASM) posted by `public/forms.js`, which also shows the password
/// on demand and keeps the button disabled while it waits; a refusal shows in place (with
/// JavaScript off, in the page the server sends back).
#[component]
fn LoginForm() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let input = "w-full rounded-lg border border-slate-300 px-3 py-2 focus:border-blue-600 focus:outline-none";
    view! {
        <PlainForm action=login class="space-y-4 rounded-xl bg-white p-6 shadow">
            <div>
                <label for="email" class="mb-1 block text-sm font-medium">"E-mail"</label>
                <input id="email" name="email" type="email" required autocomplete="username" class=input/>
            </div>
            <div>
                <label for="password" class="mb-1 block text-sm font-medium">"Пароль"</label>
                <input id="password" name="password" type="password" required autocomplete="current-password" class=input/>
                <button type="button" id="toggle-password" data-toggle-password="password" class="mt-1 text-sm text-blue-700 hover:underline">
                    "Показать пароль"
                </button>
            </div>
            <button type="submit" class="w-full rounded-lg bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60">
                "Войти"
            </button>
        </PlainForm>
    }
}
