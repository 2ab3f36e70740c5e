//! Exact decimal numbers.
//!
//! JSON numbers have no size or precision limit, but most JSON libraries read
//! them into an `f64` and silently round: `9007199254740993` becomes
//! `9007199254740992`. A lesson about adding 1 must not teach that, so the
//! number is kept as the text the client sent plus an exact [`BigDecimal`],
//! and `+ 1` is exact. The only limit is the one a learner can reason about:
//! the value must fit in an `f64` (what JavaScript, Python's `float` and the
//! original Node.js lesson can hold), so `1e400` is refused with a message.

use std::fmt;
use std::str::FromStr;

use bigdecimal::{BigDecimal, Zero};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// Longest number text accepted. Long enough for any `f64` written out in
/// full (`f64::MAX` has 309 digits), short enough that arithmetic on it is
/// instant whatever a client sends.
pub const MAX_NUMBER_CHARS: usize = 400;

/// A JSON number, kept exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactNumber {
    /// The JSON text, e.g. `1.50` or `9007199254740993` or `1e2`.
    text: String,
    value: BigDecimal,
}

/// Why a JSON number is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("is not a JSON number: {0:?}")]
    NotANumber(String),
    #[error("has {0} characters; numbers of at most {MAX_NUMBER_CHARS} characters are accepted")]
    TooLong(usize),
    #[error(
        "is out of range: it does not fit in a 64-bit floating-point number (at most about ±1.8e308)"
    )]
    TooLarge,
    #[error(
        "is too close to zero: a 64-bit floating-point number cannot hold it (the smallest is about 5e-324)"
    )]
    TooSmall,
}

impl ExactNumber {
    /// Reads the text of one JSON number (RFC 8259 grammar).
    pub fn parse(text: &str) -> Result<Self, NumberError> {
        let text = text.trim();
        if text.len() > MAX_NUMBER_CHARS {
            return Err(NumberError::TooLong(text.chars().count()));
        }
        if !is_json_number(text) {
            return Err(NumberError::NotANumber(text.to_owned()));
        }
        // The f64 reading is used only to check the range, never for maths.
        let approx: f64 = text
            .parse()
            .map_err(|_| NumberError::NotANumber(text.to_owned()))?;
        if approx.is_infinite() {
            return Err(NumberError::TooLarge);
        }
        let value =
            BigDecimal::from_str(text).map_err(|_| NumberError::NotANumber(text.to_owned()))?;
        if approx == 0.0 && !value.is_zero() {
            return Err(NumberError::TooSmall);
        }
        Ok(Self {
            text: text.to_owned(),
            value,
        })
    }

    /// This number plus one, exactly, written without an exponent
    /// (`1.5` -> `2.5`, `1e2` -> `101`, `9007199254740993` -> `9007199254740994`).
    pub fn plus_one(&self) -> ExactNumber {
        let value = &self.value + BigDecimal::from(1);
        ExactNumber {
            text: value.to_plain_string(),
            value,
        }
    }

    /// The JSON text of this number.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for ExactNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for ExactNumber {
    /// Written as a bare JSON number with every digit kept.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.text.clone()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// The JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(c) if c.is_ascii_digit() => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plus_one(text: &str) -> String {
        ExactNumber::parse(text).unwrap().plus_one().to_string()
    }

    #[test]
    fn integers_beyond_2_pow_53_stay_exact() {
        assert_eq!(plus_one("9007199254740993"), "9007199254740994");
        assert_eq!(plus_one("9223372036854775807"), "9223372036854775808");
        assert_eq!(plus_one("-9007199254740993"), "-9007199254740992");
    }

    #[test]
    fn decimals_and_exponents_are_exact() {
        assert_eq!(plus_one("1.5"), "2.5");
        assert_eq!(plus_one("0.1"), "1.1");
        assert_eq!(plus_one("1.50"), "2.50");
        assert_eq!(plus_one("1e2"), "101");
        assert_eq!(plus_one("-1"), "0");
        assert_eq!(plus_one("-0"), "1");
        assert_eq!(plus_one("2.5E-3"), "1.0025");
    }

    #[test]
    fn numbers_outside_f64_are_refused() {
        assert_eq!(ExactNumber::parse("1e400"), Err(NumberError::TooLarge));
        assert_eq!(ExactNumber::parse("-1e400"), Err(NumberError::TooLarge));
        assert_eq!(ExactNumber::parse("1e-400"), Err(NumberError::TooSmall));
        assert!(ExactNumber::parse("0e-400").is_ok(), "zero is zero");
        let long = "1".repeat(MAX_NUMBER_CHARS + 1);
        assert_eq!(
            ExactNumber::parse(&long),
            Err(NumberError::TooLong(MAX_NUMBER_CHARS + 1))
        );
    }

    #[test]
    fn only_the_json_grammar_is_a_number() {
        for bad in [
            "", "-", "01", "1.", ".5", "+1", "1e", "1e+", "0x10", "NaN", "inf", "1 2",
        ] {
            assert!(
                matches!(ExactNumber::parse(bad), Err(NumberError::NotANumber(_))),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn serializes_as_a_bare_json_number() {
        let n = ExactNumber::parse("9007199254740993").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "9007199254740993");
    }
}
