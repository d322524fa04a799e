//! A real SMTP server for a test (aiosmtpd, `server/tests/fakes/smtp_sink.py`): letters to
//! `bounce…@` are refused for good, to `later…@` for now; every accepted letter is kept, decoded.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// The user the sender logged in as (AUTH), if it did.
    pub login: Option<String>,
    pub from: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
}

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub user: &'static str,
    pub password: &'static str,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    /// Starts the server; it asks for AUTH with [`Self::user`] and [`Self::password`].
    pub fn start() -> SmtpSink {
        let (user, password) = ("mailer", "mail-secret");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fakes/smtp_sink.py");
        let mut child = Command::new("python3")
            .args([script, "--user", user, "--password", password])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/test.sh installs it)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready = lines
            .next()
            .and_then(Result::ok)
            .expect("the SMTP sink did not start: is aiosmtpd installed?");
        let port = ready
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the SMTP sink: {ready:?}"));
        let mails = Arc::new(Mutex::new(Vec::new()));
        let sink = mails.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mail: Mail = serde_json::from_str(&line).expect("a letter as JSON");
                sink.lock().unwrap().push(mail);
            }
        });
        SmtpSink {
            child,
            port,
            user,
            password,
            mails,
        }
    }

    /// The variables that point the server at this sink (plain SMTP on loopback, with AUTH).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SMTP_HOST", "127.0.0.1".into()),
            ("SMTP_PORT", self.port.to_string()),
            ("SMTP_SECURITY", "none".into()),
            ("SMTP_USER", self.user.into()),
            ("SMTP_PASSWORD", self.password.into()),
            ("SMTP_FROM", "noreply@concierge.test".into()),
        ]
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Letters to `address` received so far.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.rcpt_tos.iter().any(|r| r.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits (up to 10 s) for the `n`-th letter to `address`, counting from 1.
    pub async fn wait_for(&self, address: &str, n: usize) -> Mail {
        for _ in 0..200 {
            if let Some(mail) = self.to(address).get(n - 1) {
                return mail.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no letter #{n} to {address}; received: {:#?}", self.mails());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
