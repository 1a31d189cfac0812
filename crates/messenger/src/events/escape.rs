//! Facebook's JSON serialisation: ASCII only, every other character as a
//! lowercase `\uXXXX` escape (astral characters as surrogate pairs). Meta
//! signs these bytes, so an emulator must produce them to be faithful.

use serde::Serialize;
use serde_json::ser::Formatter;
use serde_json::Value;
use std::io;

/// `v` as compact JSON with every non-ASCII character escaped, e.g.
/// `{"text":"h\u00e4"}`.
pub fn escape_unicode_json(v: &Value) -> String {
    to_facebook_json(v, false)
}

/// Any serialisable value as Facebook-style JSON (field order as given by the
/// value; `escape_slashes` also writes `/` as `\/`, as some payloads show).
pub fn to_facebook_json<T: Serialize + ?Sized>(value: &T, escape_slashes: bool) -> String {
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, AsciiFormatter { escape_slashes });
    value
        .serialize(&mut ser)
        .expect("serialising to memory cannot fail for JSON-shaped values");
    String::from_utf8(out).expect("the formatter writes ASCII only")
}

/// Compact JSON (the trait's defaults) with ASCII-only strings.
struct AsciiFormatter {
    escape_slashes: bool,
}

impl Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut units = [0u16; 2];
        for c in fragment.chars() {
            if c == '/' && self.escape_slashes {
                w.write_all(b"\\/")?;
            } else if c.is_ascii() {
                w.write_all(&[c as u8])?;
            } else {
                for u in c.encode_utf16(&mut units) {
                    write!(w, "\\u{:04x}", u)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn non_ascii_text_is_escaped_with_lowercase_hex() {
        assert_eq!(
            escape_unicode_json(&json!({"text": "Hä"})),
            r#"{"text":"H\u00e4"}"#
        );
        assert_eq!(escape_unicode_json(&json!("€")), r#""\u20ac""#);
    }

    #[test]
    fn astral_characters_become_surrogate_pairs() {
        assert_eq!(escape_unicode_json(&json!("👍")), r#""\ud83d\udc4d""#);
    }

    #[test]
    fn ascii_controls_and_quotes_keep_json_escapes() {
        assert_eq!(escape_unicode_json(&json!("a\"b\\c\nd")), r#""a\"b\\c\nd""#);
    }

    #[test]
    fn slashes_are_escaped_only_on_request() {
        let v = json!({"url": "https://x/y"});
        assert_eq!(to_facebook_json(&v, false), r#"{"url":"https://x/y"}"#);
        assert_eq!(to_facebook_json(&v, true), r#"{"url":"https:\/\/x\/y"}"#);
    }

    #[test]
    fn escaped_output_reads_back_to_the_same_value() {
        let v = json!({"k€y": ["ü", "😀", 1, null, {"a": "日本"}]});
        let s = escape_unicode_json(&v);
        assert!(s.is_ascii());
        assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), v);
    }
}
