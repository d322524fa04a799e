//! The configuration read from the environment: defaults, v1's variables, refusals.

use super::*;

const FERNET: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ac-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn production_requires_a_long_secret_key() {
    let err = Config::from_vars(&vars(&[
        ("ENVIRONMENT", "production"),
        ("ENCRYPTION_KEY", FERNET),
    ]))
    .unwrap_err()
    .to_string();
    assert!(err.contains("SECRET_KEY is not set"), "{err}");
    assert!(err.contains("openssl rand"), "{err}");

    let err = Config::from_vars(&vars(&[
        ("ENVIRONMENT", "production"),
        ("SECRET_KEY", "short"),
        ("ENCRYPTION_KEY", FERNET),
    ]))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("SECRET_KEY is too short (5 characters"),
        "{err}"
    );
}

#[test]
fn production_refuses_a_short_metrics_token() {
    let secret = "x".repeat(32);
    let with_token = |token: &str| {
        Config::from_vars(&vars(&[
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", &secret),
            ("ENCRYPTION_KEY", FERNET),
            ("METRICS_TOKEN", token),
        ]))
    };
    let err = with_token("short").unwrap_err().to_string();
    assert!(err.contains("METRICS_TOKEN"), "{err}");
    let ok = with_token(&"m".repeat(24)).unwrap();
    assert_eq!(ok.metrics_token.unwrap().expose(), "m".repeat(24));
    assert!(with_token("").unwrap().metrics_token.is_none());
}

