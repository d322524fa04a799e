//! SMS through the company's own provider account: SMS.ru's HTTP API (the usual choice of
//! Russian shops; the company enters its `api_id` and an approved sender name) or any provider
//! behind a JSON webhook (URL and bearer key). The key is stored encrypted (`ENCRYPTION_KEY`),
//! like bot tokens, and never shown again.

use std::time::Duration;

use serde::Deserialize;

use super::telegram::SendError;

/// A company's SMS account, decrypted for one send.
#[derive(Clone, PartialEq, Eq)]
pub enum Provider {
    /// SMS.ru: `POST {base}/sms/send` with `api_id`, `to`, `msg`, `from`, `json=1`.
    SmsRu { api_id: String },
    /// A generic provider: `POST url` with `{"to", "text", "sender"}` and `Authorization: Bearer key`.
    Webhook { url: String, key: String },
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Provider::SmsRu { .. } => f.write_str("SmsRu(***)"),
            Provider::Webhook { url, .. } => write!(f, "Webhook({url}, ***)"),
        }
    }
}

/// `sms_provider` values in the database and the API.
pub const SMSRU: &str = "smsru";
pub const WEBHOOK: &str = "webhook";

/// Characters in one SMS: 70 in Cyrillic (UCS-2), 160 in Latin (GSM-7); a longer text is sent
/// in parts of 67 or 153.
pub fn parts(text: &str) -> usize {
    let len = text.chars().count();
    let gsm = text.chars().all(|c| c.is_ascii() && c != '`');
    let (single, part) = if gsm { (160, 153) } else { (70, 67) };
    if len <= single {
        1
    } else {
        len.div_ceil(part)
    }
}

#[derive(Deserialize)]
struct SmsRuAnswer {
    status: String,
    #[serde(default)]
    status_code: i64,
    #[serde(default)]
    status_text: Option<String>,
    #[serde(default)]
    sms: Option<std::collections::HashMap<String, SmsRuNumber>>,
}

#[derive(Deserialize)]
struct SmsRuNumber {
    status: String,
    #[serde(default)]
    status_code: i64,
    #[serde(default)]
    status_text: Option<String>,
}

/// Sends `text` to `phone` (E.164). `smsru_base` is SMS.ru's address (`SMSRU_API_URL`, for
/// tests). A refusal that another attempt will not change (an invalid number, no money on the
/// account, a wrong key) is [`SendError::Permanent`], so the message falls through to the
/// client's next channel; an outage is [`SendError::Temporary`].
pub async fn send(
    http: &reqwest::Client,
    smsru_base: &str,
    provider: &Provider,
    sender: Option<&str>,
    phone: &str,
    text: &str,
) -> Result<(), SendError> {
    let temporary = |message: String| SendError::Temporary {
        message,
        retry_after: None,
    };
    match provider {
        Provider::SmsRu { api_id } => {
            let to = phone.trim_start_matches('+');
            let mut form = vec![
                ("api_id", api_id.as_str()),
                ("to", to),
                ("msg", text),
                ("json", "1"),
            ];
            if let Some(sender) = sender.filter(|s| !s.is_empty()) {
                form.push(("from", sender));
            }
            let response = http
                .post(format!("{}/sms/send", smsru_base.trim_end_matches('/')))
                .timeout(Duration::from_secs(20))
                .form(&form)
                .send()
                .await
                .map_err(|e| temporary(format!("SMS.ru не отвечает: {e}")))?;
            if response.status().is_server_error() {
                return Err(temporary(format!("SMS.ru: HTTP {}", response.status())));
            }
            let answer: SmsRuAnswer = response
                .json()
                .await
                .map_err(|e| temporary(format!("SMS.ru: непонятный ответ ({e})")))?;
            if answer.status != "OK" {
                return Err(smsru_refusal(answer.status_code, answer.status_text));
            }
            match answer.sms.as_ref().and_then(|numbers| numbers.get(to)) {
                Some(number) if number.status == "OK" => Ok(()),
                Some(number) => Err(smsru_refusal(
                    number.status_code,
                    number.status_text.clone(),
                )),
                None => Err(temporary("SMS.ru: в ответе нет этого номера".into())),
            }
        }
        Provider::Webhook { url, key } => {
            let response = http
                .post(url)
                .timeout(Duration::from_secs(20))
                .bearer_auth(key)
                .json(&serde_json::json!({ "to": phone, "text": text, "sender": sender }))
                .send()
                .await
                .map_err(|e| temporary(format!("SMS-шлюз не отвечает: {e}")))?;
            let status = response.status();
            if status.is_success() {
                Ok(())
            } else if status.is_server_error() || status.as_u16() == 429 {
                Err(temporary(format!("SMS-шлюз: HTTP {status}")))
            } else {
                let body = response.text().await.unwrap_or_default();
                let excerpt: String = body.chars().take(200).collect();
                Err(SendError::Permanent(format!(
                    "SMS-шлюз отказал: HTTP {status} {excerpt}"
                )))
            }
        }
    }
}

/// SMS.ru's codes (https://sms.ru/api/send): 100 is success; 220 and 500 are its own outages;
/// the rest (a wrong number 202, a number it may not send to 207, no money 201, a wrong api_id
/// 200, an unapproved sender 204…) will not change by trying again.
fn smsru_refusal(code: i64, text: Option<String>) -> SendError {
    let why = match (code, text) {
        (_, Some(text)) if !text.is_empty() => format!("SMS.ru {code}: {text}"),
        (200, _) => "SMS.ru 200: неправильный api_id".into(),
        (201, _) => "SMS.ru 201: не хватает средств на счёте".into(),
        (202, _) => "SMS.ru 202: неправильный номер получателя".into(),
        (code, _) => format!("SMS.ru {code}"),
    };
    if matches!(code, 220 | 500) {
        SendError::Temporary {
            message: why,
            retry_after: None,
        }
    } else {
        SendError::Permanent(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_count_cyrillic_and_latin() {
        assert_eq!(parts("Привет"), 1);
        assert_eq!(parts(&"я".repeat(70)), 1);
        assert_eq!(parts(&"я".repeat(71)), 2);
        assert_eq!(parts(&"a".repeat(160)), 1);
        assert_eq!(parts(&"a".repeat(161)), 2);
    }

    #[test]
    fn outages_are_temporary_and_refusals_permanent() {
        assert!(matches!(
            smsru_refusal(500, None),
            SendError::Temporary { .. }
        ));
        assert!(matches!(smsru_refusal(202, None), SendError::Permanent(m) if m.contains("номер")));
        assert!(matches!(smsru_refusal(201, None), SendError::Permanent(_)));
    }

    #[test]
    fn keys_are_not_printed() {
        let p = Provider::SmsRu {
            api_id: "secret-id".into(),
        };
        assert!(!format!("{p:?}").contains("secret-id"));
    }
}
