//! The mark the browser tests (and anyone curious) read to know that the page's islands are
//! live: `<body data-hydrated="true">`.

use leptos::prelude::*;

/// Rendered last in `<body>`. The loader hydrates islands in document order, so when this
/// one's effect runs (effects run only in the browser) every island before it is hydrated.
#[island]
pub fn HydrationMark() -> impl IntoView {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
