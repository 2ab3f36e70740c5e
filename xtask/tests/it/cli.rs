//! The xtask binary as a user runs it: `localcloud up` serving a bootstrap
//! that is not Rust, and the one-line errors for the usual mistakes.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A service whose only function is the Python runtime of localcloud's tests,
/// as a folder artifact.
fn python_service(dir: &Path) -> std::path::PathBuf {
    let package = dir.join("package");
    std::fs::create_dir(&package).unwrap();
    let bootstrap = package.join("bootstrap");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/localcloud/tests/fixtures/python-bootstrap.py"),
        &bootstrap,
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.join("serverless.yml");
    std::fs::write(
        &config,
        "service: py\nprovider:\n  name: aws\n  runtime: provided.al2023\nfunctions:\n  hello:\n    handler: bootstrap\n    package:\n      artifact: package\n    events:\n      - httpApi: 'POST /hello'\n",
    )
    .unwrap();
    config
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// POSTs with a bare HTTP/1.1 request over std's TcpStream (no client crate needed).
fn post(port: u16, path: &str, body: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

#[test]
fn localcloud_up_serves_a_python_bootstrap() {
    let dir = tempfile::tempdir().unwrap();
    let config = python_service(dir.path());
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["localcloud", "up", "--config"])
        .arg(&config)
        .args([
            "--port",
            &port.to_string(),
            "--sqs-port",
            "0",
            "--console-port",
            "0",
        ])
        // A relative path, resolved against the directory the command runs in.
        .args(["--bootstrap", "hello=package/bootstrap"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let answer = loop {
        match post(port, "/hello", "from-cli") {
            Ok(answer) => break answer,
            Err(_) if started.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Err(e) => panic!("localcloud up did not start: {e}"),
        }
    };
    // Ctrl-C, as a user would stop it; it exits and takes its processes along.
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("python says from-cli via POST /hello as py-dev-hello"),
        "{answer}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("POST - http://127.0.0.1:{port}/hello")),
        "{stdout}"
    );
    assert!(stdout.contains("Console: http://127.0.0.1:"), "{stdout}");
    assert!(output.status.success());
}

#[test]
fn usual_mistakes_get_one_line_errors() {
    let _stacks = crate::one_lesson_stack_at_a_time();
    let unknown_lesson = xtask(&["lesson", "step9", "run"]);
    assert_eq!(unknown_lesson.status.code(), Some(2));
    assert!(
        stderr(&unknown_lesson).contains("unrecognized subcommand 'step9'"),
        "{}",
        stderr(&unknown_lesson)
    );

    // Step 1 has no queue: its queue commands and options do not exist.
    for args in [
        &["lesson", "step1", "send", "x"][..],
        &["lesson", "step1", "dlq", "show"],
        &["lesson", "step1", "queue", "stats"],
        &["lesson", "step1", "run", "--jobs", "3"],
    ] {
        let refused = xtask(args);
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&refused).starts_with("error: unexpected argument")
                || stderr(&refused).starts_with("error: unrecognized subcommand"),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    let help = xtask(&["lesson", "step1", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("invoke") && !help.contains("dlq"), "{help}");
    let help = xtask(&["lesson", "step2", "queue", "stats", "--help"]);
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("cargo xtask lesson step2 queue stats"),
        "{}",
        String::from_utf8_lossy(&help.stdout)
    );

    // A busy port is named, with its flag, before anything is built.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let started = Instant::now();
    let busy = xtask(&["lesson", "step2", "up", "--sqs-port", &port]);
    assert_eq!(
        stderr(&busy).trim(),
        format!(
            "error: port {port} on 127.0.0.1 is already in use (is the lesson already up?): stop what runs there or pick another with --sqs-port"
        )
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(taken);

    let missing = xtask(&["localcloud", "up", "--config", "/no/such/serverless.yml"]);
    assert_eq!(
        stderr(&missing).trim(),
        "error: /no/such/serverless.yml: cannot read the file: No such file or directory (os error 2)"
    );

    let not_json = xtask(&["lesson", "step1", "invoke", "input=1"]);
    assert!(!not_json.status.success());
    assert!(
        stderr(&not_json)
            .trim()
            .starts_with("error: the body is not JSON"),
        "{}",
        stderr(&not_json)
    );

    let dir = tempfile::tempdir().unwrap();
    let config = python_service(dir.path());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let in_use = xtask(&[
        "localcloud",
        "up",
        "--config",
        config.to_str().unwrap(),
        "--port",
        &port,
        "--sqs-port",
        "0",
        "--console-port",
        "0",
    ]);
    assert_eq!(
        stderr(&in_use).trim(),
        format!(
            "error: port {port} on 127.0.0.1 is already in use: stop what runs there or pick another port"
        )
    );

    let missing_bootstrap = xtask(&[
        "localcloud",
        "up",
        "--config",
        config.to_str().unwrap(),
        "--bootstrap",
        "hello=no/such/bootstrap",
    ]);
    assert!(
        stderr(&missing_bootstrap).starts_with(
            "error: --bootstrap \"hello=no/such/bootstrap\": cannot use \"no/such/bootstrap\""
        ),
        "{}",
        stderr(&missing_bootstrap)
    );

    let bad_bootstrap = xtask(&[
        "localcloud",
        "up",
        "--config",
        config.to_str().unwrap(),
        "--bootstrap",
        "nokey",
    ]);
    assert!(
        stderr(&bad_bootstrap).contains("must be KEY=PATH"),
        "{}",
        stderr(&bad_bootstrap)
    );
}

#[test]
fn localcloud_up_stopped_by_sigterm_leaves_no_unpacked_artifact_behind() {
    let dir = tempfile::tempdir().unwrap();
    let config = python_service(dir.path());
    // The same function, as a zip artifact: localcloud unpacks it to a
    // temporary task root.
    let zip_path = dir.path().join("package.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    zip.start_file(
        "bootstrap",
        zip::write::SimpleFileOptions::default().unix_permissions(0o755),
    )
    .unwrap();
    std::io::Write::write_all(
        &mut zip,
        &std::fs::read(dir.path().join("package/bootstrap")).unwrap(),
    )
    .unwrap();
    zip.finish().unwrap();
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("artifact: package", "artifact: package.zip");
    std::fs::write(&config, text).unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["localcloud", "up", "--config"])
        .arg(&config)
        .args([
            "--port",
            &port.to_string(),
            "--sqs-port",
            "0",
            "--console-port",
            "0",
        ])
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while post(port, "/hello", "x").is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "not started");
        std::thread::sleep(Duration::from_millis(100));
    }
    let unpacked = || std::fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(unpacked(), 1, "the task root, unpacked");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(unpacked(), 0, "nothing left in the temporary directory");
}

