//! The model the server and the browser share: what the pages receive is typed the same way the
//! domain decides it (behind `ssr`, the domain re-exports these).

use serde::{Deserialize, Serialize};

/// Where a visit is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Confirmed,
    InProgress,
    Completed,
    Cancelled,
    NoShow,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::New,
        Status::Confirmed,
        Status::InProgress,
        Status::Completed,
        Status::Cancelled,
        Status::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Confirmed => "confirmed",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
            Status::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// new → confirmed → in_progress → completed; a visit that has not started may be
    /// cancelled; a confirmed visit the client did not come to is a no-show. Nothing goes back
    /// (a cancelled visit is booked anew), and no status "changes" to itself.
    pub fn can_transition(from: Status, to: Status) -> bool {
        use Status::*;
        matches!(
            (from, to),
            (New, Confirmed)
                | (Confirmed, InProgress)
                | (InProgress, Completed)
                | (New | Confirmed, Cancelled)
                | (Confirmed, NoShow)
        )
    }

    /// Completed, cancelled and no-show visits are history: their time, bay and services stay.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Cancelled | Status::NoShow)
    }
}

impl Status {
    /// How staff read it.
    pub fn label(self) -> &'static str {
        match self {
            Status::New => "Новая",
            Status::Confirmed => "Подтверждена",
            Status::InProgress => "В работе",
            Status::Completed => "Выполнена",
            Status::Cancelled => "Отменена",
            Status::NoShow => "Не приехал",
        }
    }

    /// The button that moves a visit to this status, as a verb.
    pub fn action(self) -> &'static str {
        match self {
            Status::Confirmed => "Подтвердить",
            Status::InProgress => "Начать работу",
            Status::Completed => "Завершить",
            Status::NoShow => "Не приехал",
            Status::Cancelled => "Отменить",
            Status::New => "Сменить статус",
        }
    }

    /// Background, border and text colours of a status badge or calendar card.
    pub fn classes(self) -> &'static str {
        match self {
            Status::New => "bg-amber-50 border-amber-400 text-amber-900",
            Status::Confirmed => "bg-blue-50 border-blue-400 text-blue-900",
            Status::InProgress => "bg-violet-50 border-violet-400 text-violet-900",
            Status::Completed => "bg-emerald-50 border-emerald-400 text-emerald-900",
            Status::Cancelled => "bg-slate-100 border-slate-300 text-slate-500 line-through",
            Status::NoShow => "bg-rose-50 border-rose-300 text-rose-900",
        }
    }
}

/// Where a change came from. Appointments are booked through the first three; `System` is for
/// the history of changes the application makes by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Telegram,
    Web,
    Api,
    System,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Telegram,
        Channel::Web,
        Channel::Api,
        Channel::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Telegram => "telegram",
            Channel::Web => "web",
            Channel::Api => "api",
            Channel::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL
            .into_iter()
            .find(|channel| channel.as_str() == s)
    }

    /// How staff read it.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Telegram => "Telegram",
            // Staff in the web admin and car owners on the public page alike.
            Channel::Web => "Сайт и админка",
            Channel::Api => "API",
            Channel::System => "Система",
        }
    }
}

/// What a user may do: admins run the company (settings, catalogue, shops, staff), managers run
/// the day; the platform operator (`superadmin`) has no company of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Superadmin,
    Admin,
    Manager,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Superadmin, Role::Admin, Role::Manager];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Superadmin => "superadmin",
            Role::Admin => "admin",
            Role::Manager => "manager",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == s)
    }

    /// Settings, the catalogue, shops and staff are for admins (and the platform operator).
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin | Role::Superadmin)
    }

    /// How staff read it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Superadmin => "Оператор платформы",
            Role::Admin => "Администратор",
            Role::Manager => "Менеджер",
        }
    }
}

/// A role as the database stores it (`users.role` is checked by the schema).
impl TryFrom<String> for Role {
    type Error = String;

    fn try_from(text: String) -> Result<Role, String> {
        Role::parse(&text).ok_or_else(|| format!("unknown role {text:?}"))
    }
}

/// What a live event says happened: the `type` of `{"type", "data"}` on `/api/v1/events` (also
/// the SSE `event:` field) and on the WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    AppointmentCreated,
    AppointmentUpdated,
    ClientCreated,
    ClientUpdated,
    TenantTelegramUpdated,
    MessageReceived,
    ConversationUpdated,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AppointmentCreated => "appointment.created",
            EventKind::AppointmentUpdated => "appointment.updated",
            EventKind::ClientCreated => "client.created",
            EventKind::ClientUpdated => "client.updated",
            EventKind::TenantTelegramUpdated => "tenant.telegram_updated",
            EventKind::MessageReceived => "message.received",
            EventKind::ConversationUpdated => "conversation.updated",
        }
    }
}

