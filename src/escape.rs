//! Text from Okta (labels, ids, kids) escaped for where it is written. Okta returns whatever an
//! admin or an integration typed, so a label can carry an escape sequence that retitles a
//! terminal, a bidirectional override that reorders a plan line, or a line break that ends a
//! YAML comment early. Each sink has one function here, and every place that writes such text
//! to that sink goes through it:
//!
//! - [`terminal`]: the text output, progress lines and error messages;
//! - [`json`]: JSON output, which is often read on a terminal too;
//! - [`yaml_comment`]: the comments `config::emit` writes next to app ids (scalars go through
//!   the YAML serializer instead);
//! - Markdown escapes HTML and Markdown syntax on top of [`terminal`] (`render/markdown.rs`).
//!
//! It sits below both `config` and `render` so that either can use it; it must never depend
//! on another module of the crate.
//!
//! Escaped characters are written as Rust writes them, `\u{1b}`, so that they stay visible and
//! a reader can tell what was there.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` for a terminal: control characters, line and paragraph separators, bidirectional
/// controls and invisible characters are written as `\u{…}`; everything else is unchanged.
pub fn terminal(text: &str) -> Cow<'_, str> {
    escape(text)
}

/// `text` for a YAML comment: nothing in it can end the comment. YAML 1.1 parsers, such as the
/// one keyshare reads with, end a line at NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH
/// SEPARATOR (U+2029) as well as at `\n` and `\r`, and refuse a file with other control
/// characters or a byte-order mark inside: all are escaped.
pub fn yaml_comment(text: &str) -> Cow<'_, str> {
    escape(text)
}

/// Serialized JSON with every character [`terminal`] escapes written as a `\uXXXX` escape.
/// serde_json escapes C0 controls inside strings, so a raw `\n`, `\r` or tab is layout and
/// stays; every other such character can occur only inside a string (JSON's own syntax is
/// ASCII), where the escape decodes to the same text, so the JSON means exactly what it did.
pub fn json(serialized: &str) -> Cow<'_, str> {
    let escaped = |c: char| hidden(c) && !matches!(c, '\n' | '\r' | '\t');
    if !serialized.chars().any(escaped) {
        return Cow::Borrowed(serialized);
    }
    let mut out = String::with_capacity(serialized.len() + 8);
    for c in serialized.chars() {
        if escaped(c) {
            // Every hidden character is in the Basic Multilingual Plane: one escape each.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes every [`hidden`] character of `text` as `\u{…}`.
fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// True for a character that acts on the display instead of showing: C0 and C1 controls and
/// DEL (tab and newline included: one value is one line), line and paragraph separators,
/// bidirectional controls, zero-width spaces and joiners that are not part of a script's
/// spelling, the byte-order mark, and the noncharacters U+FFFE and U+FFFF.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{180e}'
                | '\u{200b}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{fffe}'
                | '\u{ffff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_acts_on_the_display_and_keeps_the_rest() {
        assert!(matches!(
            terminal("Finance EU (Zürich) ✓"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            terminal("App\u{1b}]0;owned\u{7}\tx\ny\u{9b}z"),
            "App\\u{1b}]0;owned\\u{7}\\u{9}x\\u{a}y\\u{9b}z"
        );
        assert_eq!(
            yaml_comment("a\u{85}b\u{2028}c\u{2029}d\re\u{feff}"),
            "a\\u{85}b\\u{2028}c\\u{2029}d\\u{d}e\\u{feff}"
        );
        assert_eq!(terminal("x\u{202e}y\u{200b}z"), "x\\u{202e}y\\u{200b}z");
        let label = "App\u{9b}8m\u{202e}\u{1b}";
        let serialized = serde_json::to_string_pretty(&[label]).unwrap();
        let escaped = json(&serialized);
        assert_eq!(escaped, "[\n  \"App\\u009b8m\\u202e\\u001b\"\n]");
        assert_eq!(
            serde_json::from_str::<[String; 1]>(&escaped).unwrap(),
            [label]
        );
        // Joiners are part of how some scripts and emoji are spelled.
        assert_eq!(terminal("می\u{200c}خواهم"), "می\u{200c}خواهم");
    }
}
