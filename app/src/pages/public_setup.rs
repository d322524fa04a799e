//! Settings → «Запись на сайте» (issue 15): the company's public page switched on or off, the
//! cap on future visits per phone, the page's colour and logo; and, for the shop's own
//! channels, the page's address, its QR code with a printable A5 card, and an embed snippet.
//! A plain form: no WASM.

use crate::components::{
    feedback::ErrorNotice,
    form::{PlainForm, INPUT, PRIMARY_BUTTON},
};
use crate::error::AppError;
pub use crate::model::PublicSetup;
use crate::public_path::public_url;
use leptos::prelude::*;

#[server(endpoint = "load_public_setup")]
pub async fn load_public_setup() -> Result<PublicSetup, AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } = crate::session::ssr::admin().await?;
    let mut tx = state.db.tenant_tx(tenant).await?;
    let setup = crate::domain::public::setup(&mut tx, &state.config).await?;
    tx.commit().await?;
    Ok(setup)
}

#[server(endpoint = "save_public_setup")]
pub async fn save_public_setup(
    #[server(default)] booking: Option<String>,
    max_future_visits: String,
    color: String,
    logo: String,
) -> Result<(), AppError> {
    let crate::session::ssr::Caller { state, tenant, .. } =
        crate::session::ssr::admin_changing().await?;
    let max = max_future_visits.trim().parse::<i32>().map_err(|_| {
        crate::domain::Error::validation("Будущих записей на один телефон: от 1 до 20")
    })?;
    crate::domain::public::change_setup(&state.db, tenant, booking.is_some(), max, &color, &logo)
        .await?;
    leptos_axum::redirect(&crate::session::ssr::public_url(
        &state.config,
        "/settings?saved=public#public-title",
    ));
    Ok(())
}

/// The section; nothing for a manager (the page is the admin's).
#[component]
pub fn PublicSetupSettings() -> impl IntoView {
    let setup = Resource::new(|| (), |_| load_public_setup());
    let saved = crate::components::form::saved() == "public";
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match setup.await {
                    Ok(setup) => view! { <SetupForm setup saved/> }.into_any(),
                    Err(error) if error.status == 403 => ().into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SetupForm(setup: PublicSetup, saved: bool) -> impl IntoView {
    let action = ServerAction::<SavePublicSetup>::new();
    let slug = setup
        .address
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let base = setup
        .address
        .trim_end_matches(&format!("/b/{slug}"))
        .to_string();
    let embed = format!(
        "<iframe src=\"{address}\" title=\"Запись в автосервис\" style=\"width:100%;min-height:600px;border:0\" data-auto-concierge></iframe>\n<script src=\"{base}/embed.js\" async></script>",
        address = setup.address
    );
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="public-title">
            <h2 id="public-title" class="mb-2 font-semibold">"Запись на сайте"</h2>
            <p class="text-sm text-slate-700">
                "Страница компании для клиентов: "
                <a class="break-all text-blue-700 underline" href=setup.address.clone() target="_blank" rel="noopener">{setup.address.clone()}</a>
            </p>
            <PlainForm action class="mt-3 space-y-3">
                <label class="flex items-center gap-2 text-sm font-medium">
                    <input type="checkbox" name="booking" value="on" checked=setup.booking class="h-4 w-4"/>
                    "Клиенты могут записываться на странице"
                </label>
                <div>
                    <label for="public-max" class="block text-sm font-medium">"Будущих записей на один телефон, не больше"</label>
                    <input id="public-max" name="max_future_visits" type="number" min="1" max="20" required value=setup.max_future_visits.to_string() class=INPUT/>
                </div>
                <div>
                    <label for="public-color" class="block text-sm font-medium">"Цвет страницы"</label>
                    <input id="public-color" name="color" value=setup.color.clone() placeholder="#1d4ed8" maxlength="7" class=INPUT/>
                </div>
                <div>
                    <label for="public-logo" class="block text-sm font-medium">"Логотип (ссылка https://…)"</label>
                    <input id="public-logo" name="logo" type="url" value=setup.logo.clone() maxlength="500" class=INPUT/>
                </div>
                {saved.then(|| view! { <p role="status" class="text-sm text-emerald-700">"Сохранено"</p> })}
                <button type="submit" class=PRIMARY_BUTTON>"Сохранить"</button>
            </PlainForm>
            <h3 class="mt-4 font-medium">"Для ресепшена и соцсетей"</h3>
            <div class="mt-2 flex flex-wrap items-start gap-4">
                <img src=public_url(&format!("/b/{slug}/qr.svg")) alt="QR-код страницы записи" class="h-32 w-32 border"/>
                <div class="space-y-1 text-sm">
                    <p><a class="text-blue-700 underline" href=public_url(&format!("/b/{slug}/card")) target="_blank">"Карточка A5 с QR-кодом для печати"</a></p>
                    <p><a class="text-blue-700 underline" href=public_url(&format!("/b/{slug}/qr.svg")) download="qr.svg">"Скачать QR-код (SVG)"</a></p>
                </div>
            </div>
            <label for="public-embed" class="mt-3 block text-sm font-medium">"Код для сайта сервиса (вставьте в страницу)"</label>
            <textarea id="public-embed" readonly rows="4" class="w-full rounded-lg border px-3 py-2 font-mono text-xs">{embed}</textarea>
        </section>
    }
}
