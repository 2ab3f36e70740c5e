//! DynamoDB's attribute values: the ten types, their JSON form, DynamoDB's
//! numbers (38 significant digits, exponent -130 to +125), sets without
//! duplicates, and item sizes (DDB-DG "Supported data types and naming
//! rules", "Item sizes and formats", "Service quotas": 400 KB an item).
//!
//! In JSON every value is an object with exactly one key, the type:
//! `{"S": "text"}`, `{"N": "12.5"}` (a number is a *string*),
//! `{"B": "<base64>"}`, `{"BOOL": true}`, `{"NULL": true}`,
//! `{"M": {...}}`, `{"L": [...]}`, `{"SS": [...]}`, `{"NS": [...]}`,
//! `{"BS": [...]}` (DDB-API "AttributeValue").

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bigdecimal::BigDecimal;
use bigdecimal::num_bigint::{BigInt, Sign};
use serde_json::{Map, Value, json};

use super::error::{DynamoError, DynamoResult};

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// The largest item, in DynamoDB's own count of bytes (DDB-DG "Service,
/// account, and table quotas": "The maximum item size in DynamoDB is
/// 400 KB, which includes both attribute name binary length (UTF-8 length)
/// and attribute value lengths").
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// One attribute value.
#[derive(Clone, Debug)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(BTreeMap<String, AttributeValue>),
    L(Vec<AttributeValue>),
    /// Sets keep the order they were written in; none has duplicates.
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
}

