//! The company's public page (`/b/{slug}`, issue 15): what car owners see without a login, and
//! booking there. Everything is read and written by the company's slug through Row-Level
//! Security as that company, and only what it publishes anyway is shown: its name, shops
//! (address, phone, weekly hours), active services with prices, free start times (never who
//! holds the others) and the customer's own visit behind its manage link.
//!
//! Booking goes through the same use cases as staff and the bot (`booking::free_slots`,
//! `booking::book`, `booking::change`) with source `web` and status `new`. A phone typed on the
//! page proves nothing, so it never attaches a visit to a card staff or Telegram vouched for: the
//! visit gets a card of its own with the phone as the customer's word (`unverified_phone`), and
//! staff see the pair as possible duplicates, as with a phone typed in the bot.
//!
//! Abuse: a hidden field people never fill (`website`), bookings per client address and per
//! phone, the concierge's answers per address, and at most the company's number of future visits
//! per phone (`tenants.public_max_future_visits`, 3 by default). A company may switch the page's
//! booking off.

use std::{net::IpAddr, time::Duration as StdDuration};

use chrono::{DateTime, NaiveDate, Utc, Weekday};

use super::{
    accounts,
    booking::{self, Appointment, Channel, NewBooking, Status},
    clients::{self, NewClient, NewVehicle, PhoneSource},
    db::{Db, TenantId, Tx},
    events::Event,
    hours::WorkingHours,
    ratelimit::{self, RateLimiter},
    services, shops, telegram,
    work::Work,
    AppState, Error, Result,
};
use crate::model::{
    BookingQuery, PublicBooking, PublicCompany, PublicFindings, PublicService, PublicShop,
    PublicVisit,
};

/// Bookings one client address may make on public pages in an hour.
pub const BOOKINGS_PER_ADDRESS_PER_HOUR: u32 = 10;
/// Bookings one phone may get on a company's page in a day.
pub const BOOKINGS_PER_PHONE_PER_DAY: u32 = 5;
/// The concierge's answers one client address may ask for in an hour (each may cost a model call).
pub const ANSWERS_PER_ADDRESS_PER_HOUR: u32 = 30;
/// Booking steps with a shop chosen (each reads up to three weeks of availability) one client
/// address may load in an hour.
pub const STEPS_PER_ADDRESS_PER_HOUR: u32 = 600;
/// SMS codes one phone may get in an hour, from all companies together.
pub const CODES_PER_PHONE_PER_HOUR: u32 = 3;
/// SMS codes one company sends in an hour.
pub const CODES_PER_COMPANY_PER_HOUR: u32 = 100;
/// Days with free time the day picker shows.
const DAYS_SHOWN: usize = 14;
/// Most services one visit booked on the page holds.
const MAX_CHOSEN: usize = 10;

const SWITCHED_OFF: &str =
    "Запись на сайте сейчас выключена — позвоните в сервис, телефоны на странице компании";
const HONEYPOT: &str = "Запись не принята. Если вы человек, позвоните в сервис";

/// The public pages' rate limits (in Redis when configured, shared by all server processes).
pub struct Limits {
    bookings_per_address: RateLimiter,
    bookings_per_phone: RateLimiter,
    answers_per_address: RateLimiter,
    steps_per_address: RateLimiter,
    codes_per_phone: RateLimiter,
    codes_per_company: RateLimiter,
}

impl Limits {
    pub fn new(redis: Option<fred::prelude::Client>) -> Self {
        let hour = StdDuration::from_secs(3600);
        Limits {
            bookings_per_address: RateLimiter::new(
                BOOKINGS_PER_ADDRESS_PER_HOUR,
                hour,
                redis.clone(),
            ),
            bookings_per_phone: RateLimiter::new(
                BOOKINGS_PER_PHONE_PER_DAY,
                hour * 24,
                redis.clone(),
            ),
            answers_per_address: RateLimiter::new(
                ANSWERS_PER_ADDRESS_PER_HOUR,
                hour,
                redis.clone(),
            ),
            steps_per_address: RateLimiter::new(STEPS_PER_ADDRESS_PER_HOUR, hour, redis.clone()),
            codes_per_phone: RateLimiter::new(CODES_PER_PHONE_PER_HOUR, hour, redis.clone()),
            codes_per_company: RateLimiter::new(CODES_PER_COMPANY_PER_HOUR, hour, redis),
        }
    }
}

/// The company's own settings for its page.
struct PageSettings {
    booking: bool,
    max_future_visits: i32,
    color: Option<String>,
    logo: Option<String>,
}

