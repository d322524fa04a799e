use leptos::prelude::*;

use crate::session::error_text;

/// What a section shows while its data is on the way.
#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="py-6 text-slate-500" role="status" aria-live="polite">"Загрузка…"</p>
    }
}

/// A failed load or action, shown where its result would have been.
#[component]
pub fn ErrorNotice(error: ServerFnError) -> impl IntoView {
    view! {
        <p role="alert" class="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-red-800">
            {error_text(&error)}
        </p>
    }
}

/// A list with nothing in it: says so instead of leaving a blank space.
#[component]
pub fn EmptyState(text: &'static str) -> impl IntoView {
    view! { <p class="rounded-lg border border-dashed border-slate-300 px-4 py-6 text-center text-slate-500">{text}</p> }
}
