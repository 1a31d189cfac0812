//! Text people type into the product (names, automatic messages, replies):
//! which characters it may hold. Control characters — U+0000 above all,
//! which PostgreSQL cannot store in text — are refused with a clear rule
//! instead of failing deep in storage; multi-line texts keep their line
//! breaks and tabs.

use crate::ValidationError;

/// The rule a single-line text with a control character breaks.
pub const NO_CONTROL_CHARACTERS: &str =
    "must not contain control characters (such as line breaks or U+0000)";
/// The rule a multi-line text with a control character breaks.
pub const NO_CONTROL_CHARACTERS_BUT_LINES: &str =
    "must not contain control characters other than line breaks and tabs (such as U+0000)";

/// One line: no control character at all.
pub fn check_line(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new(field, NO_CONTROL_CHARACTERS));
    }
    Ok(())
}

/// Several lines: line breaks (`\n`, `\r`) and tabs, no other control character.
pub fn check_lines(field: &str, value: &str) -> Result<(), ValidationError> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ValidationError::new(field, NO_CONTROL_CHARACTERS_BUT_LINES));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_refuses_every_control_character() {
        assert!(check_line("name", "Ann Öberg 🙂").is_ok());
        for bad in ["a\u{0}b", "a\nb", "a\tb", "a\u{7f}b", "a\u{9b}b"] {
            let e = check_line("name", bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.rule.as_str()),
                ("name", NO_CONTROL_CHARACTERS)
            );
        }
    }

    #[test]
    fn lines_keep_breaks_and_tabs_but_not_nul() {
        assert!(check_lines("text", "Hello,\r\n\tthanks!").is_ok());
        for bad in ["a\u{0}b", "a\u{1b}[31mb", "a\u{7f}"] {
            assert_eq!(
                check_lines("text", bad).unwrap_err().rule,
                NO_CONTROL_CHARACTERS_BUT_LINES
            );
        }
    }
}