#[test]
fn production_requires_a_fernet_encryption_key() {
    let secret = "x".repeat(32);
    for bad in ["", "not-base64!", "c2hvcnQ=", &URL_SAFE.encode([0u8; 31])] {
        let err = Config::from_vars(&vars(&[
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", &secret),
            ("ENCRYPTION_KEY", bad),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("ENCRYPTION_KEY"), "{bad:?}: {err}");
    }
    let ok = Config::from_vars(&vars(&[
        ("ENVIRONMENT", "production"),
        ("SECRET_KEY", &secret),
        ("ENCRYPTION_KEY", FERNET),
    ]))
    .unwrap();
    assert!(ok.is_production());
    assert_eq!(ok.secret_key.expose(), secret);
}

#[test]
fn demo_data_is_loaded_by_itself_only_into_the_local_cluster() {
    let dir = temp_dir("demo-seeding");
    let data_dir = dir.to_str().unwrap();
    let local = Config::from_vars(&vars(&[("AC_DATA_DIR", data_dir)])).unwrap();
    assert!(local.seeds_demo_automatically());
    // ENVIRONMENT unset, but the database is somebody's: no demo accounts by themselves.
    let external = Config::from_vars(&vars(&[
        ("AC_DATA_DIR", data_dir),
        ("DATABASE_URL", "postgres://x@db/prod"),
    ]))
    .unwrap();
    assert!(!external.seeds_demo_automatically());
}

#[test]
fn unknown_environment_is_strict() {
    let err = Config::from_vars(&vars(&[("ENVIRONMENT", "staging")])).unwrap_err();
    assert!(err.to_string().contains("SECRET_KEY"));
}

#[test]
fn development_generates_keys_once_and_keeps_them() {
    let dir = temp_dir("dev-keys");
    let v = vars(&[("AC_DATA_DIR", dir.to_str().unwrap())]);
    let first = Config::from_vars(&v).unwrap();
    assert!(!first.is_production());
    assert!(first.secret_key.expose().len() >= MIN_SECRET_KEY_LEN);
    assert!(is_fernet_key(first.encryption_key.expose()));
    let second = Config::from_vars(&v).unwrap();
    assert_eq!(first.secret_key, second.secret_key);
    assert_eq!(first.encryption_key, second.encryption_key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("secret_key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "key file must be private");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn v1_variable_names_build_urls_and_explicit_urls_win() {
    let dir = temp_dir("v1-names");
    let d = dir.to_str().unwrap();
    let c = Config::from_vars(&vars(&[
        ("AC_DATA_DIR", d),
        ("POSTGRES_SERVER", "db"),
        ("POSTGRES_USER", "svc"),
        ("POSTGRES_PASSWORD", "p@ss word"),
        ("POSTGRES_DB", "autoservice"),
        ("REDIS_HOST", "redis"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "60"),
        ("SECRET_KEY", "s"),
    ]))
    .unwrap();
    assert_eq!(
        c.database_url.unwrap().expose(),
        "postgres://svc:p%40ss%20word@db:5432/autoservice"
    );
    assert_eq!(c.redis_url.unwrap().expose(), "redis://redis:6379");
    assert_eq!(c.access_token_expire_minutes, 60);

    let c = Config::from_vars(&vars(&[
        ("AC_DATA_DIR", d),
        ("POSTGRES_SERVER", "db"),
        ("DATABASE_URL", "postgres://x@h/y"),
        ("REDIS_HOST", "redis"),
        ("REDIS_URL", "redis://other:1"),
    ]))
    .unwrap();
    assert_eq!(c.database_url.unwrap().expose(), "postgres://x@h/y");
    assert_eq!(c.redis_url.unwrap().expose(), "redis://other:1");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn telegram_mode() {
    let base = [
        ("SECRET_KEY", "k"),
        ("ENVIRONMENT", "development"),
        (
            "ENCRYPTION_KEY",
            "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=",
        ),
    ];
    let with = |extra: &[(&str, &str)]| {
        let mut all = base.to_vec();
        all.extend_from_slice(extra);
        Config::from_vars(&vars(&all))
    };
    assert_eq!(with(&[]).unwrap().telegram_webhook_base_url, None);
    assert_eq!(
        with(&[("TELEGRAM_MODE", "polling")])
            .unwrap()
            .telegram_webhook_base_url,
        None
    );
    assert_eq!(
        with(&[
            ("TELEGRAM_MODE", "webhook"),
            ("TELEGRAM_WEBHOOK_BASE_URL", "https://example.ru/concierge/")
        ])
        .unwrap()
        .telegram_webhook_base_url
        .as_deref(),
        Some("https://example.ru/concierge")
    );
    assert!(with(&[("TELEGRAM_MODE", "webhook")]).is_err());
    assert!(with(&[("TELEGRAM_MODE", "push")]).is_err());
    assert!(with(&[
        ("TELEGRAM_MODE", "webhook"),
        ("TELEGRAM_WEBHOOK_BASE_URL", "example.ru")
    ])
    .is_err());
}

#[test]
fn ai_settings() {
    let dir = temp_dir("ai");
    let d = dir.to_str().unwrap();
    assert!(Config::from_vars(&vars(&[("AC_DATA_DIR", d)]))
        .unwrap()
        .ai
        .is_none());

    let ai = Config::from_vars(&vars(&[
        ("AC_DATA_DIR", d),
        ("AI_PROVIDER", "openai"),
        ("AI_BASE_URL", "http://127.0.0.1:8080/v1/"),
    ]))
    .unwrap()
    .ai
    .unwrap();
    assert_eq!(ai.provider, AiProvider::OpenAi);
    assert_eq!(ai.base_url, "http://127.0.0.1:8080/v1");
    assert_eq!(ai.timeout, std::time::Duration::from_secs(15));
    assert!(ai.gigachat.is_none() && ai.api_key.is_none());

    let ai = Config::from_vars(&vars(&[
        ("AC_DATA_DIR", d),
        ("AI_PROVIDER", "GigaChat"),
        ("GIGACHAT_CLIENT_ID", "id"),
        ("GIGACHAT_CLIENT_SECRET", "secret"),
        ("AI_TIMEOUT_SECONDS", "3"),
    ]))
    .unwrap()
    .ai
    .unwrap();
    let auth = ai.gigachat.unwrap();
    assert_eq!(auth.credentials.expose(), "aWQ6c2VjcmV0");
    assert_eq!(auth.scope, "GIGACHAT_API_PERS");
    assert_eq!(
        auth.auth_url,
        "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
    );
    assert_eq!(ai.base_url, "https://gigachat.devices.sberbank.ru/api/v1");
    assert_eq!(ai.timeout, std::time::Duration::from_secs(3));

    // v1's .env had no AI_PROVIDER: its GigaChat credentials alone meant GigaChat.
    let ai = Config::from_vars(&vars(&[
        ("AC_DATA_DIR", d),
        ("GIGACHAT_CLIENT_ID", "id"),
        ("GIGACHAT_CLIENT_SECRET", "secret"),
    ]))
    .unwrap()
    .ai
    .expect("GigaChat from v1's credentials");
    assert_eq!(ai.provider, AiProvider::GigaChat);
    assert_eq!(ai.gigachat.unwrap().credentials.expose(), "aWQ6c2VjcmV0");
    // One half of them is not a configuration: the rules answer, as before.
    assert!(
        Config::from_vars(&vars(&[("AC_DATA_DIR", d), ("GIGACHAT_CLIENT_ID", "id")]))
            .unwrap()
            .ai
            .is_none()
    );

    for bad in [
        vec![("AI_PROVIDER", "yandex")],
        vec![("AI_PROVIDER", "gigachat")],
        vec![("AI_PROVIDER", "openai"), ("AI_TIMEOUT_SECONDS", "0")],
    ] {
        let mut v = vars(&bad);
        v.insert("AC_DATA_DIR".into(), d.into());
        assert!(Config::from_vars(&v).is_err(), "{bad:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn public_path_prefix_is_normalised() {
    for (given, expected) in [
        (None, ""),
        (Some("/"), ""),
        (Some("/concierge"), "/concierge"),
        (Some("concierge/"), "/concierge"),
        (Some("/concierge/"), "/concierge"),
        (Some("/apps/concierge-v2"), "/apps/concierge-v2"),
    ] {
        assert_eq!(public_path_prefix(given).unwrap(), expected, "{given:?}");
    }
    for bad in [
        "/a b",
        "/con\"cierge",
        "/a//b",
        "/../x",
        "/x?y=1",
        "/<script>",
    ] {
        assert!(public_path_prefix(Some(bad)).is_err(), "{bad:?}");
    }
}

#[test]
fn bad_expiry_is_refused_and_secrets_are_not_printed() {
    let dir = temp_dir("expiry");
    let d = dir.to_str().unwrap();
    let err = Config::from_vars(&vars(&[
        ("AC_DATA_DIR", d),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "soon"),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("ACCESS_TOKEN_EXPIRE_MINUTES"));
    let c = Config::from_vars(&vars(&[
        ("AC_DATA_DIR", d),
        ("SECRET_KEY", "super-secret-value"),
    ]))
    .unwrap();
    assert!(!format!("{c:?}").contains("super-secret-value"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pool_size_defaults_and_is_checked() {
    let dir = temp_dir("pool");
    let d = dir.to_str().unwrap();
    let c = Config::from_vars(&vars(&[("AC_DATA_DIR", d)])).unwrap();
    assert_eq!(c.database_pool_size, 10);
    let c = Config::from_vars(&vars(&[("AC_DATA_DIR", d), ("DATABASE_POOL_SIZE", "4")])).unwrap();
    assert_eq!(c.database_pool_size, 4);
    for bad in ["0", "many", "-3", "100000"] {
        let err = Config::from_vars(&vars(&[("AC_DATA_DIR", d), ("DATABASE_POOL_SIZE", bad)]))
            .unwrap_err();
        assert!(err.to_string().contains("DATABASE_POOL_SIZE"), "{bad}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
