//! No secret in any output of the real binary: every command that talks to Okta or writes a
//! file runs at trace level for every crate, once with an API token and once as an OAuth
//! service app, each against a fresh `keyshare sim` process; then every byte it printed, every
//! file it wrote (the saved plan, imported YAML, the key cache), and for `watch` its
//! `/metrics`, `/healthz` and `/readyz` answers and every webhook body, are searched for the
//! secrets: the token, the private key's body, the webhook URL's own credential, any JWT (a
//! client assertion or a DPoP proof) and any `Bearer`/`DPoP` credential (an access token).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::controller::Receiver;
use crate::support::{EXAMPLE, SimProcess, TOKEN, keyshare_command};

const CLIENT_ID: &str = "0oaredactionclient01";
/// The credential a webhook URL carries (Slack's do), which keyshare must treat as a secret.
const WEBHOOK_SECRET: &str = "T000whsecretB000redaction";
/// How long `watch` may take to heal the drift and how long it may take to stop.
const WATCH_LIMIT: Duration = Duration::from_secs(60);

/// How a row's command runs.
enum Run {
    /// To its end, with this exit code.
    Exits(i32),
    /// Until it has healed the drift and its endpoints were scraped; then SIGTERM, exit 0.
    Watch,
}

/// One command, run against a fresh org.
struct Row {
    /// A command run first (with its exit code), whose output is searched too.
    given: Option<(&'static [&'static str], i32)>,
    args: &'static [&'static str],
    run: Run,
    /// What the command must have written, so that the search of files cannot pass vacuously.
    writes: &'static [&'static str],
}

/// `{desired}`, `{home}`, `{plan}` and `{webhook}` are replaced.
const COMMANDS: &[Row] = &[
    Row {
        given: None,
        args: &["validate", "{desired}"],
        run: Run::Exits(0),
        writes: &[],
    },
    Row {
        given: None,
        args: &["keys", "{desired}", "--all"],
        run: Run::Exits(0),
        writes: &[],
    },
    Row {
        given: None,
        args: &["drift", "{desired}"],
        run: Run::Exits(2),
        writes: &[],
    },
    Row {
        given: None,
        args: &["import", "--out", "{home}/imported"],
        run: Run::Exits(0),
        writes: &["{home}/imported"],
    },
    Row {
        given: None,
        args: &["plan", "{desired}"],
        run: Run::Exits(2),
        writes: &[],
    },
    Row {
        given: None,
        args: &["plan", "{desired}", "--out", "{plan}"],
        run: Run::Exits(2),
        writes: &["{plan}"],
    },
    Row {
        given: None,
        args: &["apply", "{desired}", "--auto-approve"],
        run: Run::Exits(0),
        writes: &["{home}/cache"],
    },
    Row {
        given: Some((&["plan", "{desired}", "--out", "{plan}"], 2)),
        args: &["apply", "{plan}", "--auto-approve"],
        run: Run::Exits(0),
        writes: &["{plan}", "{home}/cache"],
    },
    Row {
        given: None,
        args: &[
            "watch",
            "{desired}",
            "--self-heal",
            "--interval",
            "1h",
            "--listen",
            "127.0.0.1:0",
            "--notify-webhook",
            "{webhook}",
        ],
        run: Run::Watch,
        writes: &[],
    },
];

/// How keyshare authenticates: the simulator's flags, keyshare's environment, and the
/// secrets that must never appear.
struct Credentials {
    sim_args: Vec<String>,
    env: Vec<(&'static str, String)>,
    secrets: Vec<String>,
    /// Holds the OAuth client's public key while the simulators read it.
    _keys: Option<tempfile::TempDir>,
}

impl Credentials {
    fn api_token() -> Self {
        Self {
            sim_args: Vec::new(),
            env: Vec::new(),
            secrets: vec![TOKEN.to_owned()],
            _keys: None,
        }
    }

