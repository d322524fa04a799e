//! E-mail: the platform's SMTP server (from the environment, `SMTP_*`), through which every
//! company's letters go out with the company's name as the sender and its own address as
//! Reply-To. A letter has a plain-text part and a simple HTML part made from it.
//!
//! With no `SMTP_HOST` there is no mailer: what needs a letter says so (registration in
//! production is closed, client messages fall through to the next channel).

use std::time::Duration;

use lettre::{
    message::{Mailbox, MultiPart},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use super::config::{ConfigError, Secret};

/// How the connection to the SMTP server is protected (`SMTP_SECURITY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which is required (port 587, the default).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine or a private network (port 25).
    None,
}

#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The envelope sender and the address in `From` (`SMTP_FROM`, e.g. `noreply@example.ru`).
    pub from: String,
}

impl SmtpConfig {
    /// `SMTP_HOST` unset: `None`. Everything given must make sense, so that a typo is found at
    /// start and not when the first customer waits for a letter.
    pub fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let Some(host) = get("SMTP_HOST") else {
            return Ok(None);
        };
        let security = match get("SMTP_SECURITY")
            .map(|s| s.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("starttls") => Security::StartTls,
            Some("tls") | Some("ssl") => Security::Tls,
            Some("none") | Some("plain") => Security::None,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "SMTP_SECURITY must be starttls, tls or none, got {other:?}"
                )))
            }
        };
        let default_port = match security {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        };
        let port = match get("SMTP_PORT") {
            None => default_port,
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                ConfigError::Invalid(format!("SMTP_PORT must be a port number, got {p:?}"))
            })?,
        };
        let from = get("SMTP_FROM").ok_or_else(|| {
            ConfigError::Invalid(
                "SMTP_HOST needs SMTP_FROM, the address letters are sent from (e.g. noreply@example.ru)"
                    .into(),
            )
        })?;
        if from.parse::<lettre::Address>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "SMTP_FROM must be an e-mail address, got {from:?}"
            )));
        }
        let username = get("SMTP_USER");
        let password = get("SMTP_PASSWORD").map(Secret::new);
        if username.is_some() != password.is_some() {
            return Err(ConfigError::Invalid(
                "SMTP_USER and SMTP_PASSWORD go together".into(),
            ));
        }
        Ok(Some(SmtpConfig {
            host,
            port,
            security,
            username,
            password,
            from,
        }))
    }
}

/// One letter to one person.
#[derive(Clone, Debug)]
pub struct Letter<'a> {
    pub to: &'a str,
    /// Shown as the sender's name (the company's, or the platform's).
    pub from_name: &'a str,
    /// Where answers go (the company's own address), if any.
    pub reply_to: Option<&'a str>,
    pub subject: &'a str,
    /// The text; paragraphs separated by empty lines. The HTML part is made from it.
    pub text: &'a str,
}

/// Why a letter did not go out.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MailError {
    /// The address or the letter is refused for good (5xx: no such mailbox, a malformed
    /// address): trying again will not help.
    #[error("{0}")]
    Permanent(String),
    /// The server is unreachable or asked to try later (4xx): worth another attempt.
    #[error("{0}")]
    Temporary(String),
}

/// Sends letters through the platform's SMTP server; cheap to clone (one connection pool).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, MailError> {
        let tls = || {
            TlsParameters::new(config.host.clone())
                .map_err(|e| MailError::Permanent(format!("SMTP TLS: {e}")))
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str())
                .port(config.port)
                .timeout(Some(Duration::from_secs(20)));
        builder = match config.security {
            Security::StartTls => builder.tls(Tls::Required(tls()?)),
            Security::Tls => builder.tls(Tls::Wrapper(tls()?)),
            Security::None => builder.tls(Tls::None),
        };
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        Ok(Mailer {
            transport: builder.build(),
            from: config.from.clone(),
        })
    }

    pub async fn send(&self, letter: &Letter<'_>) -> Result<(), MailError> {
        let message = compose(&self.from, letter)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                MailError::Permanent(format!("SMTP refused the letter: {e}"))
            } else {
                MailError::Temporary(format!("SMTP: {e}"))
            }
        })
    }
}

