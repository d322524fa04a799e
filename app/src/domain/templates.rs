//! The texts of the messages a company sends about visits: per event (booked, confirmed,
//! started, finished, cancelled, moved, reminder) a long text for Telegram and e-mail and a short
//! one for SMS, with placeholders filled from the visit. Good Russian defaults; a company changes
//! any of them in Settings (or `PUT /api/v1/tenant/templates/{event}`) and can go back to the
//! default. Stored in `tenants.notification_settings -> 'templates'`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    db::{Db, TenantId, Tx},
    Error, Result,
};

/// The events a client is told about, in the order Settings lists them.
pub const EVENTS: [&str; 7] = [
    "booked",
    "confirmed",
    "in_progress",
    "completed",
    "cancelled",
    "moved",
    "reminder",
];

/// The placeholders a template may use, with what each becomes.
pub const PLACEHOLDERS: [(&str, &str); 8] = [
    ("клиент", "имя клиента"),
    ("дата", "день визита, 28.11"),
    ("время", "время визита, 10:30"),
    ("сервис", "название точки"),
    ("адрес", "адрес точки"),
    ("работы", "работы по записи"),
    ("сумма", "сумма по записи"),
    ("ссылка", "ссылка на бота компании"),
];

/// The longest long text and short text, in characters.
pub const LONG_MAX: usize = 1000;
pub const SHORT_MAX: usize = 300;

/// What the placeholders of one message become.
#[derive(Clone, Debug, Default)]
pub struct Values {
    pub client: String,
    pub date: String,
    pub time: String,
    pub shop: String,
    pub address: String,
    pub services: String,
    pub total: String,
    pub link: String,
}

impl Values {
    /// The sample visit of the previews.
    pub fn sample() -> Values {
        Values {
            client: "Иван Петров".into(),
            date: "28.11".into(),
            time: "10:30".into(),
            shop: "Север на Ленина".into(),
            address: "ул. Ленина, 5".into(),
            services: "Замена масла, Диагностика подвески".into(),
            total: "4 300 ₽".into(),
            link: "https://t.me/sever_service_bot".into(),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "клиент" => &self.client,
            "дата" => &self.date,
            "время" => &self.time,
            "сервис" => &self.shop,
            "адрес" => &self.address,
            "работы" => &self.services,
            "сумма" => &self.total,
            "ссылка" => &self.link,
            _ => return None,
        })
    }
}

/// The built-in (long, short) texts of `event`.
pub fn default_texts(event: &str) -> (&'static str, &'static str) {
    match event {
        "booked" => (
            "Вы записаны на {дата} в {время}. Ждём вас: «{сервис}», {адрес}. Если планы изменятся, сообщите нам.",
            "Вы записаны на {дата} в {время}. {сервис}",
        ),
        "confirmed" => (
            "Ваша запись на {дата} в {время} подтверждена. Ждём вас: «{сервис}», {адрес}.",
            "Запись на {дата} в {время} подтверждена. {сервис}",
        ),
        "in_progress" => (
            "Мастер приступил к работе с вашей машиной (запись на {дата} в {время}). Сообщим, когда всё будет готово.",
            "Мастер приступил к работе (запись на {дата} в {время}). {сервис}",
        ),
        "completed" => (
            "Работы по записи на {дата} в {время} выполнены — машину можно забирать. Спасибо, что выбрали нас!",
            "Работы выполнены, машину можно забирать. {сервис}",
        ),
        "cancelled" => (
            "Ваша запись на {дата} в {время} отменена сервисом. Напишите нам, если хотите подобрать другое время.",
            "Запись на {дата} в {время} отменена сервисом. {сервис}",
        ),
        "moved" => (
            "Время вашей записи изменилось: ждём вас {дата} в {время}, «{сервис}», {адрес}. Если неудобно — напишите нам.",
            "Запись перенесена на {дата} в {время}. {сервис}",
        ),
        _ => (
            "Напоминаем: завтра, {дата} в {время}, ждём вас — «{сервис}», {адрес}. Если планы изменились, отмените или перенесите запись.",
            "Напоминаем: завтра, {дата} в {время}, ждём вас. {сервис}",
        ),
    }
}

