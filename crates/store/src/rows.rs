//! Conversions between Rust values and the portable column types: UUIDv7
//! text ids, millisecond BIGINT times, and enums in their text form.

use std::str::FromStr;

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A new id: UUIDv7 text, sortable by creation time and not guessable.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The current time at the precision the database keeps (milliseconds), so
/// a value returned by a write equals the value read back later.
pub(crate) fn now() -> Timestamp {
    truncate(Timestamp::now())
}

/// A timestamp cut to whole milliseconds.
pub(crate) fn truncate(at: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(at.as_millisecond()).expect("a truncated timestamp is in range")
}

pub(crate) fn ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

/// Reads a millisecond column as a timestamp.
pub(crate) fn time(row: &AnyRow, column: &str) -> Result<Timestamp, sqlx::Error> {
    let value: i64 = row.try_get(column)?;
    Timestamp::from_millisecond(value).map_err(|e| decode(column, e))
}

/// Reads a nullable millisecond column.
pub(crate) fn opt_time(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, sqlx::Error> {
    let value: Option<i64> = row.try_get(column)?;
    value
        .map(|v| Timestamp::from_millisecond(v).map_err(|e| decode(column, e)))
        .transpose()
}

/// Reads a text column holding an enum's text form (`admin`, `ring_all`, …).
pub(crate) fn text<T>(row: &AnyRow, column: &str) -> Result<T, sqlx::Error>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let value: String = row.try_get(column)?;
    value.parse().map_err(|e| decode(column, e))
}

fn decode(column: &str, source: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: Box::new(source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_kept_to_the_millisecond() {
        let at: Timestamp = "2026-01-02T03:04:05.678901Z".parse().unwrap();
        assert_eq!(truncate(at).to_string(), "2026-01-02T03:04:05.678Z");
        assert_eq!(ms(truncate(at)), 1_767_323_045_678);
    }

    #[test]
    fn ids_sort_by_creation() {
        let first = new_id();
        let second = new_id();
        assert!(first < second, "{first} should sort before {second}");
    }
}
