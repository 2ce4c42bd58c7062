//! Signatures per the Standard Webhooks specification: the secret is `whsec_` and a
//! base64 key; each attempt signs `{webhook-id}.{webhook-timestamp}.{body}` with
//! HMAC-SHA256 under that key and sends `webhook-signature: v1,<base64 signature>`.

use base64::{Engine, engine::general_purpose::STANDARD};
use ring::{hmac, rand::SecureRandom};

const PREFIX: &str = "whsec_";
/// Key bytes of a new secret (the specification asks for 24 to 64).
const KEY_BYTES: usize = 32;

/// A new random signing secret, `whsec_…`.
pub fn new_secret() -> String {
    let mut key = [0u8; KEY_BYTES];
    ring::rand::SystemRandom::new()
        .fill(&mut key)
        .expect("the system's random source");
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The `webhook-signature` header's value for one attempt.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> String {
    let encoded = secret.strip_prefix(PREFIX).unwrap_or(secret);
    // Our own secrets always decode; a secret stored otherwise signs with its bytes.
    let key_bytes = STANDARD
        .decode(encoded)
        .unwrap_or_else(|_| encoded.as_bytes().to_vec());
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key_bytes);
    let tag = hmac::sign(&key, format!("{msg_id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(tag.as_ref()))
}

/// A new message id, `msg_…`.
pub fn new_msg_id() -> String {
    format!("msg_{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the specification's reference libraries.
    #[test]
    fn signs_the_reference_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_new_each_time_and_decode_to_the_key() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        let key = STANDARD.decode(a.strip_prefix(PREFIX).unwrap()).unwrap();
        assert_eq!(key.len(), KEY_BYTES);
    }
}
