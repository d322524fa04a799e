//! `ActionForm` that posts under the public path prefix.
//!
//! Leptos' own `<ActionForm>` writes the server function's path (`/api/…`) into the form's
//! `action` as it is. Once the page is hydrated that does not matter (the submit goes through the
//! server function client, which knows the prefix), but before hydration, or with JavaScript
//! off, the browser posts to that attribute, which would escape a path prefix. This one is the
//! same progressive enhancement with the prefixed URL; pages import it in place of Leptos'.

use leptos::{form::FromFormData, html, prelude::*, server_fn::ServerFn};
use serde::de::DeserializeOwned;

use crate::{error::AppError, public_path::public_url};

#[component]
pub fn ActionForm<S>(
    /// The server action the form dispatches.
    action: ServerAction<S>,
    /// Where to keep the `<form>` element (to reset it, say).
    #[prop(optional)]
    node_ref: Option<NodeRef<html::Form>>,
    children: Children,
) -> impl IntoView
where
    S: ServerFn + DeserializeOwned + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        // A form that does not read as the server function's arguments is left to the
        // browser, which posts it as it would before hydration; the server then answers it.
        if let Ok(input) = S::from_event(&ev) {
            ev.prevent_default();
            action.dispatch(input);
        }
    };
    view! {
        <form
            method="post"
            action=public_url(S::url())
            node_ref=node_ref.unwrap_or_default()
            on:submit=on_submit
        >
            {children()}
        </form>
    }
}

/// The error of `action` that arrived after `opened_at` (its `version()` when the form opened):
/// an action shared by several forms, or by one form shown again, keeps older results that
/// belong to another.
pub fn error_since<A: Send + Sync + 'static, O: Clone + Send + Sync + 'static>(
    action: Action<A, Result<O, AppError>>,
    opened_at: usize,
) -> impl Fn() -> Option<AppError> + Copy {
    move || {
        (action.version().get() > opened_at)
            .then(|| action.value().get())
            .flatten()
            .and_then(Result::err)
    }
}

/// What a plain form's redirect brought back: `?saved=<what>` after a save that reloads the
/// page (the page then says it was saved).
pub fn saved() -> String {
    leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("saved"))
        .unwrap_or_default()
}

/// The record a page opened with `?edit=<id>` puts in its [`PlainEditor`].
pub fn editing() -> Option<i64> {
    leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("edit"))
        .and_then(|id| id.parse().ok())
}

/// An editor card with no WASM: a heading and a [`PlainForm`] that reloads the page
/// (or follows the server function's redirect) once saved. `cancel`: where «Отмена» leads.
#[component]
pub fn PlainEditor<S>(
    action: ServerAction<S>,
    /// The heading's id, which labels the card.
    id: &'static str,
    heading: String,
    submit: &'static str,
    #[prop(default = None)] cancel: Option<String>,
    children: Children,
) -> impl IntoView
where
    S: ServerFn + DeserializeOwned + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby=id>
            <h2 id=id class="mb-2 font-semibold">{heading}</h2>
            <PlainForm action class="space-y-3">
                {children()}
                <div class="flex gap-2">
                    <button type="submit" class=PRIMARY_BUTTON>{submit}</button>
                    {cancel.map(|href| view! {
                        <a href=public_url(&href) class="rounded-lg border px-4 py-2 text-sm">"Отмена"</a>
                    })}
                </div>
            </PlainForm>
        </section>
    }
}

/// The look of a form's main button.
pub const PRIMARY_BUTTON: &str =
    "rounded-lg bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800 disabled:opacity-60";

/// The look of a form's text input.
pub const INPUT: &str = "w-full rounded-lg border px-3 py-2";

/// A labelled one-line input.
#[component]
pub fn Field(
    #[prop(into)] id: String,
    label: &'static str,
    #[prop(into)] name: String,
    #[prop(into)] value: String,
    #[prop(optional)] required: bool,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium">{label}</label>
            <input id=id name=name type=kind.unwrap_or("text") inputmode=inputmode placeholder=placeholder required=required value=value class=INPUT/>
        </div>
    }
}

/// A labelled text area. Its text is its value only in the server's HTML; a form built in the
/// browser (opening another row to edit) gets it through `prop:value`.
#[component]
pub fn TextArea(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    #[prop(into)] value: String,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div>
            <label for=id class="block text-sm font-medium">{label}</label>
            <textarea id=id name=name rows="2" class=INPUT aria-describedby=hint.map(|_| hint_id.clone()) prop:value=value.clone()>{value.clone()}</textarea>
            {hint.map(|hint| view! { <p id=hint_id class="text-xs text-slate-500">{hint}</p> })}
        </div>
    }
}

/// A form with no WASM behind it, for changes after which the page reloads anyway (the server
/// renders the result). `public/forms.js` posts it with `fetch`: a refusal shows in the form's
/// alert with everything typed kept; a success follows the server's redirect or reloads. With
/// JavaScript off the browser posts it, and Leptos' form redirects bring the page back — with the
/// refusal in the URL (`__path`, `__err`), which the form then shows.
#[component]
pub fn PlainForm<S>(
    /// The server function the form posts to (its URL and path).
    action: ServerAction<S>,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView
where
    S: ServerFn + DeserializeOwned + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let _ = action;
    let refused = redirected_error(S::PATH);
    let hidden = refused.is_none();
    let text = refused.map(|error| crate::session::error_text(&error));
    view! {
        <form method="post" action=public_url(S::url()) class=class data-plain-form="">
            {children()}
            <p role="alert" data-form-error="" hidden=hidden class="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-red-800">{text}</p>
        </form>
    }
}

/// The refusal a plain form's server function sent back in the page's URL, if it was this
/// function's (`path`).
fn redirected_error(path: &str) -> Option<AppError> {
    #[cfg(feature = "ssr")]
    {
        use base64::Engine;
        let query = leptos_router::hooks::use_query_map();
        let (from, encoded) = query.with_untracked(|q| (q.get("__path"), q.get("__err")));
        if from.as_deref() != Some(path) {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE
            .decode(encoded?.as_bytes())
            .ok()?;
        serde_json::from_slice::<AppError>(&bytes).ok()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = path;
        None
    }
}
