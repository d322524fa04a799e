//! Secrets at rest (bot tokens, webhook keys): Fernet with `ENCRYPTION_KEY`, as in v1, so that
//! tokens v1 stored can still be read.

use super::{Config, Error, Result};

/// An unguessable token for a link (32 random bytes, URL-safe base64): the link carries it, the
/// database keeps only its SHA-256 (`sha256(convert_to(token, 'UTF8'))`).
pub fn random_token() -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn encrypt(config: &Config, plain: &str) -> Result<String> {
    let fernet = fernet::Fernet::new(config.encryption_key.expose())
        .ok_or_else(|| Error::Internal("ENCRYPTION_KEY is not a Fernet key".into()))?;
    Ok(fernet.encrypt(plain.as_bytes()))
}

/// Fails when the key changed since the value was stored (the secret must then be set again).
pub fn decrypt(config: &Config, token: &str) -> Result<String> {
    let fernet = fernet::Fernet::new(config.encryption_key.expose())
        .ok_or_else(|| Error::Internal("ENCRYPTION_KEY is not a Fernet key".into()))?;
    let bytes = fernet.decrypt(token).map_err(|_| {
        Error::Internal("a stored secret cannot be decrypted with ENCRYPTION_KEY".into())
    })?;
    String::from_utf8(bytes).map_err(|_| Error::Internal("a stored secret is not UTF-8".into()))
}
