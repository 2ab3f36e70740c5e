use super::*;

fn read(text: &str) -> Result<ServerlessConfig, ConfigError> {
    ServerlessConfig::from_str_at(text, Path::new("/lesson/serverless.yml"))
}

fn error(text: &str) -> String {
    read(text).expect_err("must be refused").to_string()
}

const STEP1: &str = r#"
service: tutorial-step-1
frameworkVersion: '3'
provider:
  name: aws
  runtime: provided.al2023
  architecture: arm64
  region: ap-northeast-2
functions:
  api:
    handler: bootstrap
    package:
      artifact: ../../target/lambda/step1-api/bootstrap.zip
    events:
      - httpApi:
          method: post
          path: /
"#;

#[test]
fn applies_serverless_defaults_and_names() {
    let config = read(STEP1).unwrap();
    assert_eq!(config.service, "tutorial-step-1");
    assert_eq!(config.framework_version.as_deref(), Some("3"));
    assert_eq!(config.provider.stage, "dev");
    let api = config.function("api").unwrap();
    assert_eq!(api.name, "tutorial-step-1-dev-api");
    assert_eq!(api.timeout_seconds, 6);
    assert_eq!(api.memory_size_mb, 1024);
    assert_eq!(api.architecture, Architecture::Arm64);
    assert_eq!(api.runtime.as_deref(), Some("provided.al2023"));
    assert_eq!(
        api.artifact.as_deref(),
        Some(Path::new(
            "/lesson/../../target/lambda/step1-api/bootstrap.zip"
        ))
    );
    assert_eq!(
        api.http_api,
        vec![HttpApiRoute::Route {
            method: Some(HttpMethod::Post),
            path: "/".into()
        }]
    );
    assert_eq!(api.http_api[0].route_key(), "POST /");
}

#[test]
fn provider_settings_flow_into_functions_and_functions_win() {
    let config = read(
        r#"
service: svc
provider:
  name: aws
  stage: prod
  timeout: 10
  memorySize: 512
  environment: { A: provider, B: provider, N: 3 }
functions:
  one:
    handler: bootstrap
    environment: { B: function }
  two:
    handler: bootstrap
    name: custom-name
    timeout: 15
    events:
      - httpApi: 'GET /items/{id}'
      - httpApi: '*'
"#,
    )
    .unwrap();
    let one = config.function("one").unwrap();
    assert_eq!(one.name, "svc-prod-one");
    assert_eq!((one.timeout_seconds, one.memory_size_mb), (10, 512));
    assert_eq!(one.environment["A"], "provider");
    assert_eq!(one.environment["B"], "function");
    assert_eq!(one.environment["N"], "3");
    let two = config.function("two").unwrap();
    assert_eq!(two.name, "custom-name");
    assert_eq!(two.timeout_seconds, 15);
    assert_eq!(
        two.http_api
            .iter()
            .map(|r| r.route_key())
            .collect::<Vec<_>>(),
        ["GET /items/{id}", "$default"]
    );
    let keys: Vec<_> = config.functions.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["one", "two"], "file order is kept");
}

#[test]
fn errors_name_the_file_the_key_and_the_line() {
    insta::assert_snapshot!(
        error("service: svc\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: bootstrap\n    timeout: 901\n"),
        @"/lesson/serverless.yml: functions.api.timeout: timeout must be 1 to 900 seconds, got 901 at line 7 column 14"
    );
    insta::assert_snapshot!(
        error("service: svc\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: bootstrap\n    timeout: soon\n"),
        @r#"/lesson/serverless.yml: functions.api.timeout: invalid type: string "soon", expected a whole number at line 7 column 14"#
    );
    insta::assert_snapshot!(
        error("service: svc\nprovider:\n  name: google\n"),
        @r#"/lesson/serverless.yml: provider.name: provider "google" is not supported: localcloud emulates AWS only (provider.name: aws) at line 3 column 9"#
    );
    insta::assert_snapshot!(
        error("service: svc\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: bootstrap\n    events:\n      - schedule: rate(1 minute)\n"),
        @"/lesson/serverless.yml: functions.api.events: event type `schedule` is not supported by localcloud (supported: httpApi) at line 8 column 7"
    );
    insta::assert_snapshot!(
        error("service: svc\nprovider:\n  name: aws\n  architecture: arm\n"),
        @"/lesson/serverless.yml: provider.architecture: unknown variant `arm`, expected `x86_64` or `arm64` at line 4 column 17"
    );
    insta::assert_snapshot!(
        error("provider:\n  name: aws\n"),
        @"/lesson/serverless.yml: missing field `service`"
    );
    insta::assert_snapshot!(
        error("service: svc\nprovider: [\n"),
        @"/lesson/serverless.yml: provider: invalid type: sequence, expected a mapping of provider settings at line 2 column 11"
    );
    insta::assert_snapshot!(
        error("service: svc\nprovider:\n  name: aws\n  region: 'eu\n"),
        @"/lesson/serverless.yml: found unexpected end of stream at line 5 column 1, while scanning a quoted scalar at line 4 column 11"
    );
}

#[test]
fn bad_http_api_events_are_refused() {
    let with_event = |event: &str| {
        error(&format!(
            "service: svc\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: bootstrap\n    events:\n      - httpApi: {event}\n"
        ))
    };
    for (event, expected) in [
        ("{method: FETCH, path: /}", "is not an HTTP method"),
        ("{method: POST, path: nope}", "must start with `/`"),
        ("{method: POST}", "needs `path`"),
        ("'POST'", "must be `METHOD /path`"),
        ("'GET /a/{rest+}/b'", "must be the last segment"),
        ("'GET /a/x{id}'", "must be a whole segment"),
        ("[1]", "found a list"),
    ] {
        let message = with_event(event);
        assert!(
            message.contains(expected)
                && message.contains("functions.api.events")
                && message.contains("line 8"),
            "{event}: {message}"
        );
    }
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let e = ServerlessConfig::from_file("/nope/serverless.yml").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nope/serverless.yml: cannot read the file"),
        "{e}"
    );
}
