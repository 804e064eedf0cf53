//! Secrets kept in the database (HRIS API keys, passwords, client secrets), sealed with the
//! server's key (`--secret-key-file`): AES-256-GCM, a random nonce per seal, and the row's id
//! as associated data, so that a sealed value copied onto another row does not open there.
//! The key never leaves this type, and a secret is opened only to be sent to its HRIS.
use std::fmt;

use base64::{Engine, engine::general_purpose::STANDARD};
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The prefix of a sealed value: the format, should it ever change.
const SEALED_V1: &str = "v1:";

pub struct Sealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// From the key's text: 64 hex characters (surrounding whitespace aside).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| "the secret key must be 64 hex characters (32 bytes)".to_owned())?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| "the secret key must be 64 hex characters (32 bytes)".to_owned())?;
        Ok(Self {
            key: LessSafeKey::new(key),
            random: SystemRandom::new(),
        })
    }

    /// `secret` sealed for the row `owner`.
    pub fn seal(&self, owner: Uuid, secret: &str) -> AppResult<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| AppError::Internal("no random nonce for a secret".to_owned()))?;
        let mut sealed = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(owner.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| AppError::Internal("a secret could not be sealed".to_owned()))?;
        let mut out = nonce.to_vec();
        out.append(&mut sealed);
        Ok(format!("{SEALED_V1}{}", STANDARD.encode(out)))
    }

    /// The secret sealed for `owner`; an error (never the text) when it does not open: another
    /// key, another row, or a value changed in the database.
    pub fn open(&self, owner: Uuid, sealed: &str) -> AppResult<String> {
        let refused = || {
            AppError::Internal(
                "a stored secret does not open with this server's key (was --secret-key-file \
                 changed?)"
                    .to_owned(),
            )
        };
        let bytes = sealed
            .strip_prefix(SEALED_V1)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(refused)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
        let mut body = body.to_vec();
        let opened = self
            .key
            .open_in_place(nonce, Aad::from(owner.as_bytes()), &mut body)
            .map_err(|_| refused())?;
        String::from_utf8(opened.to_vec()).map_err(|_| refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_secret_opens_only_with_its_key_and_for_its_row() {
        let sealer = Sealer::from_hex(KEY).unwrap();
        let (row, other) = (Uuid::now_v7(), Uuid::now_v7());
        let sealed = sealer.seal(row, "api-key-123").unwrap();
        assert!(!sealed.contains("api-key-123"));
        assert_ne!(
            sealed,
            sealer.seal(row, "api-key-123").unwrap(),
            "a nonce per seal"
        );
        assert_eq!(sealer.open(row, &sealed).unwrap(), "api-key-123");
        assert!(sealer.open(other, &sealed).is_err(), "another row");
        let other_key = Sealer::from_hex(&KEY.replace("00", "ff")).unwrap();
        assert!(other_key.open(row, &sealed).is_err(), "another key");
        assert!(sealer.open(row, "v1:AAAA").is_err());
        assert!(Sealer::from_hex("abc").is_err());
        assert_eq!(format!("{sealer:?}"), "Sealer(..)");
    }
}
