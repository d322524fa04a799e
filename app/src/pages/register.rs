//! Регистрация: a new company with its first admin, from the login page. With the platform's
//! SMTP the form sends a letter and the link in it creates the company (`/register/confirm`);
//! the form's answer is the same whether or not the e-mail has an account
//! (`domain::registration`). Without SMTP (development) the company and the admin are created at
//! once, in one transaction, and the admin is logged in.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::components::form::ActionForm;
use crate::session::error_text;

/// The registration form as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub company: String,
    /// The company's short Latin name (`sever-auto`), unique on the platform.
    pub slug: String,
    pub full_name: String,
    pub email: String,
    pub password: String,
    pub password_repeat: String,
}

/// What is wrong with the form, as `(field, message)`; empty when the company was registered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    fn get(&self, field: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, message)| message.clone())
    }
}

/// Registers a company and logs its admin in. Mistakes in the form come back field by field
/// (all at once); a taken short name or e-mail is shown at its field too.
// A stable URL (no generated suffix) so that tests and logs can name it.
#[server(endpoint = "register_company")]
pub async fn register_company(form: Registration) -> Result<FieldErrors, AppError> {
    use crate::domain::{
        accounts::{self, NewTenant, DUPLICATE_EMAIL, DUPLICATE_SLUG},
        auth,
        registration::Registered,
        AppState, Error,
    };
    use crate::session::ssr::{
        public_url, refused, require_same_origin, set_session_cookie, too_many,
    };

    // Taken before the first await: during server rendering a resumed future may run outside
    // the request's reactive owner.
    let state = expect_context::<AppState>();
    require_same_origin().await?;
    let slug = form.slug.trim().to_lowercase();
    let company = form.company.trim();
    let mut errors = Vec::new();
    let mut check = |field: &str, result: crate::domain::Result<()>| {
        if let Err(e) = result {
            errors.push((field.to_string(), e.to_string()));
        }
    };
    check(
        "company",
        if company.is_empty() {
            Err(Error::validation("Укажите название компании"))
        } else {
            Ok(())
        },
    );
    check("slug", accounts::validate_slug(&slug));
    check("email", accounts::validate_email(&form.email));
    check("password", accounts::validate_password(&form.password));
    check(
        "password_repeat",
        if form.password == form.password_repeat {
            Ok(())
        } else {
            Err(Error::validation("Пароли не совпадают"))
        },
    );
    if !errors.is_empty() {
        return Ok(FieldErrors(errors));
    }

    let axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr> =
        leptos_axum::extract().await?;
    let headers: axum::http::HeaderMap = leptos_axum::extract().await?;
    let full_name = match form.full_name.trim() {
        "" => "Администратор",
        name => name,
    };
    let new = NewTenant {
        name: company,
        slug: &slug,
        timezone: "Europe/Moscow",
        admin_email: form.email.trim(),
        admin_password: &form.password,
        admin_full_name: full_name,
    };
    let at_field = |field: &str, message: &str| -> Result<FieldErrors, AppError> {
        Ok(FieldErrors(vec![(field.into(), message.into())]))
    };
    match state.register_company(peer.ip(), &headers, &new).await {
        Ok(Registered::Created { admin, .. }) => {
            let token = auth::issue_token(&state.config, admin, 0)?;
            set_session_cookie(&state.config, Some(&token));
            leptos_axum::redirect(&public_url(&state.config, "/"));
            Ok(FieldErrors::default())
        }
        Ok(Registered::LetterSent) => {
            leptos_axum::redirect(&public_url(&state.config, "/register/sent"));
            Ok(FieldErrors::default())
        }
        Err(Error::Conflict(message)) if message == DUPLICATE_SLUG => at_field("slug", &message),
        Err(Error::Conflict(message)) if message == DUPLICATE_EMAIL => at_field("email", &message),
        Err(Error::Validation(message) | Error::Unprocessable(message)) => Err(refused(&message)),
        Err(Error::Unavailable(message)) => Err(AppError::with_status(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            &message,
        )),
        Err(Error::RateLimited(retry_after)) => Err(too_many(&format!(
            "Слишком много регистраций с этого адреса, повторите через {} мин",
            retry_after.as_secs().div_ceil(60).max(1)
        ))),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// The registration page. The form posts to the server function, so it works before the WASM
/// has loaded; once hydrated, mistakes appear next to their fields without a reload.
#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <Title text="Регистрация — Auto-Concierge"/>
        <main class="mx-auto flex min-h-screen max-w-md flex-col justify-center px-4 py-8">
            <h1 class="mb-1 text-2xl font-semibold">"Регистрация компании"</h1>
            <p class="mb-6 text-slate-600">"Компания и её первый администратор."</p>
            <RegisterForm/>
            <p class="mt-4 text-center text-sm text-slate-600">
                "Уже есть аккаунт? "
                <A href=crate::public_path::public_url("/login") attr:class="text-blue-700 underline">"Войти"</A>
            </p>
        </main>
    }
}