/// Which engine answers a company's customers, as its admins see it. The key is never returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CompanyAi {
    /// `platform` (the server's own setting, the default), `rules` (the built-in rules only),
    /// `openai` (an OpenAI-compatible API) or `gigachat`.
    pub engine: String,
    /// The chat API's base (`/chat/completions` is appended); `openai` and `gigachat` only.
    pub base_url: Option<String>,
    pub model: Option<String>,
    /// The whole answer must arrive within this many seconds, or the rules answer.
    pub timeout_seconds: u32,
    /// Whether an API key (GigaChat: the authorization key) is stored.
    pub key_set: bool,
    /// GigaChat's scope: `GIGACHAT_API_PERS`, `GIGACHAT_API_B2B` or `GIGACHAT_API_CORP`.
    pub gigachat_scope: Option<String>,
    /// GigaChat's OAuth address.
    pub gigachat_auth_url: Option<String>,
    /// What `platform` means on this server, in Russian («встроенные правила», «GigaChat,
    /// модель GigaChat»…).
    pub platform: String,
}

/// A company's choice of engine. The key left out (or empty) keeps the stored one when the
/// engine stays the same.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompanyAiPatch {
    /// `platform`, `rules`, `openai` or `gigachat`.
    pub engine: String,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    /// The API key (`openai`; a local model may need none) or GigaChat's authorization key
    /// (base64 of `client_id:client_secret`). Stored encrypted, never returned.
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub gigachat_scope: Option<String>,
    #[serde(default)]
    pub gigachat_auth_url: Option<String>,
    /// 1–60; 15 when left out.
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
}

/// The customer message the check of a company's engine sends through the concierge.
pub const AI_SAMPLE_MESSAGE: &str = "Стучит спереди справа на кочках, можно завтра подъехать?";

/// What a check of the company's engine found on a sample message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AiCheck {
    /// The message checked.
    pub message: String,
    /// `llm`, `llm+rules` or `rules`: who answered.
    pub engine: String,
    pub latency_ms: u64,
    pub intent: String,
    /// The likely causes it named.
    pub diagnoses: Vec<String>,
    /// The first suggested services of the company's catalogue.
    pub services: Vec<String>,
    /// Why the company's LLM did not answer (the rules did instead); never holds a key.
    pub llm_failure: Option<String>,
}

/// The reports of the Reports page and `GET /api/v1/reports/{name}`: `(name, title)`.
pub const REPORTS: [(&str, &str); 6] = [
    ("revenue", "Выручка"),
    ("load", "Загрузка постов"),
    ("funnel", "Воронка консьержа"),
    ("no_shows", "Неявки и отмены"),
    ("services", "Услуги"),
    ("sources", "Источники записей"),
];

/// One report: its tables, each with the chart that draws it. The same data gives the JSON of
/// the API, the CSV export and the page's charts and table views.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Report {
    /// `revenue`, `load`, `funnel`, `no_shows`, `services` or `sources`.
    pub name: String,
    pub title: String,
    /// The period's first and last day (inclusive), `YYYY-MM-DD`, in each shop's own time zone.
    pub from: String,
    pub to: String,
    pub shop_id: Option<i64>,
    /// `day`, `week` or `month`: how time series are grouped.
    pub group: String,
    pub tables: Vec<ReportTable>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReportTable {
    /// A short Latin key (`by_period`, `by_category`…), stable for API clients and CSV names.
    pub key: String,
    pub title: String,
    pub columns: Vec<ReportColumn>,
    /// One value per column: a string, a whole number, or a number with a fraction (money in
    /// rubles, shares in `0..=1`).
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Vec<Object>>))]
    pub rows: Vec<Vec<serde_json::Value>>,
    /// How the page draws it: `bars` (the first column along, the `series` columns as bars),
    /// `heat` (rows × the `series` columns, shares as shades) or `none`.
    pub chart: String,
    /// Indexes of the columns the chart draws.
    pub series: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReportColumn {
    pub key: String,
    pub title: String,
    /// `text`, `int`, `money` (rubles) or `share` (`0..=1`, shown as percent).
    pub kind: String,
}

