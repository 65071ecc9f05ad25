//! The bad-input corpus: every file under `tests/bad-input/` is one case (its input and the
//! message it must produce), run through the real binary. Every case must end with exit 1,
//! print every expected substring (the place and the fix), never panic, never make a write,
//! and end within [`CASE_LIMIT`].
//!
//! The org is a small axum server on 127.0.0.1:0 made for this test: the simulator is faithful
//! and never sends malformed answers. It serves the guide's two apps as the real simulator
//! answers them (copied once from an in-process simulator), changed as the case says, and
//! counts every request that is not a GET.
//!
//! Case format (YAML, unknown fields refused):
//!
//! ```yaml
//! about: what is wrong, in words
//! args: [plan, "{desired}"]      # {desired}, {dir}, {org} are replaced
//! env: {OKTA_CLIENT_TOKEN: null}  # overrides of the default environment; null removes
//! files: {desired/a.yaml: "..."}  # absent: the guide's desired state in desired/
//! hexFiles: {desired/b.yaml: "ff00"}
//! largeFiles: {desired/big.yaml: 52428800}   # that many bytes of YAML comments
//! symlinks: {desired/a.yaml: b.yaml}         # link -> target
//! api:                            # how the fake org answers (default: faithfully)
//!   apps: {0oa8ae1t5yev2ajDs0h7: {raw: "{", remove: [/id], set: {/signOnMode: X}}}
//!   keys: {...}                   # the same, for GET …/credentials/keys
//!   list: loop | endless          # GET /api/v1/apps: a next link to itself, or without end
//! savedPlan: truncated          # first `plan {desired} --out {plan}` against the fake org,
//!                                 # then: intact | stale | truncated | edited | otherVersion |
//!                                 # otherKeyshare (another keyshare version, checksum made
//!                                 # afresh as that version would) | otherOrg (planned against
//!                                 # a second org)
//! expect: ["substring", ...]       # {keyshareVersion} is replaced; the output has [DIR]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, Response, StatusCode, Uri};
use keyshare::okta::model::canonical_json;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{TOKEN, keyshare_command};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad-input");
const GUIDE: &str = include_str!("../../../examples/desired-state/finance.yaml");
const CASE_LIMIT: Duration = Duration::from_secs(60);
/// The version a [`SavedPlan::OtherKeyshare`] plan claims to be made by.
const OTHER_KEYSHARE: &str = "0.0.1-other";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Case {
    about: String,
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, Option<String>>,
    files: Option<BTreeMap<String, String>>,
    #[serde(default)]
    hex_files: BTreeMap<String, String>,
    #[serde(default)]
    large_files: BTreeMap<String, usize>,
    #[serde(default)]
    symlinks: BTreeMap<String, String>,
    #[serde(default)]
    api: Api,
    saved_plan: Option<SavedPlan>,
    expect: Vec<String>,
}

fn read_case(path: &Path) -> Case {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: not a case: {e}", path.display()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Api {
    #[serde(default)]
    apps: BTreeMap<String, Answer>,
    #[serde(default)]
    keys: BTreeMap<String, Answer>,
    list: Option<Listing>,
}

/// A change to one faithful answer: a raw body instead, or members removed and set (JSON
/// pointers).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    raw: Option<String>,
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    set: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Listing {
    Loop,
    Endless,
}

/// How a plan file saved by `plan --out` is spoiled before the case's command reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum SavedPlan {
    Intact,
    /// Unchanged, but the org's second app is relabelled after the plan was made.
    Stale,
    Truncated,
    Edited,
    OtherVersion,
    /// Written by another keyshare version of the same format: its checksum is made afresh,
    /// as that version would have made it.
    OtherKeyshare,
    OtherOrg,
}

impl SavedPlan {
    fn spoil(self, path: &Path) {
        let text = std::fs::read_to_string(path).unwrap();
        let mut json: Value = serde_json::from_str(&text).unwrap();
        let spoiled = match self {
            Self::Intact | Self::Stale | Self::OtherOrg => return,
            Self::Truncated => text[..text.len() / 2].to_owned(),
            Self::Edited => text.replacen("0oa8ae0dv4RGQvjyZ0h7", "0oa8ae0dv4RGQvjyZ0h8", 1),
            Self::OtherVersion => {
                json["format_version"] = Value::from(999);
                json.to_string()
            }
            Self::OtherKeyshare => {
                json["keyshare_version"] = Value::from(OTHER_KEYSHARE);
                let object = json.as_object_mut().unwrap();
                object.remove("checksum");
                let checksum = Sha256::digest(canonical_json(&json).as_bytes());
                json["checksum"] = Value::from(hex::encode(checksum));
                json.to_string()
            }
        };
        assert_ne!(spoiled, text, "{self:?} changed the plan file");
        std::fs::write(path, spoiled).unwrap();
    }
}

/// What the real simulator answers for the guide's org, by app id.
struct Faithful {
    apps: BTreeMap<String, Value>,
    keys: BTreeMap<String, Value>,
}