impl PartialEq for AttributeValue {
    /// Equality as DynamoDB compares values in conditions: numbers by
    /// value, sets regardless of order.
    fn eq(&self, other: &Self) -> bool {
        use AttributeValue::*;
        match (self, other) {
            (S(a), S(b)) => a == b,
            (N(a), N(b)) => a == b,
            (B(a), B(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Null, Null) => true,
            (M(a), M(b)) => a == b,
            (L(a), L(b)) => a == b,
            (Ss(a), Ss(b)) => same_set(a, b),
            (Ns(a), Ns(b)) => same_set(a, b),
            (Bs(a), Bs(b)) => same_set(a, b),
            _ => false,
        }
    }
}

fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

impl AttributeValue {
    /// The type's name in the JSON form and in `attribute_type(...)`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
        }
    }

    /// The type as DynamoDB's expression errors name it (`operand type:
    /// STRING`).
    pub fn type_word(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "STRING",
            AttributeValue::N(_) => "NUMBER",
            AttributeValue::B(_) => "BINARY",
            AttributeValue::Bool(_) => "BOOLEAN",
            AttributeValue::Null => "NULL",
            AttributeValue::M(_) => "MAP",
            AttributeValue::L(_) => "LIST",
            AttributeValue::Ss(_) => "STRING_SET",
            AttributeValue::Ns(_) => "NUMBER_SET",
            AttributeValue::Bs(_) => "BINARY_SET",
        }
    }

    /// Reads a value from its JSON form, with AWS's errors.
    pub fn from_json(value: &Value) -> DynamoResult<Self> {
        let Value::Object(map) = value else {
            return Err(DynamoError::serialization(format!(
                "An AttributeValue must be a JSON object such as {{\"S\": \"text\"}}, got {}",
                short(value)
            )));
        };
        let mut entries = map.iter();
        let Some((kind, inner)) = entries.next() else {
            return Err(DynamoError::validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        };
        if entries.next().is_some() {
            return Err(DynamoError::validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ));
        }
        Ok(match kind.as_str() {
            "S" => AttributeValue::S(string(inner, "S")?.to_owned()),
            "N" => AttributeValue::N(Number::parse(string(inner, "N")?)?),
            "B" => AttributeValue::B(binary(inner, "B")?),
            "BOOL" => match inner {
                Value::Bool(b) => AttributeValue::Bool(*b),
                other => return Err(wrong_json("BOOL", "a boolean", other)),
            },
            "NULL" => match inner {
                Value::Bool(true) => AttributeValue::Null,
                Value::Bool(false) => {
                    return Err(DynamoError::invalid_parameter(
                        "Null attribute value types must have the value of true",
                    ));
                }
                other => return Err(wrong_json("NULL", "true", other)),
            },
            "M" => match inner {
                Value::Object(map) => AttributeValue::M(item_from_json_map(map)?),
                other => return Err(wrong_json("M", "an object", other)),
            },
            "L" => match inner {
                Value::Array(values) => AttributeValue::L(
                    values
                        .iter()
                        .map(AttributeValue::from_json)
                        .collect::<DynamoResult<_>>()?,
                ),
                other => return Err(wrong_json("L", "an array", other)),
            },
            "SS" => {
                let values = array(inner, "SS")?
                    .iter()
                    .map(|v| string(v, "SS").map(str::to_owned))
                    .collect::<DynamoResult<Vec<_>>>()?;
                check_set("string", &values, |s| s.clone())?;
                AttributeValue::Ss(values)
            }
            "NS" => {
                let values = array(inner, "NS")?
                    .iter()
                    .map(|v| string(v, "NS").and_then(Number::parse))
                    .collect::<DynamoResult<Vec<_>>>()?;
                check_set("number", &values, |n| n.to_string())?;
                AttributeValue::Ns(values)
            }
            "BS" => {
                let values = array(inner, "BS")?
                    .iter()
                    .map(|v| binary(v, "BS"))
                    .collect::<DynamoResult<Vec<_>>>()?;
                check_set("binary", &values, |b| BASE64.encode(b))?;
                AttributeValue::Bs(values)
            }
            other => {
                return Err(DynamoError::serialization(format!(
                    "Unknown AttributeValue type {other:?}: expected one of S, N, B, BOOL, NULL, M, L, SS, NS, BS"
                )));
            }
        })
    }

    /// The JSON form (numbers in DynamoDB's canonical text).
    pub fn to_json(&self) -> Value {
        match self {
            AttributeValue::S(s) => json!({ "S": s }),
            AttributeValue::N(n) => json!({ "N": n.to_string() }),
            AttributeValue::B(b) => json!({ "B": BASE64.encode(b) }),
            AttributeValue::Bool(b) => json!({ "BOOL": b }),
            AttributeValue::Null => json!({ "NULL": true }),
            AttributeValue::M(m) => json!({ "M": item_to_json(m) }),
            AttributeValue::L(l) => {
                json!({ "L": l.iter().map(AttributeValue::to_json).collect::<Vec<_>>() })
            }
            AttributeValue::Ss(s) => json!({ "SS": s }),
            AttributeValue::Ns(n) => {
                json!({ "NS": n.iter().map(Number::to_string).collect::<Vec<_>>() })
            }
            AttributeValue::Bs(b) => {
                json!({ "BS": b.iter().map(|b| BASE64.encode(b)).collect::<Vec<_>>() })
            }
        }
    }

    /// The value's size in DynamoDB's count (DDB-DG "Item sizes and
    /// formats"): strings and binaries by their bytes, a number about one
    /// byte per two significant digits plus one, booleans and nulls one
    /// byte, a map or list 3 bytes plus one per element plus its contents.
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.size(),
            AttributeValue::B(b) => b.len(),
            AttributeValue::Bool(_) | AttributeValue::Null => 1,
            AttributeValue::M(m) => {
                3 + m
                    .iter()
                    .map(|(name, value)| 1 + name.len() + value.size())
                    .sum::<usize>()
            }
            AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + v.size()).sum::<usize>(),
            AttributeValue::Ss(s) => s.iter().map(String::len).sum(),
            AttributeValue::Ns(n) => n.iter().map(Number::size).sum(),
            AttributeValue::Bs(b) => b.iter().map(Vec::len).sum(),
        }
    }
}

/// An item's size: names (UTF-8 bytes) plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value.size())
        .sum()
}