#[test]
fn loadtest_bad_input_gets_one_clear_line() {
    let free = free_port();
    let unreachable = format!("http://127.0.0.1:{free}");
    for (args, expected) in [
        (
            &["loadtest", "step9"][..],
            "error: invalid value 'step9' for '<STEP>'".to_owned(),
        ),
        (
            &["loadtest", "step1", "--vus", "0"],
            "error: invalid value '0' for '--vus <VUS>': 0 is not in 1..=1000".to_owned(),
        ),
        (
            &["loadtest", "step1", "--duration", "ten"],
            "error: invalid value 'ten' for '--duration <DURATION>': \"ten\" is not a duration such as 10s, 1m or 1m30s".to_owned(),
        ),
        (
            &["loadtest", "step1", "--rate", "fast"],
            "error: invalid value 'fast' for '--rate <RATE>': invalid digit found in string".to_owned(),
        ),
        (
            &["loadtest", "step1", "--target", &unreachable],
            format!("error: nothing listens at {unreachable}: check the address given with --target"),
        ),
        (
            &["loadtest", "step1", "--visibility", "10"],
            "error: --visibility needs a lesson with a queue and --target local".to_owned(),
        ),
    ] {
        let output = xtask(args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = stderr(&output);
        assert_eq!(stderr.lines().next().unwrap_or_default(), expected, "{args:?}");
    }
}
