//! Step 1's exercises: the route in `serverless.yml` (1-1) and the extra
//! challenge, the `{input: number}` check (1-2), judged by step 1's own
//! contract (`step1_http::scenario`, played by `lesson step1 run`).

use anyhow::Result;
use http::Method;
use localcloud::client::HttpClient;
use localcloud::lambda::logs::Logs;
use localcloud::server::CancellationToken;

use super::{Advice, Verdict, function_lines};
use crate::exercise::attempt::Attempt;
use crate::exercise::lang::{Lang, columns, pad};
use crate::lesson::step1;

/// 1-1-route: the stack boots from the learner's file, `POST /` reaches
/// their function, and another method gets the HTTP API's own 404.
pub async fn route(attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    let file = attempt.show("serverless.yml");
    let config = match attempt.config(None) {
        Ok(config) => config,
        Err(e) => {
            return Ok(Verdict::fail(
                format!("✗ {e}\n"),
                Advice::new(
                    format!(
                        "{file}을(를) 읽지 못했습니다. 위에 적힌 줄과 키를 보세요. YAML에서는 들여쓰기가 곧 구조입니다."
                    ),
                    format!(
                        "{file} does not read: look at the line and the key above. In YAML the indentation is the structure."
                    ),
                ),
            ));
        }
    };
    let mut report = String::new();
    if config.functions.is_empty() {
        report.push_str(&format!(
            "✗ {file}: {}\n",
            lang.term(
                "`functions:` 아래에 함수가 없습니다",
                "no function under `functions:`"
            )
        ));
        return Ok(Verdict::fail(
            report,
            Advice::new(
                "`functions:` 아래에 함수가 하나도 없습니다. 함수 이름을 쓰고, 그 아래에 handler, package, events를 쓰세요.",
                "There is no function under `functions:`. Write a function's name, and under it its handler, package and events.",
            ),
        ));
    }
    report.push_str(&lang.term_owned(format!("{file}의 경로:\n"), format!("Routes in {file}:\n")));
    for function in &config.functions {
        if function.http_api.is_empty() {
            report.push_str(&format!(
                "  {:<12} {}\n",
                function.key,
                lang.term("(httpApi 이벤트 없음)", "(no httpApi event)")
            ));
        }
        for route in &function.http_api {
            report.push_str(&format!("  {:<12} {}\n", function.key, route.route_key()));
        }
    }
    report.push('\n');
    if let Some(function) = config.functions.iter().find(|f| !attempt.knows(f)) {
        let expected = attempt.expected_artifacts().join(" or ");
        let artifact = function
            .artifact
            .as_ref()
            .map_or(lang.term("(없음)", "missing").to_owned(), |a| {
                a.display().to_string()
            });
        report.push_str(&lang.term_owned(
            format!("✗ 함수 {}: package.artifact = {artifact}\n", function.key),
            format!(
                "✗ function {}: package.artifact is {artifact}\n",
                function.key
            ),
        ));
        return Ok(Verdict::fail(
            report,
            Advice::new(
                format!(
                    "함수 {}의 코드를 찾지 못했습니다. handler: bootstrap 아래 package.artifact에 {expected}를 쓰세요.",
                    function.key
                ),
                format!(
                    "Function {} has no code the check knows: give it `handler: bootstrap` and `package.artifact: {expected}`.",
                    function.key
                ),
            ),
        ));
    }

    let stack = attempt.stack(config, Logs::new(false), None)?;
    let running = stack.serve(0, CancellationToken::new()).await?;
    let url = format!("{}/", running.http_url);
    let client = HttpClient::new();
    let post = client.post_json(&url, r#"{"input": 1}"#).await?;
    let get = client.send(Method::GET, &url, &[], "").await?;
    running.stop();
    stack.lambda.stop_all();

    let expected = r#"{"input":1,"output":2}"#;
    let post_ok = post.status == 200 && post.body_text() == expected;
    report.push_str(&format!(
        "{} POST /  {{\"input\": 1}}  ->  {} {}\n",
        mark(post_ok),
        post.status.as_u16(),
        post.body_text()
    ));
    let get_refused = get.status == 404;
    report.push_str(&format!(
        "{} GET /  ->  {} {}\n",
        mark(get_refused),
        get.status.as_u16(),
        get.body_text()
    ));
    if !post_ok {
        let (ko, en) = if post.status == 404 {
            (
                "POST /에 맞는 경로가 없어서 함수가 아니라 API Gateway(HTTP API)가 직접 404를 돌려주었습니다. 위의 경로 목록에서 method와 path를 보세요.",
                "No route matches POST /, so the HTTP API answered 404 itself, before any function ran. Look at the method and the path in the routes above.",
            )
        } else {
            (
                "요청이 함수까지 갔지만 기대한 답 {\"input\":1,\"output\":2}가 아닙니다. 함수의 artifact가 step1-api인지 보세요.",
                "The request reached a function, but not the answer {\"input\":1,\"output\":2}: check that the function's artifact is step1-api.",
            )
        };
        return Ok(Verdict::fail(report, Advice::new(ko, en)));
    }
    if !get_refused {
        return Ok(Verdict::fail(
            report,
            Advice::new(
                "POST가 아닌 요청(GET /)도 함수까지 갔습니다. 과제는 POST / 경로 하나입니다. method를 post로 정하세요.",
                "A request that is not a POST (GET /) reached the function too: the exercise asks for the one route POST /. Set its method to post.",
            ),
        ));
    }
    Ok(Verdict::pass(report))
}

/// 1-2-validate: step 1's contract, request by request.
pub async fn validate(attempt: &Attempt, lang: Lang) -> Result<Verdict> {
    let config = attempt.config(None)?;
    let logs = Logs::new(false);
    let mut log_rx = logs.subscribe();
    let stack = attempt.stack(config, logs, None)?;
    let running = stack.serve(0, CancellationToken::new()).await?;
    let url = format!("{}/", running.http_url);
    let exchanges = step1::play(&url, &mut log_rx).await?;
    running.stop();
    stack.lambda.stop_all();

    let width = exchanges
        .iter()
        .map(|e| columns(case_label(e.what, lang)))
        .max()
        .unwrap_or(0);
    let mut report = String::new();
    for e in &exchanges {
        report.push_str(&format!(
            "{} {}  {}  ->  {} {}\n",
            mark(e.ok),
            pad(case_label(e.what, lang), width),
            if e.request.is_empty() {
                lang.term("(빈 본문)", "(empty)")
            } else {
                &e.request
            },
            e.status,
            e.body
        ));
    }
    let passed = exchanges.iter().filter(|e| e.ok).count();
    report.push_str(&lang.term_owned(
        format!(
            "\n답 {}개 가운데 {passed}개가 Step 1의 계약대로입니다.\n",
            exchanges.len()
        ),
        format!(
            "\n{passed} of {} answers are as step 1's contract says.\n",
            exchanges.len()
        ),
    ));
    let Some(first) = exchanges.iter().find(|e| !e.ok) else {
        return Ok(Verdict::pass(report));
    };
    let lines = function_lines(&first.logs);
    if !lines.is_empty() {
        let what = case_label(first.what, lang);
        report.push_str(&lang.term_owned(
            format!("\n\"{what}\"의 함수 로그:\n"),
            format!("\nThe function's log for \"{what}\":\n"),
        ));
        for line in lines.iter().take(6) {
            report.push_str(&format!("   │ {line}\n"));
        }
    }
    let check = step1_http::scenario::SCENARIO
        .iter()
        .find(|c| c.what == first.what);
    let timed_out = first.logs.iter().any(|l| l.contains("Task timed out"));
    let advice = match check {
        _ if timed_out => Advice::new(
            format!(
                "\"{}\"에서 함수가 타임아웃까지 끝나지 않았습니다. 끝나지 않는 반복문이나 기다림이 있는지 보세요. Lambda는 타임아웃에서 함수를 멈추고 500을 돌려줍니다.",
                case_label(first.what, lang)
            ),
            format!(
                "The function ran until its timeout on \"{}\": look for a loop or a wait that never ends. Lambda stops a function at its timeout, and the HTTP API answers 500.",
                first.what
            ),
        ),
        _ if first.status >= 500 => Advice::new(
            format!(
                "\"{}\"에서 함수가 에러로 끝났습니다({}). 위의 함수 로그에서 패닉 메시지를 보세요. todo!()가 남아 있으면 호출될 때 패닉합니다.",
                case_label(first.what, lang),
                first.status
            ),
            format!(
                "The function ended in an error ({}) on \"{}\": the panic message is in its log above. A `todo!()` left in the code panics when it runs.",
                first.status, first.what
            ),
        ),
        Some(c) if c.status == 200 => Advice::new(
            format!(
                "\"{}\" ({})에는 200과 {}이(가) 와야 합니다.",
                case_label(c.what, lang),
                c.body,
                c.answer.unwrap_or_default()
            ),
            format!(
                "\"{}\" ({}) must get 200 and {}.",
                c.what,
                c.body,
                c.answer.unwrap_or_default()
            ),
        ),
        Some(c) => Advice::new(
            format!(
                "\"{}\" ({})에는 400과 비어 있지 않은 {{\"message\": \"...\"}}가 와야 합니다. 문구는 자유입니다.",
                case_label(c.what, lang),
                if c.body.is_empty() {
                    "빈 본문"
                } else {
                    c.body
                }
            ),
            format!(
                "\"{}\" ({}) must get 400 and a non-empty {{\"message\": \"...\"}}, worded as you like.",
                c.what,
                if c.body.is_empty() {
                    "an empty body"
                } else {
                    c.body
                }
            ),
        ),
        None => Advice::new("위의 ✗ 줄을 보세요.", "Look at the ✗ lines above."),
    };
    Ok(Verdict::fail(report, advice))
}

/// Step 1's contract cases in Korean, by the lesson's English `what`
/// (the lesson owns the cases; their Korean names live here, in one place).
const CASE_LABELS_KO: &[(&str, &str)] = &[
    ("the retrospective's request", "회고의 요청"),
    ("a decimal", "소수"),
    ("an integer beyond 2^53, exact", "2^53을 넘는 정수, 정확히"),
    ("input as a string", "문자열인 input"),
    ("input missing", "input 없음"),
    ("an unknown field", "모르는 필드"),
    ("null", "null"),
    ("an array", "배열"),
    ("not JSON", "JSON이 아님"),
    ("an empty body", "빈 본문"),
    ("a number beyond f64", "f64를 넘는 수"),
];

/// A contract case's label in `lang` (with both languages, the lesson's).
pub fn case_label(what: &'static str, lang: Lang) -> &'static str {
    let ko = CASE_LABELS_KO
        .iter()
        .find(|(en, _)| *en == what)
        .map_or(what, |(_, ko)| ko);
    lang.term(ko, what)
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}
