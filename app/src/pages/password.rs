//! Смена пароля: one's own password, changed knowing the current one. Settings shows the form to
//! everyone; a user who logged in with a temporary password an admin gave is sent to this page
//! by every staff page until they have set their own.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::components::{
    feedback::{ErrorNotice, Loading},
    form::{ActionForm, PlainForm, INPUT, PRIMARY_BUTTON},
};
use crate::session::{current_user, Logout};

/// Changes the caller's password. Their other sessions end; this one goes on with a fresh
/// session cookie. Out of a temporary password it leads on to the dashboard; otherwise back to
/// Settings, which says it is done.
// A stable URL (no generated suffix) so that tests and logs can name it.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    repeat_password: String,
) -> Result<(), AppError> {
    use crate::domain::{auth, passwords, AppState};
    use crate::session::ssr;

    // Taken before the first await: during server rendering a resumed future may run outside
    // the request's reactive owner.
    let state = expect_context::<AppState>();
    ssr::require_same_origin().await?;
    // Not `require_staff`: this is the one thing a temporary password opens.
    let user = ssr::require_session(&state).await?;
    if new_password != repeat_password {
        return Err(ssr::refused("Новый пароль и повтор не совпадают"));
    }
    let subject = passwords::change_own(&state, &user, &current_password, &new_password).await?;
    let token = auth::issue_token(&state.config, subject.user_id, subject.version)?;
    ssr::set_session_cookie(&state.config, Some(&token));
    let next = if user.must_change_password {
        "/"
    } else {
        "/settings?saved=password"
    };
    leptos_axum::redirect(&ssr::public_url(&state.config, next));
    Ok(())
}

/// The page a temporary password leads to (and a way to change one's password from a link).
/// Outside the staff frame, which would send its user back here.
#[component]
pub fn PasswordPage() -> impl IntoView {
    // Blocking: the redirect of a visitor without a session must be decided before headers go out.
    let user = Resource::new_blocking(|| (), |_| current_user());
    let logout = ServerAction::<Logout>::new();
    view! {
        <Title text="Смена пароля — Auto-Concierge"/>
        <main class="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4">
            <h1 class="mb-1 text-2xl font-semibold">"Смена пароля"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view! {
                            <p class="mb-6 text-slate-600">
                                {if user.must_change_password {
                                    "Администратор выдал вам временный пароль. Задайте свой, чтобы продолжить работу."
                                } else {
                                    "Другие ваши сеансы завершатся, этот продолжится."
                                }}
                            </p>
                            <PasswordForm temporary=user.must_change_password/>
                            <ActionForm action=logout>
                                <button type="submit" class="mt-4 text-sm text-blue-700 hover:underline">"Выйти"</button>
                            </ActionForm>
                        }.into_any(),
                        Ok(None) => view! { <Redirect path=crate::public_path::public_url("/login")/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// «Сменить пароль»: the current (or `temporary`) password and the new one twice. A plain form
/// (no WASM): the page it leads to says the password was changed, with nothing typed left on it.
#[component]
pub fn PasswordForm(temporary: bool) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let changed = crate::components::form::saved() == "password";
    view! {
        <section class="rounded-xl bg-white p-4 shadow" aria-labelledby="change-password">
            <h2 id="change-password" class="mb-2 font-semibold">"Сменить пароль"</h2>
            <PlainForm action=change class="space-y-3">
                <div>
                    <label for="current-password" class="block text-sm font-medium">
                        {if temporary { "Временный пароль" } else { "Текущий пароль" }}
                    </label>
                    <input id="current-password" name="current_password" type="password" required autocomplete="current-password" class=INPUT/>
                </div>
                <div>
                    <label for="new-password" class="block text-sm font-medium">"Новый пароль"</label>
                    <input id="new-password" name="new_password" type="password" required minlength="8" autocomplete="new-password" aria-describedby="new-password-hint" class=INPUT/>
                    <p id="new-password-hint" class="text-xs text-slate-500">"Не короче 8 символов"</p>
                </div>
                <div>
                    <label for="repeat-password" class="block text-sm font-medium">"Новый пароль ещё раз"</label>
                    <input id="repeat-password" name="repeat_password" type="password" required autocomplete="new-password" class=INPUT/>
                </div>
                {changed.then(|| view! {
                    <p role="status" class="text-sm text-emerald-700">"Пароль изменён, другие сеансы завершены"</p>
                })}
                <button type="submit" class=PRIMARY_BUTTON>"Сменить пароль"</button>
            </PlainForm>
        </section>
    }
}