    fn oauth_private_key() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let keys = tempfile::tempdir().unwrap();
        let public = keys.path().join("client.pub.pem");
        std::fs::write(&public, key.public_key_pem()).unwrap();
        let private_pem = key.serialize_pem();
        let secrets: Vec<String> = private_pem
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 20)
            .map(str::to_owned)
            .collect();
        assert!(!secrets.is_empty());
        Self {
            sim_args: vec![
                "--oauth-client".to_owned(),
                format!("{CLIENT_ID}={}", public.display()),
            ],
            env: vec![
                ("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey".to_owned()),
                ("OKTA_CLIENT_CLIENTID", CLIENT_ID.to_owned()),
                ("OKTA_CLIENT_PRIVATEKEY", private_pem),
                ("OKTA_CLIENT_TOKEN", String::new()),
            ],
            secrets,
            _keys: Some(keys),
        }
    }
}

/// One row's org, home and webhook, and what the row's commands showed.
struct Session<'a> {
    credentials: &'a Credentials,
    sim: SimProcess,
    home: tempfile::TempDir,
    webhook: Receiver,
    /// Everything printed or served, and every webhook body.
    shown: String,
}

impl<'a> Session<'a> {
    async fn start(credentials: &'a Credentials) -> Self {
        let args: Vec<&str> = credentials.sim_args.iter().map(String::as_str).collect();
        Self {
            credentials,
            sim: SimProcess::start(&args),
            home: tempfile::tempdir().unwrap(),
            webhook: Receiver::start().await,
            shown: String::new(),
        }
    }

    fn fill(&self, arg: &str) -> String {
        let home = self.home.path().display().to_string();
        arg.replace("{desired}", EXAMPLE)
            .replace("{plan}", "{home}/plan.json")
            .replace("{home}", &home)
            .replace(
                "{webhook}",
                &format!("{}?token={WEBHOOK_SECRET}", self.webhook.url),
            )
    }

    /// The binary at trace level with this session's credentials, home and key cache.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = keyshare_command();
        cmd.env("OKTA_CLIENT_ORGURL", &self.sim.base_url)
            .env("OKTA_CLIENT_TOKEN", TOKEN)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "trace")
            .env("KEYSHARE_KEY_CACHE", self.home.path().join("cache"))
            .env("HOME", self.home.path())
            .current_dir(self.home.path())
            .stdin(Stdio::null())
            .args(args.iter().map(|a| self.fill(a)));
        for (name, value) in &self.credentials.env {
            cmd.env(name, value);
        }
        cmd
    }

    fn run_to_end(&mut self, args: &[&str], code: i32) {
        let output = self.command(args).output().expect("keyshare runs");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(code), "{args:?}:\n{printed}");
        self.shown += &printed;
    }

    /// Runs `watch` until it healed the drift (the webhook says so), scrapes its endpoints,
    /// and stops it with SIGTERM.
    async fn run_watch(&mut self, args: &[&str]) {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("keyshare watch starts");
        let lines = Arc::new(Mutex::new(String::new()));
        let readers = [
            collect(child.stdout.take().unwrap(), Arc::clone(&lines)),
            collect(child.stderr.take().unwrap(), Arc::clone(&lines)),
        ];
        let addr = wait_for_addr(&lines).await;
        self.webhook.wait_for("drift_healed", WATCH_LIMIT).await;
        for path in ["/metrics", "/healthz", "/readyz"] {
            let body = reqwest::get(format!("http://{addr}{path}"))
                .await
                .expect("the listener answers")
                .text()
                .await
                .unwrap();
            self.shown += &body;
        }
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let deadline = Instant::now() + WATCH_LIMIT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "watch did not stop on SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        for reader in readers {
            reader.join().unwrap();
        }
        let printed = lines.lock().unwrap().clone();
        assert_eq!(status.code(), Some(0), "watch on SIGTERM:\n{printed}");
        self.shown += &printed;
        for body in self.webhook.bodies() {
            self.shown += &body.to_string();
        }
    }

    async fn run(&mut self, row: &Row) {
        if let Some((given, code)) = row.given {
            self.run_to_end(given, code);
        }
        match row.run {
            Run::Exits(code) => self.run_to_end(row.args, code),
            Run::Watch => self.run_watch(row.args).await,
        }
        for written in row.writes {
            let path = self.fill(written);
            assert!(
                Path::new(&path).exists(),
                "{:?} did not write {path}",
                row.args
            );
        }
    }

    /// Fails naming the secret's start and where it was found.
    fn assert_no_secret(&self, row: &Row) {
        let mut secrets = self.credentials.secrets.clone();
        secrets.push(WEBHOOK_SECRET.to_owned());
        let mut places = vec![("the output".to_owned(), self.shown.clone())];
        places.extend(files_under(self.home.path()));
        for (place, text) in &places {
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{:?}: a secret is in {place}: {secret:.12}…",
                    row.args
                );
            }
            if let Some(found) = credential_pattern(text) {
                panic!("{:?}: {found} is in {place}", row.args);
            }
        }
    }
}