/// The form, with each mistake next to its field.
#[island]
fn RegisterForm() -> impl IntoView {
    let register = ServerAction::<RegisterCompany>::new();
    let errors = move || {
        register
            .value()
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
    };
    let error_of = move |field: &'static str| Signal::derive(move || errors().get(field));
    let form_error = move || {
        register
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| error_text(&e))
    };

    view! {
        <ActionForm action=register attr:class="space-y-4 rounded-xl bg-white p-6 shadow">
            <Field id="register-company" name="form[company]" label="Название компании" autocomplete="organization" required=true error=error_of("company")/>
            <Field
                id="register-slug"
                name="form[slug]"
                label="Короткое имя"
                hint="Латиница, цифры и дефис, например sever-auto"
                autocomplete="off"
                required=true
                error=error_of("slug")
            />
            <Field id="register-name" name="form[full_name]" label="Ваше имя" autocomplete="name" error=error_of("full_name")/>
            <Field id="register-email" name="form[email]" label="E-mail администратора" kind="email" autocomplete="username" required=true error=error_of("email")/>
            <Field id="register-password" name="form[password]" label="Пароль" kind="password" hint="Не короче 8 символов" autocomplete="new-password" required=true minlength="8" error=error_of("password")/>
            <Field id="register-password-repeat" name="form[password_repeat]" label="Пароль ещё раз" kind="password" autocomplete="new-password" required=true minlength="8" error=error_of("password_repeat")/>
            <p role="alert" class="min-h-5 text-sm text-red-700">{form_error}</p>
            <button
                type="submit"
                class="w-full rounded-lg bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60"
                disabled=move || register.pending().get()
            >
                {move || if register.pending().get() { "Регистрируем…" } else { "Зарегистрировать" }}
            </button>
        </ActionForm>
    }
}

/// A labelled input with its hint and its mistake below it (read out by screen readers).
#[component]
fn Field(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] minlength: Option<&'static str>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div>
            <label for=id class="mb-1 block text-sm font-medium">{label}</label>
            <input
                id=id
                name=name
                type=kind
                required=required
                minlength=minlength
                autocomplete=autocomplete
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=error_id.clone()
                class="w-full rounded-lg border border-slate-300 px-3 py-2 focus:border-blue-600 focus:outline-none aria-[invalid=true]:border-red-500"
            />
            {hint.map(|hint| view! { <p class="mt-1 text-xs text-slate-500">{hint}</p> })}
            <p id=error_id class="mt-1 text-sm text-red-700 empty:hidden" aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// «Проверьте почту»: where the form leads when a letter was sent. Says the same for a new
/// address and a known one.
#[component]
pub fn RegisterSentPage() -> impl IntoView {
    view! {
        <Title text="Проверьте почту — Auto-Concierge"/>
        <main class="mx-auto flex min-h-screen max-w-md flex-col justify-center px-4 py-8">
            <h1 class="mb-2 text-2xl font-semibold">"Проверьте почту"</h1>
            <p class="text-slate-700">
                "Мы отправили письмо на указанный адрес. Откройте ссылку из него, чтобы завершить регистрацию. "
                "Ссылка действует 24 часа."
            </p>
            <p class="mt-2 text-sm text-slate-600">"Письма нет? Проверьте папку «Спам» или зарегистрируйтесь ещё раз через несколько минут."</p>
            <p class="mt-6 text-center text-sm">
                <A href=crate::public_path::public_url("/login") attr:class="text-blue-700 underline">"Ко входу"</A>
            </p>
        </main>
    }
}

/// Follows a registration letter's link: creates the company and logs its admin in. Unknown,
/// used or expired links, and a name or e-mail taken since the letter, are refused with a way on.
#[server(endpoint = "confirm_registration")]
pub async fn confirm_registration(token: String) -> Result<(), AppError> {
    use crate::domain::{auth, AppState, Error};
    use crate::session::ssr::{public_url, refused, require_same_origin, set_session_cookie};

    let state = expect_context::<AppState>();
    require_same_origin().await?;
    match state.confirm_registration(&token).await {
        Ok((_, admin)) => {
            let token = auth::issue_token(&state.config, admin, 0)?;
            set_session_cookie(&state.config, Some(&token));
            leptos_axum::redirect(&public_url(&state.config, "/"));
            Ok(())
        }
        Err(Error::NotFound) => Err(refused(
            "Ссылка устарела или уже использована. Если компания уже создана — войдите; если нет — зарегистрируйтесь ещё раз.",
        )),
        Err(Error::Conflict(message)) => Err(refused(&format!(
            "{message}. Зарегистрируйтесь ещё раз с другими данными или войдите."
        ))),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// The page a registration letter links to. Creating the company takes a press of the button (a
/// POST), not the opening of the link: mail scanners that open links must not use it up.
#[component]
pub fn RegisterConfirmPage() -> impl IntoView {
    use crate::components::form::{PlainForm, PRIMARY_BUTTON};
    let query = leptos_router::hooks::use_query_map();
    let token = query.with_untracked(|q| q.get("token")).unwrap_or_default();
    let confirm = ServerAction::<ConfirmRegistration>::new();
    view! {
        <Title text="Подтверждение регистрации — Auto-Concierge"/>
        <main class="mx-auto flex min-h-screen max-w-md flex-col justify-center px-4 py-8">
            <h1 class="mb-2 text-2xl font-semibold">"Подтверждение регистрации"</h1>
            <p class="mb-4 text-slate-700">"Нажмите «Подтвердить», чтобы создать компанию и войти."</p>
            <PlainForm action=confirm class="space-y-3">
                <input type="hidden" name="token" value=token/>
                <button type="submit" class=PRIMARY_BUTTON>"Подтвердить"</button>
            </PlainForm>
            <p class="mt-6 text-center text-sm">
                <A href=crate::public_path::public_url("/login") attr:class="text-blue-700 underline">"Ко входу"</A>
                " · "
                <A href=crate::public_path::public_url("/register") attr:class="text-blue-700 underline">"Регистрация"</A>
            </p>
        </main>
    }
}
