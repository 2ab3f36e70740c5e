//! The tokens of DynamoDB's expressions.
//!
//! Facts from AWS (DDB-DG "Using expressions in DynamoDB", and Alternator's
//! `test_update_expression.py::test_update_expression_name_token`, which
//! runs against DynamoDB):
//! - an attribute name written literally is a letter followed by letters,
//!   digits and `_` (`_abc`, `123a`, `hi-there` are syntax errors);
//! - `#name` and `:value` references are `#`/`:` followed by one or more
//!   letters, digits or `_` (`#123`, `:_` are fine; `#` alone is not);
//! - list indexes are decimal digits only (`a[-1]`, `a[:i]` are syntax
//!   errors);
//! - whitespace between tokens is ignored; keywords (`AND`, `SET`, ...) are
//!   case-insensitive, function names are not.
//!
//! Anything else becomes an [`Tok::Unknown`] token, so the parser can report
//! it in AWS's form (`Syntax error; token: "_", near: "SET _123"`).

/// One kind of token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A literal attribute name, keyword or function name.
    Name,
    /// `#name`.
    NameRef,
    /// `:value`.
    ValueRef,
    /// Decimal digits (a list index).
    Number,
    /// `=`, `<>`, `<`, `<=`, `>`, `>=`, `(`, `)`, `[`, `]`, `,`, `.`, `+`, `-`.
    Sym,
    /// A character that starts no token.
    Unknown,
    /// The end of the text.
    Eof,
}

/// A token and where it is in the text (byte offsets).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

/// Splits `text` into tokens; the last is always [`Tok::Eof`].
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let run = |mut j: usize, pred: &dyn Fn(u8) -> bool| {
        while j < bytes.len() && pred(bytes[j]) {
            j += 1;
        }
        j
    };
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        let (kind, end) = if b.is_ascii_alphabetic() {
            (Tok::Name, run(i + 1, &word))
        } else if b.is_ascii_digit() {
            (Tok::Number, run(i + 1, &|b: u8| b.is_ascii_digit()))
        } else if b == b'#' || b == b':' {
            let end = run(i + 1, &word);
            if end == i + 1 {
                (Tok::Unknown, i + 1)
            } else if b == b'#' {
                (Tok::NameRef, end)
            } else {
                (Tok::ValueRef, end)
            }
        } else if matches!(
            (b, bytes.get(i + 1)),
            (b'<', Some(b'=' | b'>')) | (b'>', Some(b'='))
        ) {
            // `<=`, `<>`, `>=`.
            (Tok::Sym, i + 2)
        } else if b"=<>()[],.+-".contains(&b) {
            (Tok::Sym, i + 1)
        } else {
            // One whole character, however many bytes it takes.
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            (Tok::Unknown, i + len)
        };
        tokens.push(Token {
            kind,
            start: i,
            end,
        });
        i = end;
    }
    tokens.push(Token {
        kind: Tok::Eof,
        start: text.len(),
        end: text.len(),
    });
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Tok, &str)> {
        tokenize(text)
            .into_iter()
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn tokens_follow_dynamodb_rules() {
        assert_eq!(
            kinds("SET _123 = :v"),
            vec![
                (Tok::Name, "SET"),
                (Tok::Unknown, "_"),
                (Tok::Number, "123"),
                (Tok::Sym, "="),
                (Tok::ValueRef, ":v"),
                (Tok::Eof, ""),
            ]
        );
        assert_eq!(
            kinds("a<>#1_b<=c[12]ü"),
            vec![
                (Tok::Name, "a"),
                (Tok::Sym, "<>"),
                (Tok::NameRef, "#1_b"),
                (Tok::Sym, "<="),
                (Tok::Name, "c"),
                (Tok::Sym, "["),
                (Tok::Number, "12"),
                (Tok::Sym, "]"),
                (Tok::Unknown, "ü"),
                (Tok::Eof, ""),
            ]
        );
        assert_eq!(kinds("# :")[0].0, Tok::Unknown);
        assert_eq!(kinds("# :")[1].0, Tok::Unknown);
    }
}
