//! Self-service registration of a company (from the login page).
//!
//! With the platform's SMTP configured, the form only sends a letter, and its answer is the
//! same whether or not the e-mail already has an account: a new address gets a link that
//! creates the company (`/register/confirm`), a known one gets a reminder to log in. Nobody can
//! learn from the form which addresses are customers', nor register a company in someone
//! else's name. Without SMTP (a development machine) the company is created at once and its
//! admin logged in; a production server without SMTP does not register companies.

use chrono::{Duration, Utc};

use super::{
    accounts::{self, NewTenant},
    auth::hash_password_limited,
    db::TenantId,
    mail::{Letter, MailError},
    ratelimit, AppState, Error, Result,
};

/// How long a registration letter's link works.
pub const LINK_TTL_HOURS: i64 = 24;
/// Letters one e-mail address receives from the registration form in an hour, whoever asks:
/// the form cannot be used to flood someone's mailbox.
pub const LETTERS_PER_ADDRESS_PER_HOUR: u32 = 3;

/// What became of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// Created at once (no SMTP, development): the admin can be logged in.
    Created { tenant: TenantId, admin: i64 },
    /// A letter went (or, past the per-address limit, would have gone) to the e-mail: the same
    /// answer for a new address and a known one.
    LetterSent,
}

/// The answer when registration is impossible on this server.
pub const CLOSED: &str =
    "Регистрация новых компаний на этом сервере отключена: не настроена почта. \
                          Обратитесь к администратору платформы.";

impl AppState {
    /// Registers a new company with its first admin, at most
    /// [`super::REGISTRATIONS_PER_HOUR`] attempts an hour per client address (beyond:
    /// `Err(Error::RateLimited(retry_after))` before anything is written). Every attempt that
    /// reaches the database counts, successful or not, so that guessing free names is limited
    /// too. A taken short name is a conflict either way (names are public: they are in the
    /// booking page's address); a taken e-mail is a conflict only without SMTP.
    pub async fn register_company(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
        new: &NewTenant<'_>,
    ) -> Result<Registered> {
        let Some(mailer) = &self.mailer else {
            if self.config.is_production() {
                return Err(Error::Unprocessable(CLOSED.into()));
            }
            self.count_registration(peer, headers).await?;
            let (tenant, admin) = accounts::create_tenant_with_admin(&self.db, new).await?;
            return Ok(Registered::Created { tenant, admin });
        };
        accounts::validate_new_tenant(new)?;
        self.count_registration(peer, headers).await?;
        if accounts::tenant_id_by_slug(&self.db, new.slug)
            .await?
            .is_some()
        {
            return Err(Error::Conflict(accounts::DUPLICATE_SLUG.into()));
        }
        let email = new.admin_email.trim();
        // Hashed on both paths, so that a known address does not answer faster.
        let password_hash = hash_password_limited(new.admin_password).await?;
        let known = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM platform_find_login($1)"#,
            email
        )
        .fetch_one(self.db.pool())
        .await?
            > 0;
        let letter_key = format!("register-letter|{}", email.to_lowercase());
        if self
            .registration_letter_limiter
            .take(&letter_key)
            .await
            .is_some()
        {
            tracing::warn!(
                "registration: letters to this address are over their hourly limit; none sent"
            );
            return Ok(Registered::LetterSent);
        }
        let (subject, text) = if known {
            (
                "Вы уже зарегистрированы в Auto-Concierge".to_string(),
                format!(
                    "Здравствуйте!\n\nКто-то (возможно, вы) хотел зарегистрировать компанию «{company}» \
                     на этот адрес. Но у этого адреса уже есть аккаунт в Auto-Concierge — \
                     войдите в него:\n{base}/login\n\nЕсли вы забыли пароль, попросите администратора \
                     вашей компании сбросить его.\n\nЕсли это были не вы, просто не отвечайте \
                     на это письмо: ничего не изменится.",
                    company = new.name.trim(),
                    base = self.config.public_url,
                ),
            )
        } else {
            let token = super::crypto::random_token();
            sqlx::query!(
                "SELECT platform_request_registration(sha256(convert_to($1, 'UTF8')), $2, $3, $4, $5, $6, $7, $8)",
                token,
                new.name.trim(),
                new.slug,
                new.timezone,
                email,
                password_hash,
                new.admin_full_name.trim(),
                Utc::now() + Duration::hours(LINK_TTL_HOURS)
            )
            .execute(self.db.pool())
            .await?;
            (
                format!("Подтвердите регистрацию «{}»", new.name.trim()),
                format!(
                    "Здравствуйте!\n\nЧтобы зарегистрировать компанию «{company}» в Auto-Concierge, \
                     откройте ссылку и нажмите «Подтвердить»:\n{base}/register/confirm?token={token}\n\nСсылка действует \
                     {LINK_TTL_HOURS} часа. Если вы не регистрировались, просто не отвечайте на \
                     это письмо: без подтверждения ничего не будет создано.",
                    company = new.name.trim(),
                    base = self.config.public_url,
                ),
            )
        };
        let letter = Letter {
            to: email,
            from_name: "Auto-Concierge",
            reply_to: None,
            subject: &subject,
            text: &text,
        };
        match mailer.send(&letter).await {
            Ok(()) => Ok(Registered::LetterSent),
            // The address is refused: the person typed it wrong. Said the same way for both.
            Err(MailError::Permanent(e)) => {
                tracing::info!(error = %e, "registration letter refused");
                Err(Error::validation(
                    "Почтовый сервер не принимает письма на этот адрес — проверьте e-mail",
                ))
            }
            Err(MailError::Temporary(e)) => {
                tracing::warn!(error = %e, "registration letter not sent");
                Err(Error::Unavailable(
                    "Не удалось отправить письмо, попробуйте ещё раз через несколько минут".into(),
                ))
            }
        }
    }

    async fn count_registration(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
    ) -> Result<()> {
        let ip = ratelimit::client_ip(peer, headers, &self.config.trusted_proxies);
        let key = format!("register|{}", ratelimit::address_key(ip));
        match self.registration_limiter.take(&key).await {
            Some(retry_after) => Err(Error::RateLimited(retry_after)),
            None => Ok(()),
        }
    }

    /// Follows a registration letter's link: creates the company and its admin. An unknown,
    /// used or expired link is `NotFound`; a short name or e-mail taken since the letter is a
    /// conflict that says which.
    pub async fn confirm_registration(&self, token: &str) -> Result<(TenantId, i64)> {
        let token = token.trim();
        if token.is_empty() || token.len() > 100 {
            return Err(Error::NotFound);
        }
        let mut tx = self.db.platform_tx().await?;
        let created = sqlx::query!(
            r#"SELECT tenant_id AS "tenant_id!", user_id AS "user_id!"
               FROM platform_confirm_registration(sha256(convert_to($1, 'UTF8')))"#,
            token
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(accounts::unique_to_conflict)?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok((TenantId(created.tenant_id), created.user_id))
    }
}