/// Refuses an item over 400 KB, with AWS's message.
pub fn check_item_size(item: &Item) -> DynamoResult<()> {
    if item_size(item) > MAX_ITEM_BYTES {
        return Err(DynamoError::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    Ok(())
}

/// An item (or `Key`, `ExpressionAttributeValues`...) from its JSON object.
pub fn item_from_json(value: &Value) -> DynamoResult<Item> {
    match value {
        Value::Object(map) => item_from_json_map(map),
        other => Err(DynamoError::serialization(format!(
            "Expected a map of attribute names to AttributeValues, got {}",
            short(other)
        ))),
    }
}

fn item_from_json_map(map: &Map<String, Value>) -> DynamoResult<Item> {
    map.iter()
        .map(|(name, value)| Ok((name.clone(), AttributeValue::from_json(value)?)))
        .collect()
}

pub fn item_to_json(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), value.to_json()))
            .collect(),
    )
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

fn wrong_json(kind: &str, expected: &str, got: &Value) -> DynamoError {
    DynamoError::serialization(format!(
        "The {kind} member of an AttributeValue must be {expected}, got {}",
        short(got)
    ))
}

fn string<'a>(value: &'a Value, kind: &str) -> DynamoResult<&'a str> {
    match value {
        Value::String(s) => Ok(s),
        // {"N": 123}: DynamoDB wants the number as a string.
        other => Err(wrong_json(kind, "a string", other)),
    }
}

fn array<'a>(value: &'a Value, kind: &str) -> DynamoResult<&'a [Value]> {
    match value {
        Value::Array(values) => Ok(values),
        other => Err(wrong_json(kind, "an array", other)),
    }
}

fn binary(value: &Value, kind: &str) -> DynamoResult<Vec<u8>> {
    let text = string(value, kind)?;
    BASE64.decode(text).map_err(|_| {
        DynamoError::serialization(format!(
            "The {kind} member of an AttributeValue must be base64, got {}",
            short(value)
        ))
    })
}

/// AWS: an empty set is refused, and so is one with a repeated element.
fn check_set<T>(kind: &str, values: &[T], show: impl Fn(&T) -> String) -> DynamoResult<()>
where
    T: PartialEq,
{
    if values.is_empty() {
        // Sic: AWS's message has "An" and two spaces.
        return Err(DynamoError::invalid_parameter(format!(
            "An {kind} set  may not be empty"
        )));
    }
    for (i, value) in values.iter().enumerate() {
        if values[..i].contains(value) {
            let shown: Vec<String> = values.iter().map(&show).collect();
            return Err(DynamoError::invalid_parameter(format!(
                "Input collection [{}] contains duplicates.",
                shown.join(", ")
            )));
        }
    }
    Ok(())
}

/// A DynamoDB number: sign, significant digits (no leading or trailing
/// zeros; none for zero) and the power of ten of the last digit.
///
/// DDB-DG "Supported data types": "Numbers can have up to 38 digits of
/// precision ... Positive range: 1E-130 to 9.9999999999999999999999999999999999999E+125;
/// negative range: -9.9999999999999999999999999999999999999E+125 to -1E-130".
/// Leading and trailing zeros are trimmed, so `1.50` comes back as `1.5`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    digits: String,
    exponent: i64,
}

/// The most significant digits a number may have.
pub const MAX_DIGITS: usize = 38;
/// The exponent of the leading digit: at most 10^125, at least 10^-130.
pub const MAX_EXPONENT: i64 = 125;
pub const MIN_EXPONENT: i64 = -130;