impl Faithful {
    async fn copy_from_simulator() -> Self {
        let sim = okta_sim::env::start(okta_sim::SimConfig::default())
            .await
            .expect("simulator starts");
        let client = reqwest::Client::new();
        let get = |path: String| {
            let request = client
                .get(format!("{}{path}", sim.base_url()))
                .header("Authorization", format!("SSWS {TOKEN}"));
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
        };
        let listed = get("/api/v1/apps".to_owned()).await;
        let mut apps = BTreeMap::new();
        let mut keys = BTreeMap::new();
        for app in listed.as_array().unwrap() {
            let id = app["id"].as_str().unwrap().to_owned();
            keys.insert(
                id.clone(),
                get(format!("/api/v1/apps/{id}/credentials/keys")).await,
            );
            apps.insert(id, app.clone());
        }
        Self { apps, keys }
    }
}

/// The fake org of one case.
struct FakeOrg {
    faithful: Arc<Faithful>,
    api: Api,
    base_url: String,
    writes: AtomicU64,
    pages: AtomicU64,
    /// Set once a saved plan was made, for [`SavedPlan::Stale`]: the second app's label changes.
    changed_since_plan: AtomicBool,
}

fn answer(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

fn not_found() -> Response<Body> {
    answer(
        StatusCode::NOT_FOUND,
        r#"{"errorCode":"E0000007","errorSummary":"Not found: Resource not found","errorLink":"E0000007","errorId":"oaefake","errorCauses":[]}"#.to_owned(),
    )
}

fn changed(value: &Value, change: Option<&Answer>) -> String {
    let Some(change) = change else {
        return value.to_string();
    };
    if let Some(raw) = &change.raw {
        return raw.clone();
    }
    let mut value = value.clone();
    for pointer in &change.remove {
        let (parent, last) = pointer.rsplit_once('/').expect("a JSON pointer");
        let parent = value.pointer_mut(parent).expect("the parent exists");
        match parent {
            Value::Object(map) => {
                map.remove(last);
            }
            Value::Array(items) => {
                items.remove(last.parse::<usize>().expect("an index"));
            }
            _ => panic!("{pointer} is not inside an object or array"),
        }
    }
    for (pointer, new) in &change.set {
        *value.pointer_mut(pointer).expect("the member exists") = new.clone();
    }
    value.to_string()
}

async fn serve(State(org): State<Arc<FakeOrg>>, method: Method, uri: Uri) -> Response<Body> {
    if method != Method::GET {
        org.writes.fetch_add(1, Ordering::SeqCst);
        return not_found();
    }
    let parts: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", "v1", "apps"] => list(&org),
        ["api", "v1", "apps", id] => match org.faithful.apps.get(*id) {
            Some(app)
                if org.changed_since_plan.load(Ordering::SeqCst) && app["label"] == "App 2" =>
            {
                let mut app = app.clone();
                app["label"] = Value::from("App 2 (renamed)");
                app["lastUpdated"] = Value::from("2099-01-01T00:00:00.000Z");
                answer(StatusCode::OK, app.to_string())
            }
            Some(app) => answer(StatusCode::OK, changed(app, org.api.apps.get(*id))),
            None => not_found(),
        },
        ["api", "v1", "apps", id, "credentials", "keys"] => match org.faithful.keys.get(*id) {
            Some(keys) => answer(StatusCode::OK, changed(keys, org.api.keys.get(*id))),
            None => not_found(),
        },
        _ => not_found(),
    }
}

fn list(org: &FakeOrg) -> Response<Body> {
    let page = org.pages.fetch_add(1, Ordering::SeqCst);
    let all: Vec<&Value> = org.faithful.apps.values().collect();
    let (body, next) = match org.api.list {
        None => (serde_json::to_string(&all).unwrap(), None),
        Some(Listing::Loop) => (
            serde_json::to_string(&all).unwrap(),
            Some(format!("{}/api/v1/apps?limit=200&after=loop", org.base_url)),
        ),
        Some(Listing::Endless) => (
            "[]".to_owned(),
            Some(format!(
                "{}/api/v1/apps?limit=200&after=p{page}",
                org.base_url
            )),
        ),
    };
    let mut response = answer(StatusCode::OK, body);
    if let Some(next) = next {
        response.headers_mut().insert(
            "link",
            HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).unwrap(),
        );
    }
    response
}

async fn start_fake(faithful: Arc<Faithful>, api: Api) -> Arc<FakeOrg> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let org = Arc::new(FakeOrg {
        faithful,
        api,
        base_url: format!("http://{}", listener.local_addr().unwrap()),
        writes: AtomicU64::new(0),
        pages: AtomicU64::new(0),
        changed_since_plan: AtomicBool::new(false),
    });
    let app = axum::Router::new()
        .fallback(serve)
        .with_state(Arc::clone(&org));
    tokio::spawn(async move { axum::serve(listener, app).await });
    org
}

