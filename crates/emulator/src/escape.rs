//! Facebook's JSON serialisation of webhook bodies: ASCII only, every
//! non-ASCII character as a lowercase `\uXXXX` escape (surrogate pairs above
//! U+FFFF) and `/` as `\/`. Products must verify the signature over these
//! exact bytes, so the emulator signs exactly what it sends.

use serde_json::Value;

/// Serialises `value` the way Facebook does for webhook bodies.
pub fn escape_unicode_json(value: &Value) -> String {
    let plain = serde_json::to_string(value).expect("a Value always serialises");
    let mut out = String::with_capacity(plain.len() + 16);
    let mut units = [0u16; 2];
    for ch in plain.chars() {
        if ch == '/' {
            // Only string contents can contain '/' in JSON text.
            out.push_str("\\/");
        } else if ch.is_ascii() {
            out.push(ch);
        } else {
            for unit in ch.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn non_ascii_text_becomes_lowercase_escapes_and_round_trips() {
        let value = json!({"text": "Grüße 😀 a/b", "n": 1});
        let body = escape_unicode_json(&value);
        assert!(body.is_ascii());
        assert!(
            body.contains("Gr\\u00fc\\u00dfe \\ud83d\\ude00 a\\/b"),
            "{body}"
        );
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), value);
    }
}
