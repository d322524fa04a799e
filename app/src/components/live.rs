//! Live updates: the hydrated page listens to the company's event stream (`/api/v1/events`,
//! authenticated by the session cookie) and reloads its data when an appointment changes,
//! whoever changed it — another browser, the bot or an API client.

use crate::model::EventKind;

/// Calls `reload` whenever an appointment of the company is created or updated.
pub fn reload_on_appointment_events(reload: impl Fn() + 'static) {
    reload_on_events(
        &[EventKind::AppointmentCreated, EventKind::AppointmentUpdated],
        reload,
    );
}

/// Calls `reload` whenever the company's stream reports one of `kinds`.
///
/// Runs only in the browser (an effect): the server render has nothing to listen to. The
/// stream is closed when the page that opened it goes away.
pub fn reload_on_events(kinds: &'static [EventKind], reload: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use std::{cell::Cell, rc::Rc};

        use leptos::prelude::*;
        use leptos::wasm_bindgen::{closure::Closure, JsCast};
        use leptos::web_sys::EventSource;

        let reload = Rc::new(reload);
        let url = crate::public_path::public_url("/api/v1/events");
        Effect::new(move |_| {
            let Ok(source) = EventSource::new(&url) else {
                return;
            };
            let on_event = {
                let reload = reload.clone();
                Closure::<dyn Fn()>::new(move || reload())
            };
            // The SSE `event:` field is the event type, so each type needs its own listener.
            for kind in kinds {
                let _ = source.add_event_listener_with_callback(
                    kind.as_str(),
                    on_event.as_ref().unchecked_ref(),
                );
            }
            // After a dropped connection the browser reconnects by itself; what changed meanwhile
            // was missed, so reload when the stream opens again (not when it first opens: the
            // page has just loaded its data).
            let on_reopen = {
                let reload = reload.clone();
                let opened_before = Cell::new(false);
                Closure::<dyn Fn()>::new(move || {
                    if opened_before.replace(true) {
                        reload();
                    }
                })
            };
            source.set_onopen(Some(on_reopen.as_ref().unchecked_ref()));
            // The closures live as long as the stream; both go when the page does.
            let stream = StoredValue::new_local((source, on_event, on_reopen));
            on_cleanup(move || stream.with_value(|(source, _, _)| source.close()));
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (kinds, reload);
}