// --- The public page of a company (`/b/{slug}`, `pages::public`, `domain::public`) ---

/// What the public page shows of a company.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicCompany {
    pub name: String,
    pub slug: String,
    pub shops: Vec<PublicShop>,
    /// Sections of the catalogue, in order: (section, its services).
    pub sections: Vec<(String, Vec<PublicService>)>,
    /// The company's bot (`@…` without the @), when one is connected.
    pub bot: Option<String>,
    /// Whether car owners may book on the page (the company can switch it off).
    pub booking: bool,
    /// The company's colour (`#1d4ed8`) for the page's buttons and heading, if set.
    pub color: Option<String>,
    /// The company's logo (an `https://` address), if set.
    pub logo: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicShop {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub phone: String,
    /// («Пн», «09:00–20:00» or «выходной») for each day of the week.
    pub hours: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicService {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// «1 500 ₽».
    pub price: String,
    pub minutes: i32,
}

/// What a car owner chose so far on the booking page (`/b/{slug}/book?…`), read from its query:
/// the words (`q`), the services (`s`, repeated or comma-separated), the shop, the day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BookingQuery {
    pub q: String,
    pub services: Vec<i64>,
    pub shop: Option<i64>,
    /// `2026-12-24`.
    pub day: Option<String>,
}

impl BookingQuery {
    /// The query string of these choices (without the `?`), for the links of the next steps.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if !self.q.is_empty() {
            parts.push(format!("q={}", encode_query(&self.q)));
        }
        if !self.services.is_empty() {
            let ids: Vec<String> = self.services.iter().map(i64::to_string).collect();
            parts.push(format!("s={}", ids.join(",")));
        }
        if let Some(shop) = self.shop {
            parts.push(format!("shop={shop}"));
        }
        if let Some(day) = &self.day {
            parts.push(format!("day={}", encode_query(day)));
        }
        parts.join("&")
    }

    /// These choices with `change` applied, as a query string.
    pub fn with(&self, change: impl FnOnce(&mut BookingQuery)) -> String {
        let mut next = self.clone();
        change(&mut next);
        next.to_query()
    }
}

/// `text` for a URL's query: everything but unreserved ASCII percent-encoded as UTF-8.
pub fn encode_query(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// One step of booking on the public page: what the choices so far lead to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicBooking {
    pub company: PublicCompany,
    pub query: BookingQuery,
    /// The concierge's answer to the customer's words, while no service is chosen.
    pub findings: Option<PublicFindings>,
    /// The services chosen, with their total («4 500 ₽») and length in minutes.
    pub chosen: Vec<PublicService>,
    pub total: String,
    pub minutes: i32,
    /// The shops that offer every chosen service, and the one chosen.
    pub shops: Vec<PublicShop>,
    pub shop: Option<PublicShop>,
    /// Days with free time at the chosen shop: (label «пт 28.11», `2026-11-28`).
    pub days: Vec<(String, String)>,
    /// Free start times of the chosen day: («10:30», RFC 3339 start). Never who holds the rest.
    pub times: Vec<(String, String)>,
    /// Why the next step cannot be taken («Эти работы делают в разных сервисах…»), if so.
    pub notice: Option<String>,
}

/// The concierge's answer on the public page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicFindings {
    pub causes: Vec<String>,
    pub services: Vec<PublicService>,
    /// Jobs the company does not take that the words asked for.
    pub declined: Vec<String>,
}

/// A visit as its manage link (`/b/{slug}/v/{token}`) shows it to the customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicVisit {
    pub company: PublicCompany,
    pub shop: PublicShop,
    /// «пт 28.11.2026, 10:30».
    pub when: String,
    pub services: Vec<String>,
    pub total: String,
    /// «Ждёт подтверждения», «Подтверждена», «Отменена»…
    pub status: String,
    /// Not started yet: it may be cancelled or moved.
    pub changeable: bool,
    /// When moving: days with free time for the visit's services, and the chosen day's times.
    pub days: Vec<(String, String)>,
    pub day: Option<String>,
    pub times: Vec<(String, String)>,
}

/// The company's public page as Settings shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicSetup {
    /// `https://…/b/{slug}`: the page's address.
    pub address: String,
    pub booking: bool,
    pub max_future_visits: i32,
    /// `#1d4ed8`, or empty.
    pub color: String,
    /// `https://…`, or empty.
    pub logo: String,
}