/// The default reminder of the day itself (a reminder less than 20 hours before the visit);
/// a company's own reminder text serves both.
pub const REMINDER_SAME_DAY: (&str, &str) = (
    "Напоминаем: сегодня, {дата} в {время}, ждём вас — «{сервис}», {адрес}.",
    "Напоминаем: сегодня в {время} ждём вас. {сервис}",
);

/// The Russian name of an event, for staff.
pub fn event_label(event: &str) -> &'static str {
    match event {
        "booked" => "О записи",
        "confirmed" => "Подтверждение",
        "in_progress" => "Начало работ",
        "completed" => "Машина готова",
        "cancelled" => "Отмена записи",
        "moved" => "Перенос записи",
        "reminder" => "Напоминание",
        _ => "Сообщение",
    }
}

/// The placeholders `template` uses, or why it cannot be used: an unknown name, a brace left
/// open.
pub fn check(template: &str) -> Result<()> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(Error::validation(
                "В тексте есть «{» без «}»: плейсхолдер пишется как {дата}",
            ));
        };
        let name = &after[..close];
        if !PLACEHOLDERS.iter().any(|(known, _)| *known == name) {
            return Err(Error::validation(format!(
                "Неизвестный плейсхолдер {{{name}}}. Можно: {}",
                PLACEHOLDERS
                    .iter()
                    .map(|(p, _)| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// `template` with its placeholders filled. A placeholder with nothing to say (a shop without
/// an address) leaves no dangling comma behind.
pub fn render(template: &str, values: &Values) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((close, values.get(&after[..close])?)))
        {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace(", .", ".")
        .replace(", ,", ",")
        .trim()
        .to_string()
}

/// One event's texts as a company has them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EventTemplate {
    /// `booked`, `confirmed`, `in_progress`, `completed`, `cancelled`, `moved`, `reminder`.
    pub event: String,
    /// For Telegram and e-mail.
    pub long: String,
    /// For SMS.
    pub short: String,
    /// Whether the company changed the texts (else they are the defaults).
    pub custom: bool,
    /// `long` and `short` filled from a sample visit.
    pub preview: String,
    pub preview_sms: String,
    /// SMS the short text takes for the sample (70 Cyrillic characters a part, 67 when split).
    pub sms_parts: usize,
}

/// A change of one event's texts; `null` (or left out) puts that text back to the default.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    pub long: Option<String>,
    pub short: Option<String>,
}

/// The company's stored texts of `event`: `(long, short)`, each `None` when the default holds.
pub async fn stored(tx: &mut Tx, event: &str) -> Result<(Option<String>, Option<String>)> {
    let row = sqlx::query!(
        r#"SELECT notification_settings #>> ARRAY['templates', $1, 'long'] AS long,
                  notification_settings #>> ARRAY['templates', $1, 'short'] AS short
           FROM tenants"#,
        event
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| (r.long, r.short)).unwrap_or_default())
}

/// The (long, short) texts `event` goes out with in the company `tx` is scoped to.
pub async fn texts(tx: &mut Tx, event: &str) -> Result<(String, String)> {
    let (long, short) = stored(tx, event).await?;
    let (default_long, default_short) = default_texts(event);
    Ok((
        long.unwrap_or_else(|| default_long.into()),
        short.unwrap_or_else(|| default_short.into()),
    ))
}

/// Every event's texts.
pub async fn list(tx: &mut Tx) -> Result<Vec<EventTemplate>> {
    let mut all = Vec::with_capacity(EVENTS.len());
    for event in EVENTS {
        let (long, short) = stored(tx, event).await?;
        let custom = long.is_some() || short.is_some();
        let (default_long, default_short) = default_texts(event);
        let long = long.unwrap_or_else(|| default_long.into());
        let short = short.unwrap_or_else(|| default_short.into());
        let sample = Values::sample();
        let preview_sms = render(&short, &sample);
        all.push(EventTemplate {
            event: event.into(),
            preview: render(&long, &sample),
            sms_parts: super::sms::parts(&preview_sms),
            preview_sms,
            long,
            short,
            custom,
        });
    }
    Ok(all)
}

fn checked(text: Option<String>, max: usize, what: &str) -> Result<Option<String>> {
    let Some(text) = text.map(|t| t.trim().to_string()) else {
        return Ok(None);
    };
    if text.is_empty() {
        return Err(Error::validation(format!(
            "{what}: текст не может быть пустым (чтобы вернуть стандартный, нажмите «Вернуть стандартный»)"
        )));
    }
    if text.chars().count() > max {
        return Err(Error::validation(format!(
            "{what}: не длиннее {max} символов"
        )));
    }
    check(&text).map_err(|e| Error::validation(format!("{what}: {e}")))?;
    Ok(Some(text))
}

/// Use case: an admin changes one event's texts (Settings, REST); a text left out or `null`
/// goes back to the default. The next message of that event uses them; those queued keep theirs.
pub async fn change(
    db: &Db,
    tenant: TenantId,
    event: &str,
    patch: TemplatePatch,
) -> Result<EventTemplate> {
    if !EVENTS.contains(&event) {
        return Err(Error::NotFound);
    }
    let long = checked(patch.long, LONG_MAX, "Длинный текст")?;
    let short = checked(patch.short, SHORT_MAX, "Текст SMS")?;
    let mut entry = serde_json::Map::new();
    if let Some(long) = long {
        entry.insert("long".into(), long.into());
    }
    if let Some(short) = short {
        entry.insert("short".into(), short.into());
    }
    let mut tx = db.tenant_tx(tenant).await?;
    sqlx::query!(
        "UPDATE tenants SET notification_settings = jsonb_set(
             CASE WHEN jsonb_typeof(notification_settings -> 'templates') = 'object'
                  THEN notification_settings
                  ELSE jsonb_set(notification_settings, '{templates}', '{}') END,
             ARRAY['templates', $1::text], $2::jsonb),
             updated_at = now()",
        event,
        serde_json::Value::Object(entry)
    )
    .execute(&mut *tx)
    .await?;
    let template = list(&mut tx)
        .await?
        .into_iter()
        .find(|t| t.event == event)
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(template)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_render_with_every_placeholder_known() {
        for event in EVENTS {
            let (long, short) = default_texts(event);
            check(long).unwrap();
            check(REMINDER_SAME_DAY.0).unwrap();
            check(REMINDER_SAME_DAY.1).unwrap();
            check(short).unwrap();
            let text = render(long, &Values::sample());
            assert!(!text.contains('{'), "{event}: {text}");
            assert!(
                text.contains("28.11 в 10:30") || event == "completed" && text.contains("28.11"),
                "{text}"
            );
            assert!(super::super::sms::parts(&render(short, &Values::sample())) <= 2);
        }
    }

    #[test]
    fn unknown_placeholders_and_open_braces_are_refused() {
        assert!(check("Ждём вас {дата}").is_ok());
        let e = check("Привет, {имя}!").unwrap_err().to_string();
        assert!(e.contains("{имя}") && e.contains("{клиент}"), "{e}");
        assert!(check("Сумма {сумма").is_err());
    }

    #[test]
    fn an_empty_value_leaves_no_dangling_comma() {
        let values = Values {
            address: String::new(),
            ..Values::sample()
        };
        assert_eq!(
            render("Ждём вас: «{сервис}», {адрес}.", &values),
            "Ждём вас: «Север на Ленина»."
        );
        assert_eq!(render("{клиент}, {нет}", &values), "Иван Петров, {нет}");
    }
}
