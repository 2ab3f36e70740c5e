//! Step 1's `run`: boot the lesson's stack, send the lesson's requests
//! (`step1_http::scenario`), and print each answer with the function's log
//! lines; exit 0 only when every answer is as the contract says.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use base64::Engine;
use bytes::Bytes;
use localcloud::client::HttpClient;
use localcloud::config::ServerlessConfig;
use localcloud::lambda::logs::{LogLine, Logs};
use localcloud::lambda::{HandlerError, InvokeContext};
use localcloud::server::CancellationToken;
use localcloud::stack::{CodeSource, Stack, StackOptions};
use tokio::sync::broadcast;

use super::stack::{Lesson, Profile, with_logs};

/// One request of the scenario and what came back.
pub struct Exchange {
    pub what: &'static str,
    pub request: String,
    pub status: u16,
    pub body: String,
    pub ok: bool,
    pub logs: Vec<String>,
}

pub async fn run(lesson: &Lesson) -> Result<ExitCode> {
    let logs = Logs::new(false);
    let mut log_rx = logs.subscribe();
    let stack = lesson.stack(with_logs(logs), Profile::Debug, None)?;
    let running = stack.serve(0, CancellationToken::new()).await?;
    let url = format!("{}{}", running.http_url, lesson.route);
    let exchanges = play(&url, &mut log_rx).await?;
    running.stop();
    stack.lambda.stop_all();
    print!("{}", render_report(&url, &exchanges));
    Ok(if exchanges.iter().all(|e| e.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Step 1's stack with the lesson's logic run in process (tests, benchmarks).
pub fn stack_in_process(lesson: &Lesson, logs: Logs) -> Result<Stack> {
    let config = ServerlessConfig::from_file(lesson.serverless_yml())?;
    let mut code = BTreeMap::new();
    code.insert(
        "api".to_owned(),
        CodeSource::Handler(std::sync::Arc::new(handler_in_process)),
    );
    Ok(Stack::new(
        config,
        StackOptions {
            code,
            lambda: with_logs(logs),
            sqs: None,
        },
    )?)
}

/// Plays step 1's scenario against `url`.
pub async fn play(url: &str, log_rx: &mut broadcast::Receiver<LogLine>) -> Result<Vec<Exchange>> {
    let client = HttpClient::new();
    let mut exchanges = Vec::new();
    for check in step1_http::scenario::SCENARIO {
        let answer = client.post_json(url, check.body).await?;
        let body = answer.body_text();
        let ok = answer.status.as_u16() == check.status
            && match check.answer {
                Some(expected) => body == expected,
                None => is_error_message(&body),
            };
        exchanges.push(Exchange {
            what: check.what,
            request: check.body.to_owned(),
            status: answer.status.as_u16(),
            body,
            ok,
            logs: drain(log_rx).await,
        });
    }
    Ok(exchanges)
}

/// `{"message": "<text>"}` and nothing else.
fn is_error_message(body: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(o)) => {
            o.len() == 1
                && o.get("message")
                    .is_some_and(|m| m.as_str().is_some_and(|s| !s.is_empty()))
        }
        _ => false,
    }
}

/// The log lines of the request just answered. A process's own output
/// comes through a pipe and may trail the answer by a moment, so this reads
/// until the stream has been quiet for 50 ms.
async fn drain(rx: &mut broadcast::Receiver<LogLine>) -> Vec<String> {
    let mut lines = Vec::new();
    while let Ok(Ok(line)) =
        tokio::time::timeout(std::time::Duration::from_millis(50), rx.recv()).await
    {
        lines.push(line.text);
    }
    lines
}

/// The report a learner reads.
pub fn render_report(url: &str, exchanges: &[Exchange]) -> String {
    let mut out = String::new();
    for e in exchanges {
        out.push_str(&format!("── {}\n", e.what));
        out.push_str(&format!("POST {url}  {}\n", e.request));
        out.push_str(&format!(
            "{} {}  {}\n",
            if e.ok { "✓" } else { "✗" },
            e.status,
            e.body
        ));
        for line in &e.logs {
            for part in line.lines() {
                out.push_str(&format!("   │ {part}\n"));
            }
        }
        out.push('\n');
    }
    let passed = exchanges.iter().filter(|e| e.ok).count();
    out.push_str(&format!(
        "{passed} of {} answers are as the contract says.\n",
        exchanges.len()
    ));
    out
}

/// Step 1's logic behind localcloud's HTTP API, in process: the event is
/// read the way lambda_http reads it (body, base64) and the answer is a
/// payload-2.0 response object.
pub async fn handler_in_process(
    event: Bytes,
    context: InvokeContext,
) -> Result<Bytes, HandlerError> {
    let event: serde_json::Value = serde_json::from_slice(&event).map_err(|e| HandlerError {
        error_type: "Runtime.InvalidEvent".into(),
        error_message: e.to_string(),
    })?;
    let body = event["body"].as_str().unwrap_or_default();
    let body = if event["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    };
    let (status, json) = step1_http::respond(&body);
    context.log(format!("answered {}", status.as_u16()));
    let response = serde_json::json!({
        "statusCode": status.as_u16(),
        "headers": {"content-type": "application/json"},
        "body": json,
        "isBase64Encoded": false,
    });
    Ok(Bytes::from(response.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::LessonId;

    #[tokio::test]
    async fn the_step1_run_report() {
        let logs = Logs::new(false);
        let mut log_rx = logs.subscribe();
        let stack = stack_in_process(&LessonId::Step1.lesson(), logs).unwrap();
        let running = stack.serve(0, CancellationToken::new()).await.unwrap();
        let url = format!("{}/", running.http_url);
        let exchanges = play(&url, &mut log_rx).await.unwrap();
        running.stop();
        assert!(exchanges.iter().all(|e| e.ok));
        let report = render_report("http://127.0.0.1:PORT/", &exchanges);
        insta::with_settings!({filters => vec![
            (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[request-id]"),
            (r"\d+\.\d\d ms", "[duration] ms"),
            (r"Billed Duration: \d+ ms", "Billed Duration: [billed] ms"),
        ]}, {
            insta::assert_snapshot!(report);
        });
    }
}