/// Appends every line of `stream` to `sink` until it closes.
fn collect(
    stream: impl Read + Send + 'static,
    sink: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).split(b'\n').map_while(Result::ok) {
            let mut sink = sink.lock().unwrap();
            sink.push_str(&String::from_utf8_lossy(&line));
            sink.push('\n');
        }
    })
}

/// Every file under `dir`, as text (lossy), with its path.
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            found.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    found
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '=')
}

/// A JWT (`eyJ….eyJ…`, a client assertion or a DPoP proof) or a credential after `Bearer ` or
/// `DPoP ` (an access token), described without the secret itself.
fn credential_pattern(text: &str) -> Option<String> {
    for (at, _) in text.match_indices("eyJ") {
        let rest = &text[at..];
        let header = rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')));
        if let Some(end) = header
            && rest[end..].starts_with(".eyJ")
        {
            return Some(format!("a JWT (at byte {at})"));
        }
    }
    for scheme in ["Bearer ", "DPoP ", "SSWS "] {
        for (at, _) in text.match_indices(scheme) {
            let value: String = text[at + scheme.len()..]
                .chars()
                .take_while(|c| is_token_char(*c))
                .collect();
            if value.len() >= 20 {
                return Some(format!("a {scheme}credential (at byte {at})"));
            }
        }
    }
    None
}

/// The `addr=` of watch's start line.
async fn wait_for_addr(lines: &Mutex<String>) -> String {
    let deadline = Instant::now() + WATCH_LIMIT;
    loop {
        if let Some(line) = lines
            .lock()
            .unwrap()
            .lines()
            .find(|l| l.contains("keyshare watch started"))
        {
            let (_, after) = line.split_once("addr=").expect("the start line has addr=");
            return after.split_whitespace().next().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "watch did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs every row against its own org and searches what it showed and wrote.
async fn every_command_keeps_secret(credentials: Credentials) {
    let mut traced = false;
    for row in COMMANDS {
        let mut session = Session::start(&credentials).await;
        session.run(row).await;
        traced |= session.shown.contains("TRACE");
        session.assert_no_secret(row);
    }
    assert!(traced, "trace logging was on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_token_never_appears_in_output_or_files() {
    every_command_keeps_secret(Credentials::api_token()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oauth_private_key_and_its_assertions_never_appear() {
    every_command_keeps_secret(Credentials::oauth_private_key()).await;
}

#[test]
fn the_credential_patterns_find_what_they_look_for() {
    let cases = [
        ("no secret here: kid eyJabc and Bearer realm", None),
        (
            "x eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.sig",
            Some("a JWT (at byte 2)"),
        ),
        (
            "authorization: Bearer 0oaAbCdEfGhIjKlMnOpQrStUv",
            Some("a Bearer credential (at byte 15)"),
        ),
        (
            "DPoP abcdefghijklmnopqrstuvwxyz",
            Some("a DPoP credential (at byte 0)"),
        ),
        ("token_type: DPoP", None),
    ];
    for (text, expected) in cases {
        assert_eq!(credential_pattern(text).as_deref(), expected, "{text}");
    }
}