async fn settings(tx: &mut Tx) -> Result<PageSettings> {
    let row = sqlx::query!(
        "SELECT is_active, public_booking, public_max_future_visits, brand_color, logo_url
         FROM tenants"
    )
    .fetch_optional(&mut **tx)
    .await?
    .filter(|row| row.is_active)
    .ok_or(Error::NotFound)?;
    Ok(PageSettings {
        booking: row.public_booking,
        max_future_visits: row.public_max_future_visits,
        color: row.brand_color,
        logo: row.logo_url,
    })
}

/// The company of `slug`; `NotFound` for none (or a switched-off account).
async fn tenant(db: &Db, slug: &str) -> Result<TenantId> {
    let slug = slug.trim();
    if slug.is_empty() || slug.len() > 64 {
        return Err(Error::NotFound);
    }
    accounts::tenant_id_by_slug(db, slug)
        .await?
        .ok_or(Error::NotFound)
}

/// The company of `slug` as its page shows it; `NotFound` when there is none.
pub async fn company(db: &Db, slug: &str) -> Result<PublicCompany> {
    let tenant = tenant(db, slug).await?;
    let mut read = db.tenant_read_tx(tenant).await?;
    read_company(&mut read, slug).await
}

async fn read_company(tx: &mut Tx, slug: &str) -> Result<PublicCompany> {
    let page = settings(tx).await?;
    let name = super::company::name(tx).await?;
    let shops = shops::list(tx, 0, 100).await?;
    let catalogue = services::by_section(tx).await?;
    let bot = telegram::status(tx).await?.bot_username;
    let sections = catalogue
        .into_iter()
        .map(|(section, list)| (section, list.into_iter().map(public_service).collect()))
        .collect();
    Ok(PublicCompany {
        name,
        slug: slug.trim().to_string(),
        shops: shops
            .into_iter()
            .map(|shop| {
                let hours = WorkingHours::from_json(&shop.working_hours)?;
                Ok(PublicShop {
                    hours: std::iter::successors(Some(Weekday::Mon), |d| Some(d.succ()))
                        .zip(crate::format::WEEKDAYS)
                        .map(|(weekday, day)| (day.to_string(), hours.day_text(weekday)))
                        .collect(),
                    id: shop.id,
                    name: shop.name,
                    address: shop.address,
                    phone: shop.phone,
                })
            })
            .collect::<Result<_>>()?,
        sections,
        bot,
        booking: page.booking,
        color: page.color,
        logo: page.logo,
    })
}

fn public_service(service: services::Service) -> PublicService {
    PublicService {
        id: service.id,
        price: crate::format::rubles(service.price),
        minutes: service.duration_minutes,
        name: service.name,
        description: service.description,
    }
}

/// Where the choices of `query` lead on the booking page: the concierge's answer to the words
/// (while nothing is chosen), the chosen services, the shops offering them all, the days with
/// free time at the chosen shop and that day's free start times.
pub async fn booking_step(
    state: &AppState,
    slug: &str,
    query: BookingQuery,
    client: IpAddr,
) -> Result<PublicBooking> {
    let tenant = tenant(&state.db, slug).await?;
    let mut tx = state.db.tenant_read_tx(tenant).await?;
    let company = read_company(&mut tx, slug).await?;
    if !company.booking {
        return Err(Error::Unprocessable(SWITCHED_OFF.into()));
    }
    let catalogue: Vec<&PublicService> = company.sections.iter().flat_map(|(_, s)| s).collect();
    let mut chosen: Vec<PublicService> = Vec::new();
    for id in &query.services {
        if let Some(service) = catalogue.iter().find(|s| s.id == *id) {
            if !chosen.iter().any(|c| c.id == *id) && chosen.len() < MAX_CHOSEN {
                chosen.push((*service).clone());
            }
        }
    }
    let ids: Vec<i64> = chosen.iter().map(|s| s.id).collect();
    let mut step = PublicBooking {
        query: BookingQuery {
            services: ids.clone(),
            ..query.clone()
        },
        findings: None,
        total: String::new(),
        minutes: 0,
        shops: Vec::new(),
        shop: None,
        days: Vec::new(),
        times: Vec::new(),
        notice: None,
        chosen,
        company,
    };
    if ids.is_empty() {
        drop(tx);
        step.query.shop = None;
        step.query.day = None;
        let words = query.q.trim();
        if !words.is_empty() {
            step.findings = Some(findings(state, tenant, words, client).await?);
        }
        return Ok(step);
    }
    let services = services::get_all(&mut tx, &ids).await?;
    step.total = crate::format::rubles(services.iter().map(|s| s.price).sum());
    step.minutes = services.iter().map(|s| s.duration_minutes).sum();
    let offering: Vec<i64> = shops::offering_for(&mut tx, &services)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    step.shops = step
        .company
        .shops
        .iter()
        .filter(|s| offering.contains(&s.id))
        .cloned()
        .collect();
    step.shop = match step.shops.as_slice() {
        [] => {
            step.notice = Some(if ids.len() > 1 {
                "Эти работы делают в разных наших сервисах — запишитесь на них по отдельности."
                    .into()
            } else {
                "Запись на эту работу пока недоступна — позвоните в сервис.".into()
            });
            None
        }
        [only] => Some(only.clone()),
        shops => query
            .shop
            .and_then(|id| shops.iter().find(|s| s.id == id).cloned()),
    };
    step.query.shop = step.shop.as_ref().map(|s| s.id);
    let Some(shop) = step.shop.clone() else {
        step.query.day = None;
        return Ok(step);
    };
    let key = format!("public-step|{}", ratelimit::address_key(client));
    if let Some(retry) = state.public_limits.steps_per_address.take(&key).await {
        return Err(Error::RateLimited(retry));
    }
    step.days = booking::free_days(&mut tx, shop.id, &ids, DAYS_SHOWN)
        .await?
        .into_iter()
        .map(day_choice)
        .collect();
    if step.days.is_empty() {
        step.notice = Some(crate::format::no_free_time(&shop.name, &shop.phone));
    }
    let day = query
        .day
        .as_deref()
        .and_then(|d| d.parse::<NaiveDate>().ok());
    step.query.day = day.map(|d| d.to_string());
    if let Some(day) = day {
        step.times = times(&mut tx, shop.id, day, &ids).await?;
        if step.times.is_empty() {
            step.notice = Some(format!(
                "На {} свободного времени уже нет — выберите другой день.",
                crate::format::day_label(day)
            ));
        }
    }
    Ok(step)
}

