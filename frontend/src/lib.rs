//! The WASM entry point: hydrates the server-rendered page.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The public path prefix the server rendered into the page: server functions, links and
    // the event stream go under it.
    let prefix = app::public_path::from_page();
    leptos::mount::hydrate_body(move || {
        leptos::prelude::provide_context(prefix);
        app::App()
    });
}
