//! The WASM entry point: sets up the browser side of the page's islands (`#[island]`
//! components), which the loader script then hydrates one by one.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // The public path prefix the server rendered into the page: server functions, links and
    // the event stream go under it. Provided on the root owner, so every island sees it.
    leptos::prelude::provide_context(app::public_path::from_page());
    // A server function that redirects (login, logout, registration) loads the new page: there
    // is no client-side router in islands mode.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        let _ = leptos::prelude::window().location().set_href(location);
    });
}