/// The concierge's answer to what the customer wrote, counted against their address.
async fn findings(
    state: &AppState,
    tenant: TenantId,
    words: &str,
    client: IpAddr,
) -> Result<PublicFindings> {
    let key = format!("public-words|{}", ratelimit::address_key(client));
    if let Some(retry) = state.public_limits.answers_per_address.take(&key).await {
        return Err(Error::RateLimited(retry));
    }
    let answer = state
        .concierge
        .analyze_for_tenant(&state.db, tenant, words)
        .await?;
    Ok(PublicFindings {
        causes: answer.diagnoses.into_iter().map(|d| d.title).collect(),
        services: answer
            .services
            .into_iter()
            .map(|s| PublicService {
                id: s.id,
                price: crate::format::rubles(s.price),
                minutes: s.duration_minutes,
                name: s.name,
                description: String::new(),
            })
            .collect(),
        declined: answer.declined,
    })
}

fn day_choice(day: NaiveDate) -> (String, String) {
    (crate::format::day_label(day), day.to_string())
}

/// Free start times of `day`: («10:30», RFC 3339).
async fn times(
    tx: &mut Tx,
    shop: i64,
    day: NaiveDate,
    services: &[i64],
) -> Result<Vec<(String, String)>> {
    Ok(booking::free_slots(tx, shop, day, services)
        .await?
        .into_iter()
        .map(|slot| {
            (
                slot.start_time.format("%H:%M").to_string(),
                slot.start_time.to_rfc3339(),
            )
        })
        .collect())
}

/// What the booking form sends.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct BookingForm {
    pub q: String,
    pub services: Vec<i64>,
    pub shop: i64,
    /// RFC 3339, one of the offered start times.
    pub start: String,
    pub name: String,
    pub phone: String,
    pub make: String,
    pub model: String,
    pub plate: String,
    /// Where to send the visit's link (optional; the card's e-mail when the card is the page's).
    #[serde(default)]
    pub email: String,
    /// The honeypot: hidden from people, filled by bots.
    #[serde(skip)]
    pub website: String,
}

/// What a booking on the page came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Booked {
    /// Booked: the manage link's token (shown once; only its hash is kept).
    Visit(String),
    /// The company sends SMS: a one-time code went to the phone, and the booking waits for it
    /// behind this token (`/b/{slug}/confirm/{token}`).
    CodeSent(String),
}

/// How long a code sent by SMS is good for, and how many tries it allows.
const CODE_MINUTES: i64 = 10;
const CODE_TRIES: i32 = 5;