impl Number {
    /// Parses a number as DynamoDB accepts it: an optional sign, digits
    /// with an optional point, an optional exponent (`3`, `-7.1234`,
    /// `+3`, `.123`, `0001.23`, `1e+5`); no spaces, no `NaN`, no `Infinity`.
    pub fn parse(text: &str) -> DynamoResult<Number> {
        let not_a_number =
            || DynamoError::validation("A value provided cannot be converted into a number");
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&sign) = bytes.first()
            && (sign == b'+' || sign == b'-')
        {
            negative = sign == b'-';
            i = 1;
        }
        let int_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let int_part = &text[int_start..i];
        let mut frac_part = "";
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let frac_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            frac_part = &text[frac_start..i];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(not_a_number());
        }
        let mut exponent: i64 = 0;
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            i += 1;
            let mut exp_negative = false;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                exp_negative = bytes[i] == b'-';
                i += 1;
            }
            let exp_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                // Saturates: any exponent this large is out of range anyway.
                exponent = exponent
                    .saturating_mul(10)
                    .saturating_add(i64::from(bytes[i] - b'0'));
                i += 1;
            }
            if i == exp_start {
                return Err(not_a_number());
            }
            if exp_negative {
                exponent = -exponent;
            }
        }
        if i != bytes.len() {
            return Err(not_a_number());
        }
        let all = format!("{int_part}{frac_part}");
        let frac_len = i64::try_from(frac_part.len()).unwrap_or(i64::MAX);
        Number::from_parts(negative, &all, exponent.saturating_sub(frac_len))
    }

    /// `digits` x 10^`exponent`, trimmed and checked against DynamoDB's
    /// limits.
    fn from_parts(negative: bool, digits: &str, exponent: i64) -> DynamoResult<Number> {
        let trimmed = digits.trim_start_matches('0');
        let significant = trimmed.trim_end_matches('0');
        if significant.is_empty() {
            return Ok(Number::zero());
        }
        let trailing = i64::try_from(trimmed.len() - significant.len()).unwrap_or(0);
        let exponent = exponent.saturating_add(trailing);
        let number = Number {
            negative,
            digits: significant.to_owned(),
            exponent,
        };
        let leading = number.leading_exponent();
        if leading > MAX_EXPONENT {
            return Err(DynamoError::validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ));
        }
        if leading < MIN_EXPONENT {
            return Err(DynamoError::validation(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range",
            ));
        }
        if significant.len() > MAX_DIGITS {
            return Err(DynamoError::validation(
                "Attempting to store more than 38 significant digits in a Number",
            ));
        }
        Ok(number)
    }

    pub fn zero() -> Number {
        Number {
            negative: false,
            digits: String::new(),
            exponent: 0,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// The power of ten of the leading digit (0 for zero).
    fn leading_exponent(&self) -> i64 {
        if self.is_zero() {
            return 0;
        }
        self.exponent
            .saturating_add(i64::try_from(self.digits.len()).unwrap_or(0))
            .saturating_sub(1)
    }

    /// DynamoDB's size of a number: "approximately (length of attribute
    /// name) + (1 byte per two significant digits) + (1 byte)".
    pub fn size(&self) -> usize {
        self.digits.len().div_ceil(2) + 1
    }

    fn to_big(&self) -> BigDecimal {
        if self.is_zero() {
            return BigDecimal::from(0);
        }
        let sign = if self.negative {
            Sign::Minus
        } else {
            Sign::Plus
        };
        let magnitude = BigInt::parse_bytes(self.digits.as_bytes(), 10).unwrap_or_default();
        BigDecimal::new(
            BigInt::from_biguint(sign, magnitude.magnitude().clone()),
            -self.exponent,
        )
    }

    fn from_big(value: &BigDecimal) -> DynamoResult<Number> {
        let (int, scale) = value.as_bigint_and_exponent();
        let negative = int.sign() == Sign::Minus;
        let digits = int.magnitude().to_str_radix(10);
        Number::from_parts(negative, &digits, -scale).map_err(|e| {
            if e.message.contains("significant digits") {
                // What DynamoDB says when a sum needs more than 38 digits
                // (1e50 + 1), as recorded by Alternator's test suite.
                DynamoError::validation(
                    "Number overflow. Attempting to store a number with magnitude larger than supported range",
                )
            } else {
                e
            }
        })
    }

    /// `self + other`, as `SET a = a + :v` and `ADD` compute it.
    pub fn add(&self, other: &Number) -> DynamoResult<Number> {
        Number::from_big(&(self.to_big() + other.to_big()))
    }

    /// `self - other`.
    pub fn sub(&self, other: &Number) -> DynamoResult<Number> {
        Number::from_big(&(self.to_big() - other.to_big()))
    }

    /// The value as an `i64`, when it is a whole number in range (TTL
    /// attributes are epoch seconds).
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_zero() {
            return Some(0);
        }
        if self.exponent < 0 || self.leading_exponent() > 18 {
            return None;
        }
        let mut text = self.digits.clone();
        text.extend(std::iter::repeat_n(
            '0',
            usize::try_from(self.exponent).ok()?,
        ));
        let value: i64 = text.parse().ok()?;
        Some(if self.negative { -value } else { value })
    }

    pub fn from_i64(value: i64) -> Number {
        Number::parse(&value.to_string()).unwrap_or_else(|_| Number::zero())
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation, without exponent, leading or trailing zeros:
    /// `100`, `1.5`, `-0.001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        if self.negative {
            f.write_str("-")?;
        }
        let len = i64::try_from(self.digits.len()).unwrap_or(0);
        if self.exponent >= 0 {
            f.write_str(&self.digits)?;
            for _ in 0..self.exponent {
                f.write_str("0")?;
            }
        } else if -self.exponent < len {
            let point = usize::try_from(len + self.exponent).unwrap_or(0);
            write!(f, "{}.{}", &self.digits[..point], &self.digits[point..])?;
        } else {
            f.write_str("0.")?;
            for _ in 0..(-self.exponent - len) {
                f.write_str("0")?;
            }
            f.write_str(&self.digits)?;
        }
        Ok(())
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| -> i8 {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        let (a, b) = (sign(self), sign(other));
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let magnitude = self
            .leading_exponent()
            .cmp(&other.leading_exponent())
            .then_with(|| {
                // Same leading power of ten: compare digit by digit, the
                // shorter padded with zeros.
                let (x, y) = (self.digits.as_bytes(), other.digits.as_bytes());
                let n = x.len().max(y.len());
                (0..n)
                    .map(|i| x.get(i).unwrap_or(&b'0').cmp(y.get(i).unwrap_or(&b'0')))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            });
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn numbers_are_read_as_dynamodb_reads_them() {
        for (text, canonical) in [
            ("3", "3"),
            ("-7.1234", "-7.1234"),
            ("-17e5", "-1700000"),
            ("+3", "3"),
            (".123", "0.123"),
            ("0001.23", "1.23"),
            ("1e+5", "100000"),
            ("0e1000", "0"),
            ("-0", "0"),
            ("1.50", "1.5"),
            ("100", "100"),
            ("1E-130", &format!("0.{}1", "0".repeat(129))),
        ] {
            assert_eq!(n(text).to_string(), canonical, "{text}");
        }
        for bad in [
            "NaN",
            "Infinity",
            "-Infinity",
            "dog",
            " 1",
            "1 ",
            "",
            "-",
            ".",
            "1e",
            "1e+",
            "0x10",
        ] {
            let e = Number::parse(bad).unwrap_err();
            assert_eq!(
                e.message, "A value provided cannot be converted into a number",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn thirty_eight_digits_and_the_exponent_range() {
        // Alternator's test_number.py, which runs against DynamoDB too.
        for ok in [
            "3.1415926535897932384626433832795028841",
            "314159265358979323846.26433832795028841",
            "31415926535897932384626433832795028841e30",
            "1e125",
            "9.99999999e125",
            "1e-130",
            "-1e-130",
        ] {
            assert!(Number::parse(ok).is_ok(), "{ok}");
        }
        for (bad, word) in [
            ("3.14159265358979323846264338327950288419", "significant"),
            ("314159265358979323846264338327950288419e30", "significant"),
            ("1e126", "overflow"),
            ("11e125", "overflow"),
            ("-1e126", "overflow"),
            ("1e-131", "underflow"),
            ("0.9e-130", "underflow"),
            ("1e100000000000000000000", "overflow"),
        ] {
            let e = Number::parse(bad).unwrap_err();
            assert!(e.message.contains(word), "{bad}: {}", e.message);
        }
        // 1e50 + 1 needs 51 digits: DynamoDB calls it an overflow.
        let e = n("1e50").add(&n("1")).unwrap_err();
        assert!(e.message.starts_with("Number overflow"), "{}", e.message);
        assert_eq!(
            n("10000000000000000000000")
                .add(&n("1"))
                .unwrap()
                .to_string(),
            "10000000000000000000001"
        );
    }

    #[test]
    fn values_round_trip_through_json_and_sets_refuse_duplicates() {
        let json: Value = serde_json::from_str(
            r#"{"a":{"S":""},"b":{"N":"1.0"},"c":{"B":"AAE="},"d":{"BOOL":false},"e":{"NULL":true},
                "f":{"M":{"x":{"L":[{"N":"1"},{"S":"y"}]}}},"g":{"SS":["a","b"]},"h":{"NS":["1","2"]},"i":{"BS":["AA=="]}}"#,
        )
        .unwrap();
        let item = item_from_json(&json).unwrap();
        assert_eq!(item["b"], AttributeValue::N(n("1")));
        let back = item_to_json(&item);
        assert_eq!(back["b"], json!({"N": "1"}));
        assert_eq!(item_from_json(&back).unwrap(), item);

        let error = |text: &str| {
            AttributeValue::from_json(&serde_json::from_str(text).unwrap()).unwrap_err()
        };
        assert_eq!(
            error(r#"{"NS":["1","1.0"]}"#).message,
            "One or more parameter values were invalid: Input collection [1, 1] contains duplicates."
        );
        assert_eq!(
            error(r#"{"SS":[]}"#).message,
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        assert_eq!(
            error(r#"{"NULL":false}"#).code,
            super::super::error::ErrorCode::ValidationException
        );
        assert_eq!(
            error(r#"{"N":123}"#).code,
            super::super::error::ErrorCode::SerializationException
        );
        assert!(
            error("{}")
                .message
                .starts_with("Supplied AttributeValue is empty")
        );
        assert!(
            error(r#"{"S":"a","N":"1"}"#)
                .message
                .contains("more than one datatypes")
        );
        // Sets equal regardless of order.
        assert_eq!(
            AttributeValue::from_json(&json!({"SS": ["a", "b"]})).unwrap(),
            AttributeValue::from_json(&json!({"SS": ["b", "a"]})).unwrap()
        );
    }

    #[test]
    fn item_sizes_count_names_and_values() {
        let mut item = Item::new();
        item.insert("id".into(), AttributeValue::S("abc".into()));
        item.insert("n".into(), AttributeValue::N(n("12345")));
        assert_eq!(item_size(&item), 2 + 3 + 1 + 4);
        item.insert("big".into(), AttributeValue::S("x".repeat(MAX_ITEM_BYTES)));
        assert_eq!(
            check_item_size(&item).unwrap_err().message,
            "Item size has exceeded the maximum allowed size"
        );
    }

    proptest! {
        #[test]
        fn order_and_sums_agree_with_bigdecimal(
            a in -10_000_000i64..10_000_000, sa in 0u32..6,
            b in -10_000_000i64..10_000_000, sb in 0u32..6,
        ) {
            let x = BigDecimal::new(a.into(), sa.into());
            let y = BigDecimal::new(b.into(), sb.into());
            let (nx, ny) = (n(&x.to_string()), n(&y.to_string()));
            prop_assert_eq!(nx.cmp(&ny), x.cmp(&y));
            let sum = nx.add(&ny).unwrap();
            prop_assert_eq!(sum.to_big(), (&x + &y).normalized());
            prop_assert_eq!(Number::parse(&sum.to_string()).unwrap(), sum);
        }
    }
}
