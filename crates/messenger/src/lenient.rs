//! Lenient decoding of ids and numbers.
//!
//! Facebook documents ids as JSON strings and times as integers, but samples
//! and captures show `app_id` as a number, sticker ids as numbers, and the
//! occasional numeric string. Parsing must accept both so that a harmless
//! shape change never turns an event into an error.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// A JSON string or number read as a `String` (numbers keep their digits).
pub(crate) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(IdVisitor)
}

/// Like [`id`], for optional fields (absent or `null` is `None`).
pub(crate) fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<LenientId>::deserialize(d)?.map(|v| v.0))
}

/// A list of ids, each a string or a number.
pub(crate) fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<LenientId>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.0)
        .collect())
}

/// An integer given as a number (integral or not) or a numeric string.
pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = Value::deserialize(d)?;
    int_of(&v).ok_or_else(|| de::Error::custom(format!("expected an integer, got {v}")))
}

/// Like [`int`], for optional fields.
pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => int_of(&v)
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("expected an integer, got {v}"))),
    }
}

/// A boolean given as `true`/`false`, `"true"`/`"false"` or 1/0.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(flag_of(v.as_ref()))
}

pub(crate) fn flag_of(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true") || s == "1",
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

/// The integer in `v`, if it is one (number or numeric string).
pub(crate) fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().and_then(|u| i64::try_from(u).ok()))
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

/// The id in `v`, if it is a string or a number.
pub(crate) fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Writes an id back the way Facebook does for fields it sends as numbers:
/// digits become a JSON number, anything else stays a string.
pub(crate) fn numeric_id_value(id: &str) -> Value {
    match id.parse::<u64>() {
        Ok(n) if !id.starts_with('0') || id == "0" => Value::from(n),
        _ => Value::from(id),
    }
}

/// Like [`id`], where `null` reads as an empty string.
pub(crate) fn id_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_id(d)?.unwrap_or_default())
}

/// Serialises an optional id the way Facebook writes app and sticker ids:
/// as a JSON number when it is all digits.
pub(crate) fn ser_opt_numeric_id<S: serde::Serializer>(
    id: &Option<String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match id {
        Some(id) => numeric_id_value(id).serialize(s),
        None => s.serialize_none(),
    }
}

struct LenientId(String);

impl<'de> Deserialize<'de> for LenientId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdVisitor).map(LenientId)
    }
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an id (string or number)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(format!("{v:.0}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "id")]
        a: String,
        #[serde(default, deserialize_with = "opt_int")]
        b: Option<i64>,
    }

    #[test]
    fn ids_and_integers_are_read_from_strings_or_numbers() {
        let t: T = serde_json::from_value(json!({"a": 263902037430900u64, "b": "17"})).unwrap();
        assert_eq!(t.a, "263902037430900");
        assert_eq!(t.b, Some(17));
        let t: T = serde_json::from_value(json!({"a": "x1"})).unwrap();
        assert_eq!((t.a.as_str(), t.b), ("x1", None));
    }

    #[test]
    fn numeric_ids_are_written_back_as_numbers() {
        assert_eq!(numeric_id_value("1234"), json!(1234));
        assert_eq!(numeric_id_value("app-x"), json!("app-x"));
        assert_eq!(numeric_id_value("0123"), json!("0123"));
    }
}
