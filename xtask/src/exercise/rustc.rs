//! The compiler's own words for a learner: `exercise check` builds with
//! cargo's JSON messages and shows the first error or two as rustc renders
//! them for humans (the `-->` location, the code excerpt, `help:` and
//! `note:`), never cut to one line and never the whole wall, then a short
//! note in Korean and English for the errors a JavaScript developer meets
//! first, keyed by error code, with `rustc --explain`.
//!
//! rustc's diagnostics are the best Rust teacher a beginner has; the notes
//! only say in the learner's language what the error means and the usual
//! way out, with a two-line example.

use serde_json::Value;

use super::lang::Lang;

/// One compiler message about the learner's crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub level: String,
    /// `E0308`, or a lint's name (`unused_must_use`); empty when neither.
    pub code: String,
    /// The one-line message (`mismatched types`).
    pub message: String,
    /// As rustc prints it for humans (with colours when asked for).
    pub rendered: String,
}

/// The compiler messages in cargo's `--message-format json...` output
/// (one JSON object a line; other lines are ignored). The summary lines
/// (`aborting due to 2 previous errors`, `1 warning emitted`) are left out.
pub fn diagnostics(stdout: &str) -> Vec<Diagnostic> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|v| v["reason"] == "compiler-message")
        .filter_map(|v| {
            let message = &v["message"];
            let level = message["level"].as_str()?.to_owned();
            let text = message["message"].as_str().unwrap_or_default().to_owned();
            if message["spans"].as_array().is_some_and(|s| s.is_empty())
                && (text.starts_with("aborting due to")
                    || text.ends_with("warning emitted")
                    || text.ends_with("warnings emitted"))
            {
                return None;
            }
            Some(Diagnostic {
                level,
                code: message["code"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                message: text,
                rendered: message["rendered"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_end()
                    .to_owned(),
            })
        })
        .collect()
}

/// How many errors are shown: the first often causes the next.
pub const SHOWN: usize = 2;

/// The first errors as rustc renders them, how many more there are, and a
/// note for each kind shown.
pub fn explain_errors(errors: &[&Diagnostic], lang: Lang) -> String {
    let mut out = String::new();
    for error in errors.iter().take(SHOWN) {
        out.push_str(&error.rendered);
        out.push_str("\n\n");
    }
    if errors.len() > SHOWN {
        out.push_str(&lang.lines(
            &format!(
                "... 에러가 {}개 더 있습니다. 위의 것부터 고치세요. 하나가 다음 에러를 부르는 일이 많습니다.",
                errors.len() - SHOWN
            ),
            &format!(
                "... and {} more: fix these first, one often causes the next.",
                errors.len() - SHOWN
            ),
            "",
        ));
        out.push('\n');
    }
    let mut noted = Vec::new();
    for error in errors.iter().take(SHOWN) {
        if let Some(note) = note(error)
            && !noted.contains(&note.key)
        {
            noted.push(note.key);
            out.push('\n');
            out.push_str(&note.render(lang));
        }
    }
    out
}

/// What a learner should know of a warning that hides a bug (a future
/// never awaited), or `None`.
pub fn explain_warning(warning: &Diagnostic, lang: Lang) -> Option<String> {
    let note = note(warning)?;
    Some(format!("{}\n\n{}", warning.rendered, note.render(lang)))
}

/// Whether a warning says a future was made and never `.await`ed.
pub fn is_unawaited_future(warning: &Diagnostic) -> bool {
    warning.code == "unused_must_use" && warning.rendered.contains("futures do nothing")
}

/// A note on one kind of error.
struct Note {
    key: &'static str,
    ko: &'static str,
    en: &'static str,
    /// A two-line example, the same in both languages (code).
    example: &'static str,
    /// For `rustc --explain`, when the error has a code.
    code: Option<&'static str>,
}

impl Note {
    fn render(&self, lang: Lang) -> String {
        let mut out = lang.lines(
            &format!("참고 ({}): {}", self.key, self.ko),
            &format!("Note ({}): {}", self.key, self.en),
            "",
        );
        out.push('\n');
        for line in self.example.lines() {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
        if let Some(code) = self.code {
            out.push_str(&format!(
                "  {}\n",
                lang.say(
                    &format!("자세히: rustc --explain {code}"),
                    &format!("more: rustc --explain {code}")
                )
            ));
        }
        out
    }
}

/// The note for `d`, if it is a kind a JavaScript developer meets first.
fn note(d: &Diagnostic) -> Option<Note> {
    let text = format!("{}\n{}", d.message, d.rendered);
    let has = |s: &str| text.contains(s);
    Some(match d.code.as_str() {
        "E0308" if has("expected `f64`, found integer") || has("expected `f32`, found integer") => {
            Note {
                key: "E0308 float",
                ko: "Rust는 정수와 실수를 저절로 바꾸지 않습니다. f64 자리에는 1이 아니라 1.0처럼 소수점이 있는 리터럴을 씁니다.",
                en: "Rust does not turn integers into floats by itself: where an f64 is expected, write a literal with a point, 1.0 rather than 1.",
                example: "let x: f64 = 1;    // error[E0308]\nlet x: f64 = 1.0;  // ok",
                code: Some("E0308"),
            }
        }
        "E0308" if has("expected `StatusCode`") => Note {
            key: "E0308 StatusCode",
            ko: "HTTP 상태는 숫자가 아니라 StatusCode 값입니다. 400 대신 StatusCode::BAD_REQUEST, 200 대신 StatusCode::OK를 씁니다.",
            en: "An HTTP status is a StatusCode value, not a number: StatusCode::BAD_REQUEST rather than 400, StatusCode::OK rather than 200.",
            example: "return (400, message);                      // error[E0308]\nreturn (StatusCode::BAD_REQUEST, message);  // ok",
            code: Some("E0308"),
        },
        "E0308"
            if has("expected `String`, found `&str`")
                || has("expected `String`, found `&'static str`") =>
        {
            Note {
                key: "E0308 String",
                ko: "\"...\" 리터럴은 &str(빌린 문자열)이고, String(가진 문자열)이 필요한 곳에는 .to_string()이나 String::from(...)으로 바꿉니다.",
                en: "A \"...\" literal is a &str (a borrowed string); where a String (an owned one) is expected, convert it with .to_string() or String::from(...).",
                example: "let s: String = \"hi\";              // error[E0308]\nlet s: String = \"hi\".to_string();  // ok",
                code: Some("E0308"),
            }
        }
        "E0308" if has("expected `&str`, found `String`") => Note {
            key: "E0308 &str",
            ko: "String이 있는데 &str이 필요하면 앞에 &를 붙여 빌려 줍니다(&s 또는 s.as_str()).",
            en: "You have a String where a &str is expected: lend it with & (&s, or s.as_str()).",
            example: "takes_str(s);   // error[E0308]: s is a String\ntakes_str(&s);  // ok",
            code: Some("E0308"),
        },
        "E0308" if has("expected `Response") || has("found `(") => Note {
            key: "E0308 tuple",
            ko: "함수가 약속한 반환 타입과 다른 값을 돌려주고 있습니다. JavaScript처럼 아무 값이나 돌려줄 수 없습니다. 함수 첫 줄의 -> 뒤 타입을 보고 그 타입의 값을 만드세요.",
            en: "The function returns a value of another type than it promised. Unlike JavaScript, the type after -> on its first line is a contract: build a value of that type.",
            example: "fn f() -> (StatusCode, String) { (400, msg) }                      // error[E0308]\nfn f() -> (StatusCode, String) { (StatusCode::BAD_REQUEST, msg) }  // ok",
            code: Some("E0308"),
        },
        "E0308" => Note {
            key: "E0308",
            ko: "타입이 맞지 않습니다. expected(필요한 타입)와 found(준 값의 타입)를 비교하세요. 숫자 타입끼리는 .into()나 .try_into()로, 문자열은 .to_string()이나 &로 바꾸는 일이 많습니다. rustc의 help: 줄이 방법을 알려 줄 때가 많습니다.",
            en: "The types do not match: compare expected (what is needed) with found (what you gave). Numbers convert with .into() or .try_into(), strings with .to_string() or &. rustc's help: line often says how.",
            example: "let n: i32 = count;             // error[E0308]: count is a u32\nlet n: i32 = count.try_into()?; // ok",
            code: Some("E0308"),
        },
        "E0425" => Note {
            key: "E0425",
            ko: "그 이름을 찾을 수 없습니다. 철자, 선언하기 전에 썼는지, 다른 모듈에 있으면 use로 가져왔는지 보세요. JavaScript와 달리 선언 없이 쓰는 변수는 없습니다.",
            en: "That name cannot be found: check the spelling, that it is declared before use, and that a name from another module is brought in with use. Unlike JavaScript, no variable exists without a declaration.",
            example: "sleep(d).await;                  // error[E0425]\nuse tokio::time::sleep; sleep(d).await;  // ok",
            code: Some("E0425"),
        },
        "E0599" => Note {
            key: "E0599",
            ko: "그 타입에는 그런 메서드가 없습니다. 메서드 이름(철자), 값의 타입(Option이면 먼저 꺼내야 합니다), 트레이트 메서드라면 그 트레이트를 use했는지 보세요.",
            en: "That type has no such method: check the name, the value's type (an Option must be unwrapped first), and, for a trait's method, that the trait is in scope with use.",
            example: "record.body.len()                          // error[E0599]: body is an Option<String>\nrecord.body.as_deref().unwrap_or(\"\").len()  // ok",
            code: Some("E0599"),
        },
        "E0639" => Note {
            key: "E0639",
            ko: "#[non_exhaustive] 구조체는 다른 크레이트에서 { 필드: 값 } 리터럴로 만들 수 없습니다. Default로 만든 다음 필드를 채웁니다.",
            en: "A #[non_exhaustive] struct cannot be built with a { field: value } literal outside its crate: make a default one, then set its fields.",
            example: "let f = BatchItemFailure { item_identifier: id };  // error[E0639]\nlet mut f = BatchItemFailure::default(); f.item_identifier = id;  // ok",
            code: Some("E0639"),
        },
        "E0382" | "E0507" => Note {
            key: if d.code == "E0382" { "E0382" } else { "E0507" },
            ko: "값이 이미 다른 곳으로 옮겨졌습니다(move). Rust에서 값은 주인이 하나뿐입니다. 계속 쓰려면 빌려 주거나(&) 복사본을 넘기세요(.clone()).",
            en: "The value was moved elsewhere: in Rust a value has one owner. To keep using it, lend it (&) or pass a copy (.clone()).",
            example: "send(body); log(body);          // error[E0382]: body moved\nsend(body.clone()); log(body);  // ok (or send(&body) when it borrows)",
            code: Some(if d.code == "E0382" { "E0382" } else { "E0507" }),
        },
        "E0502" | "E0499" => Note {
            key: "E0502",
            ko: "값을 빌려 쓰는 동안 그 값을 바꾸려 했습니다. 빌린 것(&)을 다 쓴 다음에 바꾸거나, 필요한 값을 먼저 복사해 두세요.",
            en: "The value is borrowed while you try to change it: finish with the borrow (&) before the change, or copy what you need first.",
            example: "let first = &v[0]; v.push(1); use(first);  // error[E0502]\nlet first = v[0]; v.push(1); use(first);   // ok (a copy)",
            code: Some("E0502"),
        },
        "E0061" => Note {
            key: "E0061",
            ko: "함수에 넘긴 인자의 개수가 정의와 다릅니다. JavaScript와 달리 빠진 인자가 undefined가 되지 않습니다. 정의(rustc가 보여 주는 note:)를 보고 개수를 맞추세요.",
            en: "The call passes another number of arguments than the function takes. Unlike JavaScript, a missing argument is not undefined: match the definition rustc shows in its note:.",
            example: "beat(&records)                              // error[E0061]\nbeat(&records, seconds, every, log).await   // ok",
            code: Some("E0061"),
        },
        "E0277" if has("`?` operator") => Note {
            key: "E0277 ?",
            ko: "?는 Result(또는 Option)를 돌려주는 함수 안에서만 쓸 수 있습니다. 에러를 여기서 처리하려면 match나 if let으로 나누세요.",
            en: "? only works in a function that returns a Result (or an Option): to handle the error here, split the cases with match or if let.",
            example: "let job = parse(body)?;                      // error[E0277] in fn -> Response\nlet job = match parse(body) { Ok(j) => j, Err(e) => return bad_request(e) };",
            code: Some("E0277"),
        },
        "E0277" if has("cannot add") || has("cannot subtract") || has("cannot multiply") => Note {
            key: "E0277 numbers",
            ko: "서로 다른 숫자 타입끼리는 더하거나 뺄 수 없습니다(정수와 실수, i64와 u32 등). 한쪽을 다른 쪽 타입으로 바꾸거나, 실수면 1.0처럼 씁니다.",
            en: "Numbers of different types do not mix (an integer and a float, an i64 and a u32): convert one side, or write a float as 1.0.",
            example: "let y = x + 1;    // error[E0277] when x is an f64\nlet y = x + 1.0;  // ok",
            code: Some("E0277"),
        },
        "" if d.level == "error" && (has("expected `;`") || has("expected one of")) => Note {
            key: ";",
            ko: "문장 끝의 ;나 괄호가 빠졌습니다. rustc가 가리키는 위치의 바로 앞 줄을 보세요.",
            en: "A ; at the end of a statement, or a bracket, is missing: look at the line just before the place rustc points at.",
            example: "let a = 1       // error: expected `;`\nlet a = 1;      // ok",
            code: None,
        },
        "" if d.level == "error"
            && (has("unclosed delimiter") || has("unexpected closing delimiter")) =>
        {
            Note {
                key: "}",
                ko: "여는 괄호와 닫는 괄호({ }, ( ))의 짝이 맞지 않습니다. 에디터에서 괄호 짝을 따라가 보세요. 에러가 가리키는 곳보다 앞에서 빠진 경우가 많습니다.",
                en: "Opening and closing brackets ({ }, ( )) do not pair: follow the pairs in your editor; the missing one is often before the place the error points at.",
                example: "fn f() { if x { y() }    // error: unclosed delimiter\nfn f() { if x { y() } }  // ok",
                code: None,
            }
        }
        "unused_must_use" if has("futures do nothing") => Note {
            key: ".await",
            ko: "async 함수를 부르면 Future가 만들어질 뿐, .await하기 전에는 아무 일도 일어나지 않습니다. JavaScript의 Promise와 달리 저절로 실행되지 않습니다.",
            en: "Calling an async function only makes a future: nothing happens until it is .awaited. Unlike a JavaScript Promise, it does not start by itself.",
            example: "sleep(self.work);        // warning: unused future, nothing waits\nsleep(self.work).await;  // ok",
            code: None,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(level: &str, code: &str, text: &str, rendered: &str) -> String {
        serde_json::json!({
            "reason": "compiler-message",
            "package_id": "ex-1-2-validate",
            "message": {
                "level": level,
                "code": if code.is_empty() { Value::Null } else { serde_json::json!({"code": code}) },
                "message": text,
                "spans": [{}],
                "rendered": rendered,
            }
        })
        .to_string()
    }

    #[test]
    fn the_errors_are_shown_as_rustc_renders_them_with_a_note() {
        let rendered = "error[E0308]: mismatched types\n  --> exercises/1-2-validate/src/lib.rs:24:10\n   |\n24 |         (400, message)\n   |          ^^^ expected `StatusCode`, found integer\n   |\nhelp: ...\n";
        let stdout = [
            r#"{"reason":"compiler-artifact"}"#.to_owned(),
            message("error", "E0308", "mismatched types", rendered),
            message(
                "error",
                "",
                "aborting due to 1 previous error",
                "error: aborting",
            ),
            "not json".to_owned(),
        ]
        .join("\n");
        let found = diagnostics(&stdout);
        assert_eq!(found.len(), 2, "{found:?}");
        let errors: Vec<&Diagnostic> = found.iter().filter(|d| d.level == "error").collect();
        let shown = explain_errors(&errors[..1], Lang::Both);
        assert!(
            shown.contains("--> exercises/1-2-validate/src/lib.rs:24:10"),
            "{shown}"
        );
        assert!(
            shown.contains("^^^ expected `StatusCode`, found integer"),
            "{shown}"
        );
        assert!(shown.contains("help: ..."), "{shown}");
        assert!(shown.contains("참고 (E0308"), "{shown}");
        assert!(shown.contains("rustc --explain E0308"), "{shown}");
        let ko = explain_errors(&errors[..1], Lang::Ko);
        assert!(!ko.contains("Note ("), "{ko}");
    }

    #[test]
    fn only_the_first_two_errors_are_shown() {
        let stdout: Vec<String> = (0..5)
            .map(|i| {
                message(
                    "error",
                    "E0425",
                    "cannot find value",
                    &format!("error[E0425]: number {i}"),
                )
            })
            .collect();
        let found = diagnostics(&stdout.join("\n"));
        let errors: Vec<&Diagnostic> = found.iter().collect();
        let shown = explain_errors(&errors, Lang::En);
        assert!(
            shown.contains("number 0") && shown.contains("number 1"),
            "{shown}"
        );
        assert!(!shown.contains("number 2"), "{shown}");
        assert!(shown.contains("and 3 more"), "{shown}");
        assert_eq!(shown.matches("Note (E0425)").count(), 1, "{shown}");
    }

    /// Each error a JavaScript developer meets first has its note, with an
    /// example, in both languages.
    #[test]
    fn the_common_errors_have_notes() {
        let cases = [
            (
                "E0308",
                "mismatched types",
                "expected `StatusCode`, found integer",
                "E0308 StatusCode",
            ),
            (
                "E0308",
                "mismatched types",
                "expected `String`, found `&str`",
                "E0308 String",
            ),
            (
                "E0308",
                "mismatched types",
                "expected `f64`, found integer",
                "E0308 float",
            ),
            (
                "E0308",
                "mismatched types",
                "expected `i32`, found `u32`",
                "E0308",
            ),
            ("E0425", "cannot find value `x` in this scope", "", "E0425"),
            ("E0599", "no method named `foo` found", "", "E0599"),
            (
                "E0639",
                "cannot create non-exhaustive struct using struct expression",
                "",
                "E0639",
            ),
            ("E0382", "use of moved value: `body`", "", "E0382"),
            (
                "E0507",
                "cannot move out of `*x` which is behind a shared reference",
                "",
                "E0507",
            ),
            (
                "E0502",
                "cannot borrow `v` as mutable because it is also borrowed as immutable",
                "",
                "E0502",
            ),
            (
                "E0061",
                "this function takes 4 arguments but 1 argument was supplied",
                "",
                "E0061",
            ),
            (
                "E0277",
                "the `?` operator can only be used in a function that returns `Result`",
                "",
                "E0277 ?",
            ),
            (
                "E0277",
                "cannot add a float to an integer",
                "",
                "E0277 numbers",
            ),
            ("", "expected `;`, found `let`", "", ";"),
            ("", "this file contains an unclosed delimiter", "", "}"),
        ];
        for (code, text, detail, key) in cases {
            let d = Diagnostic {
                level: "error".into(),
                code: code.into(),
                message: text.into(),
                rendered: format!("error: {text}\n{detail}"),
            };
            let note = note(&d).unwrap_or_else(|| panic!("no note for {code} {text}"));
            assert_eq!(note.key, key, "{code} {text}");
            assert!(note.example.lines().count() == 2, "{key}: {}", note.example);
            let both = note.render(Lang::Both);
            assert!(both.contains("참고") && both.contains("Note"), "{both}");
        }
    }

    #[test]
    fn a_future_never_awaited_is_named() {
        let w = Diagnostic {
            level: "warning".into(),
            code: "unused_must_use".into(),
            message: "unused implementer of `Future` that must be used".into(),
            rendered: "warning: unused implementer of `Future` that must be used\n  = note: futures do nothing unless you `.await` or poll them".into(),
        };
        assert!(is_unawaited_future(&w));
        let shown = explain_warning(&w, Lang::Ko).unwrap();
        assert!(shown.contains(".await하기 전에는 아무 일도"), "{shown}");
    }
}
