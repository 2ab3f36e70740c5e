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
        @"/lesson/serverless.yml: functions.api.events: event type `schedule` is not supported by localcloud (supported: httpApi, sqs) at line 8 column 7"
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

const STEP2: &str = r#"
service: tutorial-step-2
frameworkVersion: '3'
provider:
  name: aws
  runtime: provided.al2023
  region: ap-northeast-2
  timeout: 20
constructs:
  jobs:
    type: queue
    worker:
      handler: bootstrap
      timeout: 15
functions:
  producer:
    handler: bootstrap
    events:
      - httpApi:
          method: post
          path: /produce
    environment:
      QUEUE_URL: ${construct:jobs.queueUrl}
      STAGE: ${sls:stage}
      SERVICE: ${self:service}
plugins:
  - serverless-lift
"#;

#[test]
fn a_lift_queue_construct_becomes_a_queue_a_dlq_and_a_worker() {
    let config = read(STEP2).unwrap();
    let names: Vec<_> = config.queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(
        names,
        ["tutorial-step-2-dev-jobs-dlq", "tutorial-step-2-dev-jobs"]
    );
    let jobs = &config.queues[1];
    // Lift: worker timeout x 6 + maxBatchingWindow; provider.timeout is not used.
    assert_eq!(jobs.attributes["VisibilityTimeout"], "90");
    assert_eq!(
        jobs.redrive,
        Some(Redrive {
            dead_letter_queue: "tutorial-step-2-dev-jobs-dlq".into(),
            max_receive_count: 3
        })
    );
    assert_eq!(
        config.queues[0].attributes["MessageRetentionPeriod"],
        "1209600"
    );
    let worker = config.function("jobsWorker").unwrap();
    assert_eq!(worker.name, "tutorial-step-2-dev-jobsWorker");
    assert_eq!(worker.timeout_seconds, 15);
    assert_eq!(
        worker.sqs_events,
        [SqsEventSource {
            queue: "tutorial-step-2-dev-jobs".into(),
            batch_size: 1,
            maximum_batching_window_seconds: 0,
            report_batch_item_failures: true,
            maximum_concurrency: None
        }]
    );
    let producer = config.function("producer").unwrap();
    assert_eq!(
        producer.environment["QUEUE_URL"],
        "http://127.0.0.1:9324/000000000000/tutorial-step-2-dev-jobs"
    );
    assert_eq!(producer.environment["STAGE"], "dev");
    assert_eq!(producer.environment["SERVICE"], "tutorial-step-2");
    assert_eq!(
        producer.timeout_seconds, 20,
        "provider.timeout still applies to other functions"
    );
}

#[test]
fn lift_options_and_the_stage_option() {
    let text = STEP2.replace(
        "      timeout: 15\n",
        "      timeout: 10\n    maxRetries: 5\n    batchSize: 20\n    maxBatchingWindow: 4\n    maxConcurrency: 7\n    delay: 3\n",
    );
    let context = ResolveContext {
        stage: Some("prod".into()),
        sqs_endpoint_url: "http://127.0.0.1:4000".into(),
        ..Default::default()
    };
    let config = ServerlessConfig::from_str_with(&text, Path::new("s.yml"), &context).unwrap();
    let jobs = &config.queues[1];
    assert_eq!(jobs.name, "tutorial-step-2-prod-jobs");
    assert_eq!(jobs.attributes["VisibilityTimeout"], "64");
    assert_eq!(jobs.attributes["DelaySeconds"], "3");
    assert_eq!(jobs.redrive.as_ref().unwrap().max_receive_count, 5);
    let event = &config.function("jobsWorker").unwrap().sqs_events[0];
    assert_eq!(
        (
            event.batch_size,
            event.maximum_batching_window_seconds,
            event.maximum_concurrency
        ),
        (20, 4, Some(7))
    );
    assert_eq!(
        config.function("producer").unwrap().environment["QUEUE_URL"],
        "http://127.0.0.1:4000/000000000000/tutorial-step-2-prod-jobs"
    );
}

#[test]
fn raw_cloudformation_queues_and_sqs_events() {
    let config = read(
        r#"
service: raw
provider:
  name: aws
  runtime: provided.al2023
  stage: ${opt:stage, 'qa'}
functions:
  worker:
    handler: bootstrap
    timeout: 10
    environment:
      URL: !Ref Jobs
      ARN: { "Fn::GetAtt": [Jobs, Arn] }
    events:
      - sqs:
          arn: !GetAtt Jobs.Arn
          batchSize: 5
          functionResponseType: ReportBatchItemFailures
resources:
  Resources:
    Jobs:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: ${self:service}-${sls:stage}-jobs
        VisibilityTimeout: 60
        RedrivePolicy:
          deadLetterTargetArn: !GetAtt JobsDlq.Arn
          maxReceiveCount: 2
    JobsDlq:
      Type: AWS::SQS::Queue
"#,
    )
    .unwrap();
    assert_eq!(config.provider.stage, "qa");
    let jobs = config
        .queues
        .iter()
        .find(|q| q.name == "raw-qa-jobs")
        .unwrap();
    assert_eq!(jobs.attributes["VisibilityTimeout"], "60");
    assert_eq!(
        jobs.redrive.as_ref().unwrap().dead_letter_queue,
        "raw-qa-JobsDlq"
    );
    let worker = config.function("worker").unwrap();
    assert_eq!(
        worker.environment["URL"],
        "http://127.0.0.1:9324/000000000000/raw-qa-jobs"
    );
    assert_eq!(
        worker.environment["ARN"],
        "arn:aws:sqs:us-east-1:000000000000:raw-qa-jobs"
    );
    assert_eq!(worker.sqs_events[0].queue, "raw-qa-jobs");
    assert_eq!(worker.sqs_events[0].batch_size, 5);
    assert!(worker.sqs_events[0].report_batch_item_failures);
}

