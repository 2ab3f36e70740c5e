//! A message: its body, its attributes, and the checks SQS makes on both.
//!
//! - Body characters: only `#x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD
//!   #x10000-#x10FFFF` (SQS-API SendMessage, "MessageBody").
//! - Message attributes (SQS-DG "Amazon SQS message attributes"): at most 10;
//!   names up to 256 characters of `A-Za-z0-9_-.`, not starting with `AWS.` or
//!   `Amazon.`, no leading, trailing or doubled `.`; data types `String`,
//!   `Number`, `Binary`, each optionally with a `.custom` suffix.
//! - `MD5OfMessageBody` is the hex MD5 of the UTF-8 body;
//!   `MD5OfMessageAttributes` hashes the attributes sorted by name, each as
//!   length-prefixed name, length-prefixed data type, one transport byte
//!   (1 = string, 2 = binary) and the length-prefixed value (SQS-DG,
//!   "Calculating the MD5 message digest for message attributes"). The SDKs
//!   recompute both and reject a mismatch, so the SDK tests prove them.

use std::collections::BTreeMap;

use base64::Engine;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use super::error::{ErrorCode, SqsError, SqsResult};

/// At most this many message attributes per message.
pub const MAX_MESSAGE_ATTRIBUTES: usize = 10;

/// A message attribute as the JSON protocol carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageAttributeValue {
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    /// Base64 in JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<String>,
    // The list values are reserved by AWS ("not implemented"); accepted if empty.
    #[serde(default, skip_serializing)]
    pub string_list_values: Option<Vec<String>>,
    #[serde(default, skip_serializing)]
    pub binary_list_values: Option<Vec<String>>,
}

/// Validated attributes, with their decoded binary values.
pub type Attributes = BTreeMap<String, MessageAttributeValue>;

/// The hex MD5 of a body.
pub fn md5_of_body(body: &str) -> String {
    hex(&md5_digest(body))
}

/// The MD5 of a body as its 16 bytes (what a stored message keeps).
pub fn md5_digest(body: &str) -> [u8; 16] {
    Md5::digest(body.as_bytes()).into()
}

/// Lowercase hex, as `{:x}` writes a digest.
pub fn hex(bytes: &[u8; 16]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(32);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)].into());
        text.push(DIGITS[usize::from(byte & 0xf)].into());
    }
    text
}

/// Checks the characters of a body.
pub fn check_body(body: &str) -> SqsResult<()> {
    if body.is_empty() {
        return Err(SqsError::invalid_value(
            "MessageBody",
            "(empty)",
            "The message body must be at least 1 character long.",
        ));
    }
    let allowed = |c: char| matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}');
    if let Some(bad) = body.chars().find(|c| !allowed(*c)) {
        return Err(SqsError::new(
            ErrorCode::InvalidMessageContents,
            format!(
                "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF (found U+{:04X})",
                bad as u32
            ),
        ));
    }
    Ok(())
}

/// Checks message attributes; `parameter` names them in messages
/// (`MessageAttributes` or `MessageSystemAttributes`).
pub fn check_attributes(attributes: &Attributes, system: bool) -> SqsResult<()> {
    if attributes.len() > MAX_MESSAGE_ATTRIBUTES {
        return Err(SqsError::invalid_value(
            "MessageAttributes",
            attributes.len(),
            &format!(
                "Number of message attributes [{}] exceeds the allowed maximum [{MAX_MESSAGE_ATTRIBUTES}].",
                attributes.len()
            ),
        ));
    }
    for (name, value) in attributes {
        if system {
            if name != "AWSTraceHeader" {
                return Err(SqsError::invalid_value(
                    "MessageSystemAttributes",
                    name,
                    "Only AWSTraceHeader is supported.",
                ));
            }
        } else {
            check_attribute_name(name)?;
        }
        check_attribute_value(name, value)?;
    }
    Ok(())
}

fn check_attribute_name(name: &str) -> SqsResult<()> {
    let lower = name.to_ascii_lowercase();
    let reason = if name.is_empty() || name.len() > 256 {
        Some("Message attribute names must be 1 to 256 characters long.")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        Some(
            "Message attribute names can contain only A-Z, a-z, 0-9, underscore (_), hyphen (-) and period (.).",
        )
    } else if lower.starts_with("aws.") || lower.starts_with("amazon.") {
        Some("Message attribute names must not start with AWS. or Amazon. (reserved).")
    } else if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        Some(
            "Message attribute names must not start or end with a period or contain two periods in a row.",
        )
    } else {
        None
    };
    match reason {
        Some(reason) => Err(SqsError::invalid_value("MessageAttributes", name, reason)),
        None => Ok(()),
    }
}

