use crate::error::AppError;
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
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    view! {
        <p role="alert" class="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-red-800">
            {error_text(&error)}
        </p>
    }
}

/// A list with nothing in it: says so instead of leaving a blank space, and, when there is one,
/// links to where the next step is taken (`(href, label)`), so that the page is no dead end.
/// A plain link: islands, which show it too, have no router in the browser.
#[component]
pub fn EmptyState(
    text: &'static str,
    #[prop(optional)] next: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-dashed border-slate-300 px-4 py-6 text-center text-slate-500">
            <p>{text}</p>
            {next.map(|(href, label)| view! {
                <a href=crate::public_path::public_url(href) class="mt-2 inline-block rounded-lg bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800">{label}</a>
            })}
        </div>
    }
}
