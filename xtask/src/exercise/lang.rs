//! The language a learner reads `cargo xtask exercise` in: `EXERCISE_LANG=ko`
//! prints Korean only, `EXERCISE_LANG=en` English only, unset (or anything
//! else) both, Korean first.
//!
//! With both languages, sentences (the verdict, the advice, the commands'
//! lines) come in both; the compact parts of a report (case labels, table
//! headers, timeline events, the summary line) stay in English, as the
//! lessons print them, so columns stay aligned and the step-3 report reads
//! as `cargo xtask lesson step3 run` prints it.

use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    Ko,
    En,
    #[default]
    Both,
}

impl Lang {
    /// The environment variable that sets it.
    pub const VAR: &'static str = "EXERCISE_LANG";

    /// The setting, read from the environment once.
    pub fn current() -> Self {
        static CURRENT: OnceLock<Lang> = OnceLock::new();
        *CURRENT.get_or_init(|| Self::parse(std::env::var(Self::VAR).ok().as_deref()))
    }

    /// `ko`, `kr`, `ko_KR.UTF-8` → Korean; `en`, `en_US` → English; else both.
    pub fn parse(value: Option<&str>) -> Self {
        let value = value.unwrap_or("").trim().to_ascii_lowercase();
        if value.starts_with("ko") || value == "kr" {
            Self::Ko
        } else if value.starts_with("en") {
            Self::En
        } else {
            Self::Both
        }
    }

    /// A sentence: with both languages, `ko / en` on one line.
    pub fn say(self, ko: &str, en: &str) -> String {
        match self {
            Self::Ko => ko.to_owned(),
            Self::En => en.to_owned(),
            Self::Both => format!("{ko} / {en}"),
        }
    }

    /// A longer text: with both languages, Korean then English on lines
    /// of their own, each line after the first indented by `indent`.
    pub fn lines(self, ko: &str, en: &str, indent: &str) -> String {
        let ko = ko.trim_end().replace('\n', &format!("\n{indent}"));
        let en = en.trim_end().replace('\n', &format!("\n{indent}"));
        match self {
            Self::Ko => ko,
            Self::En => en,
            Self::Both => format!("{ko}\n{indent}{en}"),
        }
    }

    /// A compact part of a report (a label, a column header, a timeline
    /// event): with both languages, the English the lessons print.
    pub fn term<'a>(self, ko: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Ko => ko,
            Self::En | Self::Both => en,
        }
    }

    /// [`Lang::term`] for text made at run time.
    pub fn term_owned(self, ko: String, en: String) -> String {
        match self {
            Self::Ko => ko,
            Self::En | Self::Both => en,
        }
    }
}

/// Wraps `text` to lines of at most `width` columns (a Hangul syllable
/// counts two), at spaces only: a word longer than the line stays whole.
/// Existing line breaks are kept, and a wrapped line keeps the indentation
/// of the line it came from.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        if columns(line) <= width {
            out.push_str(line);
            continue;
        }
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        let mut current = String::new();
        for word in line[indent.len()..].split(' ') {
            let candidate = if current.is_empty() {
                format!("{indent}{word}")
            } else {
                format!("{current} {word}")
            };
            if columns(&candidate) > width && !current.is_empty() {
                out.push_str(&current);
                out.push('\n');
                current = format!("{indent}{word}");
            } else {
                current = candidate;
            }
        }
        out.push_str(&current);
    }
    out
}

/// `text` padded with spaces to `width` terminal columns.
pub fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(columns(text))))
}

/// Terminal columns: East Asian wide characters (Hangul, CJK) count two.
pub fn columns(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 2,
            0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting() {
        assert_eq!(Lang::parse(Some("ko")), Lang::Ko);
        assert_eq!(Lang::parse(Some("ko_KR.UTF-8")), Lang::Ko);
        assert_eq!(Lang::parse(Some("EN")), Lang::En);
        assert_eq!(Lang::parse(None), Lang::Both);
        assert_eq!(Lang::parse(Some("")), Lang::Both);
        assert_eq!(Lang::Both.say("예", "yes"), "예 / yes");
        assert_eq!(Lang::Ko.say("예", "yes"), "예");
        assert_eq!(Lang::Both.term("작업", "job"), "job");
        assert_eq!(
            Lang::Both.lines("가\n나", "a\nb", "  "),
            "가\n  나\n  a\n  b"
        );
    }

    #[test]
    fn wraps_at_spaces_never_inside_a_word() {
        let text = "  가시성 타임아웃(10초)이 작업(15초)보다 먼저 끝납니다. worker가 아직 일하는 동안 메시지가 다시 보입니다.";
        let wrapped = wrap(text, 40);
        for line in wrapped.lines() {
            assert!(columns(line) <= 40, "{line:?} is {} wide", columns(line));
            assert!(line.starts_with("  "), "{line:?} lost the indentation");
        }
        // Only spaces became line breaks: the words are all there, whole.
        let words = |t: &str| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(words(&wrapped), words(text));
        assert!(wrapped.lines().count() > 1);
        // A word longer than the line stays whole.
        assert_eq!(
            wrap("a https://example.com/long b", 8),
            "a\nhttps://example.com/long\nb"
        );
        assert_eq!(wrap("short\n\nlines", 80), "short\n\nlines");
    }
}