fn check_attribute_value(name: &str, value: &MessageAttributeValue) -> SqsResult<()> {
    let base = value.data_type.split('.').next().unwrap_or("");
    if value.data_type.len() > 256 || !["String", "Number", "Binary"].contains(&base) {
        return Err(SqsError::invalid_value(
            "MessageAttributes",
            name,
            &format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            ),
        ));
    }
    let not_empty_lists = value
        .string_list_values
        .as_ref()
        .is_some_and(|l| !l.is_empty())
        || value
            .binary_list_values
            .as_ref()
            .is_some_and(|l| !l.is_empty());
    if not_empty_lists {
        return Err(SqsError::invalid_value(
            "MessageAttributes",
            name,
            "StringListValues and BinaryListValues are not implemented by SQS.",
        ));
    }
    match base {
        "Binary" => {
            let Some(encoded) = &value.binary_value else {
                return Err(SqsError::invalid_value(
                    "MessageAttributes",
                    name,
                    &format!(
                        "The message attribute '{name}' with type 'Binary' must use field 'Binary'."
                    ),
                ));
            };
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| {
                    SqsError::new(
                        ErrorCode::InvalidParameterValue,
                        format!("The message attribute '{name}' has an invalid Binary value: not base64."),
                    )
                })?;
        }
        _ => {
            let Some(text) = &value.string_value else {
                return Err(SqsError::invalid_value(
                    "MessageAttributes",
                    name,
                    &format!(
                        "The message attribute '{name}' with type '{base}' must use field 'String'."
                    ),
                ));
            };
            if text.is_empty() {
                return Err(SqsError::invalid_value(
                    "MessageAttributes",
                    name,
                    &format!(
                        "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'."
                    ),
                ));
            }
            check_body(text).map_err(|_| {
                SqsError::new(
                    ErrorCode::InvalidMessageContents,
                    format!("The message attribute '{name}' contains invalid characters."),
                )
            })?;
            if base == "Number" && !is_sqs_number(text) {
                return Err(SqsError::invalid_value(
                    "MessageAttributes",
                    name,
                    &format!(
                        "Can't convert value '{text}' of message attribute '{name}' to a number."
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A decimal with up to 38 significant digits (SQS-DG: Number attributes).
fn is_sqs_number(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (t, None),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let one_dot = mantissa.matches('.').count() <= 1;
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.trim_start_matches('0').len() <= 38
        && one_dot
        && exponent_ok
}

/// Bytes of the attributes counted against the message size limit: names,
/// data types and values.
pub fn attributes_size(attributes: &Attributes) -> usize {
    attributes
        .iter()
        .map(|(name, v)| {
            let value = match &v.binary_value {
                Some(b) => base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_or(0, |d| d.len()),
                None => v.string_value.as_ref().map_or(0, String::len),
            };
            name.len() + v.data_type.len() + value
        })
        .sum()
}

/// `MD5OfMessageAttributes` (or of system attributes); `None` when empty.
pub fn md5_of_attributes(attributes: &Attributes) -> Option<String> {
    if attributes.is_empty() {
        return None;
    }
    fn put(hasher: &mut Md5, bytes: &[u8]) {
        hasher.update((bytes.len() as u32).to_be_bytes());
        hasher.update(bytes);
    }
    let mut hasher = Md5::new();
    // BTreeMap iterates in name order, as the algorithm requires.
    for (name, value) in attributes {
        put(&mut hasher, name.as_bytes());
        put(&mut hasher, value.data_type.as_bytes());
        match &value.binary_value {
            Some(encoded) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .unwrap_or_default();
                hasher.update([2u8]);
                put(&mut hasher, &bytes);
            }
            None => {
                hasher.update([1u8]);
                put(
                    &mut hasher,
                    value.string_value.as_deref().unwrap_or("").as_bytes(),
                );
            }
        }
    }
    Some(format!("{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(data_type: &str, value: &str) -> MessageAttributeValue {
        MessageAttributeValue {
            data_type: data_type.into(),
            string_value: Some(value.into()),
            binary_value: None,
            string_list_values: None,
            binary_list_values: None,
        }
    }

    #[test]
    fn body_md5_is_the_hex_md5_of_the_text() {
        // RFC 1321 test vector.
        assert_eq!(md5_of_body("abc"), "900150983cd24fb0d6963f7d28e17f72");
        let digest = Md5::digest(b"abc");
        assert_eq!(md5_of_body("abc"), format!("{digest:x}"));
        assert_eq!(hex(&[0; 16]), "0".repeat(32));
    }

    #[test]
    fn attribute_md5_follows_the_documented_encoding() {
        // Computed by hand from the encoding: name "a", type "String", value "b":
        // 00000001 'a' 00000006 'String' 01 00000001 'b'.
        let mut attributes = Attributes::new();
        attributes.insert("a".into(), string("String", "b"));
        let mut expected = Md5::new();
        expected.update([0, 0, 0, 1, b'a', 0, 0, 0, 6]);
        expected.update(b"String");
        expected.update([1, 0, 0, 0, 1, b'b']);
        assert_eq!(
            md5_of_attributes(&attributes).unwrap(),
            format!("{:x}", expected.finalize())
        );
        assert_eq!(md5_of_attributes(&Attributes::new()), None);
    }

    #[test]
    fn bodies_with_forbidden_characters_are_refused() {
        assert!(check_body("hello\tworld\n").is_ok());
        assert!(check_body("emoji 🦀").is_ok());
        assert_eq!(
            check_body("\u{0}").unwrap_err().code,
            ErrorCode::InvalidMessageContents
        );
        assert_eq!(
            check_body("\u{FFFE}").unwrap_err().code,
            ErrorCode::InvalidMessageContents
        );
        assert_eq!(
            check_body("").unwrap_err().code,
            ErrorCode::InvalidParameterValue
        );
    }

    #[test]
    fn attribute_rules() {
        let check = |name: &str, value: MessageAttributeValue| {
            let mut a = Attributes::new();
            a.insert(name.into(), value);
            check_attributes(&a, false)
        };
        assert!(check("order.id", string("Number.int", "42")).is_ok());
        assert!(check("AWS.reserved", string("String", "x")).is_err());
        assert!(check("a..b", string("String", "x")).is_err());
        assert!(check("a b", string("String", "x")).is_err());
        assert!(check("n", string("Number", "forty-two")).is_err());
        assert!(check("n", string("Text", "x")).is_err());
        assert!(check("n", string("String", "")).is_err());
        let many: Attributes = (0..11)
            .map(|i| (format!("k{i}"), string("String", "v")))
            .collect();
        assert!(check_attributes(&many, false).is_err());
    }
}
