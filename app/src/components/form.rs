//! `ActionForm` that posts under the public path prefix.
//!
//! Leptos' own `<ActionForm>` writes the server function's path (`/api/…`) into the form's
//! `action` as it is. Once the page is hydrated that does not matter (the submit goes through the
//! server function client, which knows the prefix), but before hydration, or with JavaScript
//! off, the browser posts to that attribute, which would escape a path prefix. This one is the
//! same progressive enhancement with the prefixed URL; pages import it in place of Leptos'.

use leptos::{form::FromFormData, html, prelude::*, server_fn::ServerFn};
use serde::de::DeserializeOwned;

use crate::public_path::public_url;

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