/// Whether `address` can receive letters at all (the shape the SMTP envelope needs).
pub fn is_address(address: &str) -> bool {
    address.trim().parse::<lettre::Address>().is_ok()
}

fn compose(from: &str, letter: &Letter<'_>) -> Result<Message, MailError> {
    let mailbox = |name: Option<&str>, address: &str| -> Result<Mailbox, MailError> {
        let address = address
            .trim()
            .parse::<lettre::Address>()
            .map_err(|e| MailError::Permanent(format!("not an e-mail address {address:?}: {e}")))?;
        Ok(Mailbox::new(name.map(str::to_string), address))
    };
    let mut builder = Message::builder()
        .from(mailbox(Some(letter.from_name), from)?)
        .to(mailbox(None, letter.to)?)
        .subject(letter.subject);
    if let Some(reply_to) = letter.reply_to.filter(|r| !r.trim().is_empty()) {
        // A company's address that cannot be parsed is left out rather than losing the letter.
        if let Ok(reply_to) = mailbox(Some(letter.from_name), reply_to) {
            builder = builder.reply_to(reply_to);
        }
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            letter.text.to_string(),
            html(letter.subject, letter.text),
        ))
        .map_err(|e| MailError::Permanent(format!("letter: {e}")))
}

/// The HTML part: the text's paragraphs, escaped, links made clickable.
pub fn html(subject: &str, text: &str) -> String {
    let paragraphs: String = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(linkify).collect();
            format!("<p style=\"margin:0 0 14px\">{}</p>", lines.join("<br>"))
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:Arial,sans-serif;font-size:15px;line-height:1.5;color:#1e293b\">\
         <div style=\"max-width:560px;margin:0 auto;padding:16px\">{paragraphs}</div></body></html>",
        escape(subject)
    )
}

fn linkify(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            if word.starts_with("https://") || word.starts_with("http://") {
                let url = escape(word);
                format!("<a href=\"{url}\">{url}</a>")
            } else {
                escape(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn smtp_settings_are_read_whole_or_refused() {
        assert!(SmtpConfig::from_vars(&vars(&[])).unwrap().is_none());
        let config = SmtpConfig::from_vars(&vars(&[
            ("SMTP_HOST", "smtp.example.ru"),
            ("SMTP_FROM", "noreply@example.ru"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((config.port, config.security), (587, Security::StartTls));
        let tls = SmtpConfig::from_vars(&vars(&[
            ("SMTP_HOST", "smtp.example.ru"),
            ("SMTP_FROM", "noreply@example.ru"),
            ("SMTP_SECURITY", "TLS"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(tls.port, 465);
        for bad in [
            vec![("SMTP_HOST", "h")],
            vec![("SMTP_HOST", "h"), ("SMTP_FROM", "not an address")],
            vec![
                ("SMTP_HOST", "h"),
                ("SMTP_FROM", "a@b.ru"),
                ("SMTP_PORT", "0"),
            ],
            vec![
                ("SMTP_HOST", "h"),
                ("SMTP_FROM", "a@b.ru"),
                ("SMTP_SECURITY", "maybe"),
            ],
            vec![
                ("SMTP_HOST", "h"),
                ("SMTP_FROM", "a@b.ru"),
                ("SMTP_USER", "u"),
            ],
        ] {
            assert!(SmtpConfig::from_vars(&vars(&bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_html_part_escapes_the_text_and_links_urls() {
        let html = html(
            "Тема <1>",
            "Здравствуйте, <b>Иван</b>!\n\nСсылка: https://x.ru/a?b=1&c=2",
        );
        assert!(html.contains("&lt;b&gt;Иван&lt;/b&gt;"), "{html}");
        assert!(
            html.contains("<a href=\"https://x.ru/a?b=1&amp;c=2\">"),
            "{html}"
        );
        assert!(html.contains("<title>Тема &lt;1&gt;</title>"), "{html}");
    }

    #[test]
    fn a_malformed_recipient_is_a_permanent_refusal() {
        let letter = Letter {
            to: "nobody",
            from_name: "Сервис",
            reply_to: None,
            subject: "s",
            text: "t",
        };
        assert!(matches!(
            compose("noreply@example.ru", &letter),
            Err(MailError::Permanent(_))
        ));
    }
}