/// Writes the case's files into `dir`.
fn lay_out(case: &Case, dir: &Path) {
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    std::fs::create_dir_all(dir.join("desired")).unwrap();
    match &case.files {
        None => write(&dir.join("desired/finance.yaml"), GUIDE.as_bytes()),
        Some(files) => {
            for (path, text) in files {
                write(&dir.join(path), text.as_bytes());
            }
        }
    }
    for (path, text) in &case.hex_files {
        write(&dir.join(path), &hex::decode(text).expect("hex"));
    }
    for (path, size) in &case.large_files {
        let line = "# padding padding padding padding padding padding padding padding\n";
        let text = line.repeat(size / line.len() + 1);
        write(&dir.join(path), &text.as_bytes()[..*size]);
    }
    for (link, target) in &case.symlinks {
        std::os::unix::fs::symlink(target, dir.join(link)).unwrap();
    }
}

fn fill(text: &str, dir: &Path, org: &str) -> String {
    text.replace("{desired}", &dir.join("desired").display().to_string())
        .replace("{plan}", &dir.join("plan.json").display().to_string())
        .replace("{dir}", &dir.display().to_string())
        .replace("{org}", org)
}

/// The binary with the case's environment, pointed at `org`.
fn command(case: &Case, dir: &Path, org: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::from(keyshare_command());
    cmd.env("OKTA_CLIENT_ORGURL", org)
        .env("OKTA_CLIENT_TOKEN", TOKEN)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for (name, value) in &case.env {
        match value {
            Some(value) => cmd.env(name, fill(value, dir, org)),
            None => cmd.env_remove(name),
        };
    }
    cmd
}

/// Runs one case; returns what is wrong with keyshare's answer, if anything.
async fn run_case(path: &Path, faithful: Arc<Faithful>) -> Result<(), String> {
    let mut case = read_case(path);
    let dir = tempfile::tempdir().unwrap();
    lay_out(&case, dir.path());
    let org = start_fake(Arc::clone(&faithful), std::mem::take(&mut case.api)).await;
    if let Some(saved) = case.saved_plan {
        let planned_in = if saved == SavedPlan::OtherOrg {
            start_fake(Arc::clone(&faithful), Api::default()).await
        } else {
            Arc::clone(&org)
        };
        let desired = dir.path().join("desired").display().to_string();
        let out = dir.path().join("plan.json").display().to_string();
        let mut plan = command(&case, dir.path(), &planned_in.base_url);
        plan.args(["plan", &desired, "--out", &out]);
        let planned = tokio::time::timeout(CASE_LIMIT, plan.output())
            .await
            .map_err(|_| format!("{}: plan --out hangs", path.display()))?
            .expect("keyshare plan runs");
        assert_eq!(
            planned.status.code(),
            Some(2),
            "{}: plan --out: {}",
            path.display(),
            String::from_utf8_lossy(&planned.stderr)
        );
        saved.spoil(&dir.path().join("plan.json"));
        org.changed_since_plan
            .store(saved == SavedPlan::Stale, Ordering::SeqCst);
    }
    let mut cmd = command(&case, dir.path(), &org.base_url);
    cmd.args(case.args.iter().map(|a| fill(a, dir.path(), &org.base_url)));
    let output = tokio::time::timeout(CASE_LIMIT, cmd.output())
        .await
        .map_err(|_| format!("no answer within {CASE_LIMIT:?} (a hang)"))?
        .expect("keyshare runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
    .replace(&dir.path().display().to_string(), "[DIR]");
    let mut problems = Vec::new();
    if output.status.code() != Some(1) {
        problems.push(format!("exit {:?}, not 1", output.status.code()));
    }
    if printed.contains("panicked") {
        problems.push("it panicked".to_owned());
    }
    let writes = org.writes.load(Ordering::SeqCst);
    if writes > 0 {
        problems.push(format!("{writes} write(s) reached the org"));
    }
    for expected in &case.expect {
        let expected = expected.replace("{keyshareVersion}", env!("CARGO_PKG_VERSION"));
        if !printed.contains(&expected) {
            problems.push(format!("missing {expected:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} ({}): {}\n--- printed:\n{printed}",
            path.display(),
            case.about,
            problems.join("; ")
        ))
    }
}

fn corpus() -> Vec<PathBuf> {
    let mut cases = Vec::new();
    let mut pending = vec![PathBuf::from(CORPUS)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                cases.push(path);
            }
        }
    }
    cases.sort();
    cases
}

/// Runs every case and fails listing every case keyshare got wrong.
async fn run_corpus() {
    let faithful = Arc::new(Faithful::copy_from_simulator().await);
    let cases: Vec<PathBuf> = corpus();
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(problem) = run_case(case, Arc::clone(&faithful)).await {
            failures.push(problem);
        }
    }
    eprintln!("bad inputs tried: {}", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_is_refused_with_a_precise_message() {
    assert!(
        corpus().len() >= 40,
        "the corpus has {} cases",
        corpus().len()
    );
    run_corpus().await;
}