#[test]
fn unsupported_constructs_variables_and_resources_are_named() {
    let with = |extra: &str| error(&format!("service: svc\nprovider:\n  name: aws\n{extra}"));
    for (extra, expected) in [
        (
            "constructs:\n  site:\n    type: static-website\n",
            "construct type `static-website` is not supported",
        ),
        (
            "constructs:\n  jobs:\n    type: queue\n    worker:\n      handler: b\n    fifo: true\n    batchSize: 11\n    maxBatchingWindow: 1\n",
            "'batchSize' must be between 0 and 10 for FIFO queues",
        ),
        (
            "constructs:\n  jobs:\n    type: queue\n    worker:\n      handler: b\n    colour: red\n",
            "unknown field `colour`",
        ),
        (
            "constructs:\n  jobs:\n    type: queue\n    worker: missing\n",
            "constructs.jobs.worker: there is no function \"missing\"",
        ),
        (
            "constructs:\n  jobs:\n    type: queue\n    worker:\n      handler: b\n    batchSize: 20\n",
            "'maxBatchingWindow' must be greater than 0",
        ),
        (
            "functions:\n  f:\n    handler: b\n    environment:\n      X: ${ssm:/secret}\n",
            "variable source `ssm:` is not supported",
        ),
        (
            "functions:\n  f:\n    handler: b\n    environment:\n      X: ${env:LOCALCLOUD_SURELY_UNSET_VARIABLE}\n",
            "has no value and no default",
        ),
        (
            "functions:\n  f:\n    handler: b\n    environment:\n      X: ${construct:nope.queueUrl}\n",
            "there is no construct \"nope\"",
        ),
        (
            "constructs:\n  jobs:\n    type: queue\n    worker:\n      handler: b\nfunctions:\n  f:\n    handler: b\n    environment:\n      X: ${construct:jobs.queueName}\n",
            "a queue construct offers",
        ),
        (
            "resources:\n  Resources:\n    Bucket:\n      Type: AWS::S3::Bucket\n",
            "resource type AWS::S3::Bucket is not supported",
        ),
        (
            "functions:\n  f:\n    handler: b\n    events:\n      - sqs: arn:aws:sqs:us-east-1:000000000000:elsewhere\n",
            "queue \"elsewhere\" is not defined in this serverless.yml",
        ),
        (
            "functions:\n  f:\n    handler: b\n    environment:\n      X: !Sub '${AWS::Region}'\n",
            "!Sub is not supported",
        ),
    ] {
        let message = with(extra);
        assert!(message.contains(expected), "{extra}\n=> {message}");
    }
}

#[test]
fn lift_fifo_queues_and_raw_fifo_queues() {
    let config = read(
        r#"
service: shop
provider:
  name: aws
constructs:
  orders:
    type: queue
    fifo: true
    batchSize: 10
    worker:
      handler: bootstrap
resources:
  Resources:
    Named:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: payments.fifo
        FifoQueue: true
        ContentBasedDeduplication: true
        DeduplicationScope: messageGroup
        FifoThroughputLimit: perMessageGroupId
    Unnamed:
      Type: AWS::SQS::Queue
      Properties:
        FifoQueue: "true"
"#,
    )
    .unwrap();
    let queue = |name: &str| {
        config
            .queues
            .iter()
            .find(|q| q.name == name)
            .unwrap_or_else(|| panic!("no queue {name}: {:?}", config.queues))
    };
    // Lift: `<stack>-<id>.fifo` with FifoQueue and ContentBasedDeduplication,
    // the DLQ `<stack>-<id>-dlq.fifo` with FifoQueue only.
    let orders = queue("shop-dev-orders.fifo");
    assert_eq!(orders.attributes["FifoQueue"], "true");
    assert_eq!(orders.attributes["ContentBasedDeduplication"], "true");
    assert_eq!(
        orders.redrive.as_ref().unwrap().dead_letter_queue,
        "shop-dev-orders-dlq.fifo"
    );
    let dlq = queue("shop-dev-orders-dlq.fifo");
    assert_eq!(dlq.attributes["FifoQueue"], "true");
    assert!(!dlq.attributes.contains_key("ContentBasedDeduplication"));
    let named = queue("payments.fifo");
    assert_eq!(named.attributes["DeduplicationScope"], "messageGroup");
    assert_eq!(named.attributes["ContentBasedDeduplication"], "true");
    assert_eq!(
        queue("shop-dev-Unnamed.fifo").attributes["FifoQueue"],
        "true"
    );

    let with = |properties: &str| {
        error(&format!(
            "service: svc\nprovider:\n  name: aws\nresources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n      Properties:\n{properties}"
        ))
    };
    assert!(
        with("        QueueName: plain\n        FifoQueue: true\n").contains("must end in .fifo"),
        "{}",
        with("        QueueName: plain\n        FifoQueue: true\n")
    );
    assert!(with("        QueueName: q.fifo\n").contains("needs FifoQueue: true"));
}
