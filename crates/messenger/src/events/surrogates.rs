//! Lone UTF-16 surrogates in `\uXXXX` escapes.
//!
//! Facebook escapes every non-ASCII character, astral ones as surrogate
//! pairs. A visitor's client can still send half a pair (`"\ud83d"`, an emoji
//! cut in two); JSON parsers — serde_json among them — refuse the whole body
//! for it, which lost every other visitor's messages of the same delivery.
//! Before parsing, each lone surrogate escape becomes `\ufffd` (U+FFFD, the
//! replacement character), so the text keeps its place and shape; the raw
//! delivery stays in the inbox for inspection.
//!
//! `\u0000` (NUL) likewise becomes `\u2400` (␀, the symbol for NUL):
//! PostgreSQL cannot store U+0000 in text, so a NUL in a visitor's text or id
//! made the delivery fail on every retry. The symbol shows where it was.

use std::borrow::Cow;

/// `raw` with every lone surrogate escape replaced by `\ufffd` and every
/// `\u0000` by `\u2400`; borrowed unchanged when there is none.
pub fn replace_lone_surrogates(raw: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = unicode_escape(raw, i) else {
            i += 2; // `\"`, `\\`, `\n`, …: the next byte is not an escape
            continue;
        };
        if unit == 0 {
            let buf = out.get_or_insert_with(|| raw.to_vec());
            buf[i..i + 6].copy_from_slice(b"\\u2400");
            i += 6;
            continue;
        }
        let lone = match unit {
            0xD800..=0xDBFF => {
                if matches!(unicode_escape(raw, i + 6), Some(0xDC00..=0xDFFF)) {
                    i += 12; // a whole pair
                    continue;
                }
                true
            }
            0xDC00..=0xDFFF => true, // a low half with no high half before it
            _ => false,
        };
        if lone {
            let buf = out.get_or_insert_with(|| raw.to_vec());
            buf[i..i + 6].copy_from_slice(b"\\ufffd");
        }
        i += 6;
    }
    match out {
        Some(fixed) => Cow::Owned(fixed),
        None => Cow::Borrowed(raw),
    }
}

/// The code unit of a `\uXXXX` escape starting at `at`, if there is one.
fn unicode_escape(raw: &[u8], at: usize) -> Option<u16> {
    let escape = raw.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    u16::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(raw: &str) -> String {
        String::from_utf8(replace_lone_surrogates(raw.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn lone_halves_become_the_replacement_character() {
        assert_eq!(fixed(r#"{"t":"a\ud83d b"}"#), r#"{"t":"a\ufffd b"}"#);
        assert_eq!(fixed(r#"{"t":"\ude00x"}"#), r#"{"t":"\ufffdx"}"#);
        assert_eq!(
            fixed(r#"{"t":"\ud83d\ud83d\ude00"}"#),
            r#"{"t":"\ufffd\ud83d\ude00"}"#
        );
        assert_eq!(fixed(r#"{"t":"end\uD83D"}"#), r#"{"t":"end\ufffd"}"#);
    }

    #[test]
    fn nul_becomes_the_symbol_for_nul() {
        assert_eq!(fixed(r#"{"t":"a\u0000b"}"#), r#"{"t":"a\u2400b"}"#);
    }

    #[test]
    fn pairs_other_escapes_and_escaped_backslashes_are_left_alone() {
        for raw in [
            r#"{"t":"\ud83d\ude00 h\u00e4 \n \" \/"}"#,
            r#"{"t":"\\ud83d is text, not an escape"}"#,
            r#"{"t":"plain"}"#,
        ] {
            assert!(
                matches!(replace_lone_surrogates(raw.as_bytes()), Cow::Borrowed(_)),
                "{raw}"
            );
        }
    }

    #[test]
    fn the_result_parses_as_json() {
        let raw = br#"{"t":"cut \ud83d","u":"ok \ud83d\ude00"}"#;
        assert!(serde_json::from_slice::<serde_json::Value>(raw).is_err());
        let v: serde_json::Value = serde_json::from_slice(&replace_lone_surrogates(raw)).unwrap();
        assert_eq!(v["t"], "cut \u{fffd}");
        assert_eq!(v["u"], "ok \u{1f600}");
    }
}