/// Use case: a car owner books on the public page. The form is checked (the honeypot, the
/// limits, the cap on future visits per phone, an offered time); then, when the company sends
/// SMS, a one-time code goes to the phone and the visit waits for it ([`confirm`]); otherwise the
/// visit is booked at once ([`Booked::Visit`]).
pub async fn book(
    state: &AppState,
    slug: &str,
    form: BookingForm,
    client: IpAddr,
) -> Result<Booked> {
    if !form.website.trim().is_empty() {
        return Err(Error::validation(HONEYPOT));
    }
    let tenant = tenant(&state.db, slug).await?;
    let phone = checked_form(&form)?;
    let address = format!("public-book|{}", ratelimit::address_key(client));
    if let Some(retry) = state
        .public_limits
        .bookings_per_address
        .take(&address)
        .await
    {
        return Err(Error::RateLimited(retry));
    }
    let mut tx = state.db.tenant_tx(tenant).await?;
    // Only a booking the company would take counts against the phone: posts with a bad time
    // cannot lock someone else's number out.
    bookable(&mut tx, &form, &phone).await?;
    let by_phone = format!("public-book|{}|{phone}", tenant.0);
    if let Some(retry) = state.public_limits.bookings_per_phone.take(&by_phone).await {
        return Err(Error::RateLimited(retry));
    }
    let channels = super::deliveries::settings(&mut tx, &state.config).await?;
    let Some(provider) = channels.sms else {
        drop(tx);
        return finish(state, slug, tenant, form, &phone, false)
            .await
            .map(Booked::Visit);
    };
    // SMS cost the company money: a phone gets few codes from all companies together, and a
    // company sends a bounded number an hour, however many addresses ask.
    for (limiter, key) in [
        (
            &state.public_limits.codes_per_phone,
            format!("public-code|{phone}"),
        ),
        (
            &state.public_limits.codes_per_company,
            format!("public-code|{}", tenant.0),
        ),
    ] {
        if let Some(retry) = limiter.take(&key).await {
            return Err(Error::RateLimited(retry));
        }
    }
    // Codes long expired (never typed) go as new ones come.
    sqlx::query!("DELETE FROM public_codes WHERE expires_at < now() - interval '1 day'")
        .execute(&mut *tx)
        .await?;
    let token = super::crypto::random_token();
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let booking = serde_json::to_value(&form).map_err(|e| Error::Internal(e.to_string()))?;
    sqlx::query!(
        "INSERT INTO public_codes (tenant_id, token_hash, code_hash, phone, booking, expires_at)
         VALUES ($1, sha256(convert_to($2, 'UTF8')), sha256(convert_to($2 || $3, 'UTF8')), $4, $5,
                 now() + make_interval(mins => $6))",
        tenant.0,
        token,
        code,
        phone,
        booking,
        CODE_MINUTES as i32
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let text = format!(
        "Код для записи в «{}»: {code}. Никому его не сообщайте.",
        channels.company
    );
    super::sms::send(
        &reqwest::Client::new(),
        &state.config.smsru_api_url,
        &provider,
        channels.sms_sender.as_deref(),
        &phone,
        &text,
    )
    .await
    .map_err(|e| {
        tracing::warn!(tenant = tenant.0, error = %e, "the booking code could not be sent");
        Error::Unavailable(
            "Не удалось отправить SMS с кодом — проверьте номер или позвоните в сервис".into(),
        )
    })?;
    Ok(Booked::CodeSent(token))
}

/// Use case: the code sent by SMS, typed on the page: the phone is the customer's, so the visit
/// goes to the card that has it (found or created), and is booked. Returns the manage link's
/// token. At most [`CODE_TRIES`] tries in [`CODE_MINUTES`] minutes.
pub async fn confirm(state: &AppState, slug: &str, token: &str, code: &str) -> Result<String> {
    let tenant = tenant(&state.db, slug).await?;
    let token = link_token(token).map_err(|_| {
        Error::Unprocessable(
            "Код больше не действует — запишитесь ещё раз, мы пришлём новый".into(),
        )
    })?;
    let code: String = code.trim().chars().take(10).collect();
    let mut tx = state.db.tenant_tx(tenant).await?;
    let pending = sqlx::query!(
        r#"UPDATE public_codes SET attempts = attempts + 1
           WHERE token_hash = sha256(convert_to($1, 'UTF8')) AND expires_at > now() AND attempts < $2
           RETURNING id, phone, booking, code_hash = sha256(convert_to($1 || $3, 'UTF8')) AS "right!""#,
        token,
        CODE_TRIES,
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        Error::Unprocessable(
            "Код больше не действует — запишитесь ещё раз, мы пришлём новый".into(),
        )
    })?;
    if !pending.right {
        tx.commit().await?;
        return Err(Error::validation("Код не подходит — проверьте SMS"));
    }
    sqlx::query!("DELETE FROM public_codes WHERE id = $1", pending.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let form: BookingForm =
        serde_json::from_value(pending.booking).map_err(|e| Error::Internal(e.to_string()))?;
    finish(state, slug, tenant, form, &pending.phone, true).await
}

/// Whether a code is waiting behind `token` (the confirmation page shows the phone's end).
pub async fn pending_phone(db: &Db, slug: &str, token: &str) -> Result<String> {
    let tenant = tenant(db, slug).await?;
    let token = link_token(token)?;
    let mut tx = db.tenant_read_tx(tenant).await?;
    let phone = sqlx::query_scalar!(
        "SELECT phone FROM public_codes
         WHERE token_hash = sha256(convert_to($1, 'UTF8')) AND expires_at > now()",
        token
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?;
    let tail: String = phone
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Ok(format!("…{tail}"))
}

/// The form's own checks; the phone in E.164.
fn checked_form(form: &BookingForm) -> Result<String> {
    let name = form.name.trim();
    if name.is_empty() {
        return Err(Error::validation("Укажите, как к вам обращаться"));
    }
    if name.chars().count() > 100 {
        return Err(Error::validation("Имя — не длиннее 100 знаков"));
    }
    let phone = super::phone::normalize(form.phone.trim())
        .ok_or_else(|| Error::validation("Укажите телефон полностью, например +7 916 123-45-67"))?;
    DateTime::parse_from_rfc3339(form.start.trim())
        .map_err(|_| Error::validation("Выберите время визита"))?;
    if form.services.is_empty() || form.services.len() > MAX_CHOSEN {
        return Err(Error::validation("Выберите работы для визита"));
    }
    if form.q.trim().chars().count() > 2000 {
        return Err(Error::validation("Описание — не длиннее 2000 знаков"));
    }
    let email = form.email.trim();
    if !email.is_empty() && (email.len() > 254 || !super::mail::is_address(email)) {
        return Err(Error::validation(
            "E-mail: укажите корректный адрес или оставьте пустым",
        ));
    }
    for (value, what) in [
        (&form.make, "Марка"),
        (&form.model, "Модель"),
        (&form.plate, "Госномер"),
    ] {
        if value.trim().chars().count() > 50 {
            return Err(Error::validation(format!("{what} — не длиннее 50 знаков")));
        }
    }
    Ok(phone)
}

/// Whether the company takes this booking now: the page switched on, the phone under the cap
/// on future visits, the time one the page offers (free, not past, within the weeks shown) at
/// a shop that does the works.
async fn bookable(tx: &mut Tx, form: &BookingForm, phone: &str) -> Result<()> {
    let page = settings(tx).await?;
    if !page.booking {
        return Err(Error::Unprocessable(SWITCHED_OFF.into()));
    }
    let ahead = future_visits(tx, phone).await?;
    if ahead >= i64::from(page.max_future_visits) {
        return Err(Error::Unprocessable(format!(
            "На этот номер уже есть записи вперёд ({ahead}). Чтобы записаться ещё, позвоните в сервис."
        )));
    }
    let start = DateTime::parse_from_rfc3339(form.start.trim())
        .map_err(|_| Error::validation("Выберите время визита"))?;
    offered(tx, form.shop, &form.services, start).await?;
    if !shops::offering(tx, &form.services)
        .await?
        .iter()
        .any(|s| s.id == form.shop)
    {
        return Err(Error::validation("Этих работ в выбранном сервисе нет"));
    }
    Ok(())
}

/// Books the visit of a checked form: for a phone confirmed by a code, on the card that has it;
/// for a typed one, on a card of its own ([`web_client`]). Then its manage link, and the message
/// «вы записаны» with that link by the company's channels. `appointment.created` (and
/// `client.created` for a new card) once committed, so the visit appears live in the calendar.
async fn finish(
    state: &AppState,
    slug: &str,
    tenant: TenantId,
    form: BookingForm,
    phone: &str,
    confirmed: bool,
) -> Result<String> {
    let words = form.q.trim();
    // The concierge thinks before the transaction opens: no connection waits on a model.
    let analysis = match words {
        "" => None,
        words => Some(
            state
                .concierge
                .analyze_for_tenant(&state.db, tenant, words)
                .await?,
        ),
    };
    let mut work = Work::begin(&state.db, tenant).await?;
    // Again, in the booking's transaction: the time may have gone while the concierge thought
    // or since the code was sent.
    bookable(work.tx(), &form, phone).await?;
    let start = DateTime::parse_from_rfc3339(form.start.trim())
        .map_err(|_| Error::validation("Выберите время визита"))?;
    let name = form.name.trim();
    let (card, created) = if confirmed {
        clients::find_or_create_by_phone(work.tx(), tenant, name, phone).await?
    } else {
        web_client(work.tx(), tenant, name, phone, form.email.trim()).await?
    };
    let email = form.email.trim();
    if confirmed && card.email.is_none() && !email.is_empty() {
        // The phone is proven: the card is this customer's, and it had no address yet.
        let patch = clients::ClientPatch {
            email: Some(Some(email.to_string())),
            ..clients::ClientPatch::default()
        };
        clients::update(work.tx(), tenant, card.id, patch).await?;
    }
    let vehicle_id = visit_car(&mut work, card.id, &form).await?;
    let token = super::crypto::random_token();
    let link = format!(
        "{}/b/{}/v/{token}",
        state.config.public_url.trim_end_matches('/'),
        slug.trim()
    );
    let id = booking::book(
        work.tx(),
        tenant,
        NewBooking {
            shop_id: form.shop,
            client_id: card.id,
            vehicle_id,
            service_ids: form.services.clone(),
            start_time: start.with_timezone(&Utc),
            end_time: None,
            bay: None,
            source: Channel::Web,
            customer_note: words.to_string(),
            ai_summary: analysis.as_ref().map(|a| a.summary()).unwrap_or_default(),
            ai_analysis: analysis
                .as_ref()
                .map(serde_json::to_value)
                .transpose()
                .map_err(|e| Error::Internal(e.to_string()))?,
            created_by: None,
            manage_link: Some(link),
        },
    )
    .await?;
    sqlx::query!(
        "INSERT INTO visit_links (tenant_id, appointment_id, token_hash)
         VALUES ($1, $2, sha256(convert_to($3, 'UTF8')))",
        tenant.0,
        id,
        token
    )
    .execute(&mut **work.tx())
    .await?;
    let appointment = booking::get(work.tx(), id).await?;
    if created {
        work.publish(Event::ClientCreated(&card))?;
    }
    work.publish(Event::AppointmentCreated(&appointment))?;
    work.commit(&state.events).await?;
    Ok(token)
}

/// Whether `start` is a time the page offers for these services at `shop`: free now, not past,
/// within the shop's hours and within the weeks the day picker searches
/// ([`booking::SEARCH_DAYS`]); a time the page never showed is not taken.
async fn offered(
    tx: &mut Tx,
    shop: i64,
    services: &[i64],
    start: DateTime<chrono::FixedOffset>,
) -> Result<()> {
    let shop_tz = booking::shop_hours(tx, shop).await?.1;
    let day = start.with_timezone(&shop_tz).date_naive();
    // The picker's days are today and the next SEARCH_DAYS − 1, today by the company's clock;
    // the shop's own clock may be a day on near midnight.
    let today = super::company::today(tx).await?;
    let shop_today = Utc::now().with_timezone(&shop_tz).date_naive();
    if day < today.min(shop_today)
        || day >= today.max(shop_today) + chrono::Duration::days(booking::SEARCH_DAYS)
    {
        return Err(Error::Conflict(
            "Это время недоступно для записи — выберите другое".into(),
        ));
    }
    let slots = booking::free_slots(tx, shop, day, services).await?;
    if !slots.iter().any(|slot| slot.start_time == start) {
        return Err(Error::Conflict(
            "Это время уже заняли — выберите другое".into(),
        ));
    }
    Ok(())
}

/// Live visits ahead held by cards with this phone, vouched for or typed.
async fn future_visits(tx: &mut Tx, phone: &str) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM appointments a JOIN clients c ON c.id = a.client_id
           WHERE (c.phone = $1 OR c.unverified_phone = $1)
             AND a.status IN ('new', 'confirmed') AND a.start_time > now()"#,
        phone
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// The card a booking with a typed (unproven) phone goes to: always a new one, with the phone as
/// the customer's word and the e-mail typed on this form, marked as a possible duplicate of any
/// card that has the phone. An earlier card with the same typed phone is never reused: anybody
/// can type anybody's number, and the card's e-mail is where the visit's link and later messages
/// go. Staff merge the pair when it is one person.
async fn web_client(
    tx: &mut Tx,
    tenant: TenantId,
    name: &str,
    phone: &str,
    email: &str,
) -> Result<(clients::Client, bool)> {
    let card = clients::create(
        tx,
        tenant,
        NewClient {
            full_name: name.to_string(),
            phone: None,
            email: Some(email.to_string()).filter(|e| !e.is_empty()),
            telegram_id: None,
            notes: "Записался на сайте".into(),
            vehicles: Vec::new(),
        },
    )
    .await?;
    clients::attach_phone(tx, card.id, phone, PhoneSource::Typed).await?;
    let card = clients::get(tx, card.id).await?;
    Ok((card, true))
}

/// The car of the visit: one of the card's with this plate (or, without a plate, this make and
/// model), else a new one; none when nothing was typed.
async fn visit_car(work: &mut Work, card: i64, form: &BookingForm) -> Result<Option<i64>> {
    let car = NewVehicle {
        make: form.make.trim().to_string(),
        model: form.model.trim().to_string(),
        plate: Some(form.plate.trim().to_string()).filter(|p| !p.is_empty()),
        ..NewVehicle::default()
    };
    if car.make.is_empty() && car.model.is_empty() && car.plate.is_none() {
        return Ok(None);
    }
    let plate = car.plate.as_deref().map(clients::normalize_plate);
    let same = clients::cars::list(work.tx(), card)
        .await?
        .into_iter()
        .find(|v| match &plate {
            Some(plate) => v.plate.as_deref() == Some(plate.as_str()),
            None => {
                v.make.to_lowercase() == car.make.to_lowercase()
                    && v.model.to_lowercase() == car.model.to_lowercase()
            }
        });
    Ok(Some(match same {
        Some(vehicle) => vehicle.id,
        None => clients::cars::add_in(work, card, car).await?.id,
    }))
}

/// A link's token as typed in a URL or a form, trimmed; `NotFound` for one no link can have
/// (ours are 43 characters).
fn link_token(token: &str) -> Result<&str> {
    let token = token.trim();
    if token.is_empty() || token.len() > 100 {
        return Err(Error::NotFound);
    }
    Ok(token)
}

/// The visit behind a manage link; `NotFound` for an unknown or revoked token.
async fn linked_visit(tx: &mut Tx, token: &str) -> Result<Appointment> {
    let token = link_token(token)?;
    let id = sqlx::query_scalar!(
        "SELECT appointment_id FROM visit_links
         WHERE token_hash = sha256(convert_to($1, 'UTF8')) AND revoked_at IS NULL",
        token
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?;
    booking::get(tx, id).await
}

/// The visit of a manage link as the customer sees it; with `day`, that day's free times to
/// move it to.
pub async fn visit(db: &Db, slug: &str, token: &str, day: Option<&str>) -> Result<PublicVisit> {
    let tenant = tenant(db, slug).await?;
    let mut tx = db.tenant_read_tx(tenant).await?;
    let appointment = linked_visit(&mut tx, token).await?;
    let company = read_company(&mut tx, slug).await?;
    let shop = company
        .shops
        .iter()
        .find(|s| s.id == appointment.shop_id)
        .cloned()
        .ok_or(Error::NotFound)?;
    let changeable = Status::can_transition(appointment.status, Status::Cancelled)
        && appointment.start_time > Utc::now();
    let mut days = Vec::new();
    let mut times_of_day = Vec::new();
    let day = day.and_then(|d| d.parse::<NaiveDate>().ok());
    if changeable {
        // A work withdrawn since (or moved to another shop) cannot be booked again: then the
        // visit is shown with «Отменить» only, and moving is the shop's phone.
        let ids = &appointment.service_ids;
        match booking::free_days(&mut tx, shop.id, ids, DAYS_SHOWN).await {
            Ok(found) => days = found.into_iter().map(day_choice).collect(),
            Err(Error::Validation(_) | Error::Unprocessable(_)) => {}
            Err(e) => return Err(e),
        }
        if let (Some(day), false) = (day, days.is_empty()) {
            times_of_day = times(&mut tx, shop.id, day, ids).await?;
        }
    }
    Ok(PublicVisit {
        when: format!(
            "{}, {}",
            crate::format::day_label(appointment.start_time.date_naive()),
            appointment.start_time.format("%H:%M")
        ),
        services: appointment
            .services
            .iter()
            .map(|s| s.name.clone())
            .collect(),
        total: crate::format::rubles(appointment.total_price),
        status: status_text(appointment.status).into(),
        changeable,
        days,
        day: day.map(|d| d.to_string()),
        times: times_of_day,
        shop,
        company,
    })
}

fn status_text(status: Status) -> &'static str {
    match status {
        Status::New => "Ждёт подтверждения сервисом",
        Status::Confirmed => "Подтверждена",
        Status::InProgress => "Машина в работе",
        Status::Completed => "Выполнена",
        Status::Cancelled => "Отменена",
        Status::NoShow => "Неявка",
    }
}

/// Use case: the customer cancels their visit through its manage link (a visit that has not
/// started, as in the bot); `appointment.updated` once committed.
pub async fn cancel(state: &AppState, slug: &str, token: &str) -> Result<()> {
    change_linked(state, slug, token, VisitChange::Cancel).await
}

/// Use case: the customer moves their visit through its manage link to one of the offered free
/// start times; `appointment.updated` once committed.
pub async fn reschedule(state: &AppState, slug: &str, token: &str, start: &str) -> Result<()> {
    let start = DateTime::parse_from_rfc3339(start.trim())
        .map_err(|_| Error::validation("Выберите новое время"))?;
    change_linked(state, slug, token, VisitChange::MoveTo(start)).await
}

/// What a customer may do to their visit through its manage link.
enum VisitChange {
    Cancel,
    MoveTo(DateTime<chrono::FixedOffset>),
}

/// The customer's change to the visit behind a manage link, while it has not started, applied as
/// the customer's on the web; `appointment.updated` once committed.
async fn change_linked(state: &AppState, slug: &str, token: &str, what: VisitChange) -> Result<()> {
    let tenant = tenant(&state.db, slug).await?;
    let mut work = Work::begin(&state.db, tenant).await?;
    let page = settings(work.tx()).await?;
    let appointment = linked_visit(work.tx(), token).await?;
    if matches!(what, VisitChange::MoveTo(_)) && !page.booking {
        return Err(Error::Unprocessable(SWITCHED_OFF.into()));
    }
    if !Status::can_transition(appointment.status, Status::Cancelled)
        || appointment.start_time <= Utc::now()
    {
        return Err(Error::Unprocessable(
            "Эту запись уже нельзя изменить — позвоните в сервис".into(),
        ));
    }
    let change = match what {
        VisitChange::Cancel => booking::Change {
            status: Some(Status::Cancelled),
            reason: Some("Клиент отменил запись на сайте".into()),
            ..booking::Change::default()
        },
        VisitChange::MoveTo(start) => {
            offered(
                work.tx(),
                appointment.shop_id,
                &appointment.service_ids,
                start,
            )
            .await?;
            booking::Change {
                start_time: Some(start.with_timezone(&Utc)),
                ..booking::Change::default()
            }
        }
    };
    booking::change(
        work.tx(),
        tenant,
        appointment.id,
        change,
        None,
        Channel::Web,
    )
    .await?;
    let appointment = booking::get(work.tx(), appointment.id).await?;
    work.publish(Event::AppointmentUpdated(&appointment))?;
    work.commit(&state.events).await
}

/// The company's page as its admin sets it up (Settings → «Запись на сайте»).
pub async fn setup(tx: &mut Tx, config: &super::Config) -> Result<crate::model::PublicSetup> {
    let row = sqlx::query!(
        "SELECT slug, public_booking, public_max_future_visits, brand_color, logo_url FROM tenants"
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(crate::model::PublicSetup {
        address: format!("{}/b/{}", config.public_url.trim_end_matches('/'), row.slug),
        booking: row.public_booking,
        max_future_visits: row.public_max_future_visits,
        color: row.brand_color.unwrap_or_default(),
        logo: row.logo_url.unwrap_or_default(),
    })
}

/// Use case: an admin switches the page's booking on or off, caps the future visits per phone
/// (1 to 20) and sets the page's colour (`#1d4ed8`, or empty) and logo (`https://…`, or empty).
pub async fn change_setup(
    db: &Db,
    tenant: TenantId,
    booking: bool,
    max_future_visits: i32,
    color: &str,
    logo: &str,
) -> Result<()> {
    if !(1..=20).contains(&max_future_visits) {
        return Err(Error::validation(
            "Будущих записей на один телефон: от 1 до 20",
        ));
    }
    let color = color.trim().to_lowercase();
    let color_ok = color.len() == 7
        && color.starts_with('#')
        && color[1..].chars().all(|c| c.is_ascii_hexdigit());
    if !color.is_empty() && !color_ok {
        return Err(Error::validation(
            "Цвет страницы: шесть шестнадцатеричных цифр, например #1d4ed8",
        ));
    }
    let logo = logo.trim();
    if !logo.is_empty()
        && (!logo.starts_with("https://")
            || logo.len() > 500
            || logo
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '<'))
    {
        return Err(Error::validation(
            "Логотип: ссылка https://… на картинку, не длиннее 500 знаков",
        ));
    }
    let mut tx = db.tenant_tx(tenant).await?;
    sqlx::query!(
        "UPDATE tenants SET public_booking = $1, public_max_future_visits = $2,
                brand_color = NULLIF($3, ''), logo_url = NULLIF($4, ''), updated_at = now()",
        booking,
        max_future_visits,
        color,
        logo
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The page's address of `slug` as a QR code (SVG), for the printed card at the reception desk.
pub async fn qr_svg(db: &Db, config: &super::Config, slug: &str) -> Result<String> {
    let tenant = tenant(db, slug).await?;
    let mut tx = db.tenant_read_tx(tenant).await?;
    settings(&mut tx).await?;
    let address = setup(&mut tx, config).await?.address;
    let code = qrcode::QrCode::with_error_correction_level(address.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| Error::Internal(format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}
