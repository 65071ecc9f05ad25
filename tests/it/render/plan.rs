//! The three output formats of a plan, as snapshots: a plan with every kind of step and
//! warning, and the no-change case, for each command's wording.

use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use keyshare::okta::{AppId, Application, JsonWebKey, Kid};
use keyshare::plan::{
    AppPrecondition, GroupPlan, KeyChoice, KeyRef, LiveSnapshot, Plan, RotationReason, Step,
    Warning,
};
use keyshare::render::{Command, CommentHeader, PART_LINKS, RenderContext, json, markdown, text};
use serde_json::json;

use crate::support::{APP1, APP2};

/// A real certificate from Okta's documentation (public), with its published `x5t#S256`.
const CERT: &str = "MIIDwjCCAqqgAwIBAgIGAZ6sjdkAMA0GCSqGSIb3DQEBCwUAMIGhMQswCQYDVQQGEwJVUzETMBEGA1UECAwKQ2FsaWZvcm5pYTEWMBQGA1UEBwwNU2FuIEZyYW5jaXNjbzENMAsGA1UECgwET2t0YTEUMBIGA1UECwwLU1NPUHJvdmlkZXIxIjAgBgNVBAMMGWRjcC10Zi10ZXN0aW5nLTIwMjYtMDEtMDYxHDAaBgkqhkiG9w0BCQEWDWluZm9Ab2t0YS5jb20wHhcNMjYwNjA5MTMyMjU3WhcNMzYwNjA5MTMyMzU3WjCBoTELMAkGA1UEBhMCVVMxEzARBgNVBAgMCkNhbGlmb3JuaWExFjAUBgNVBAcMDVNhbiBGcmFuY2lzY28xDTALBgNVBAoMBE9rdGExFDASBgNVBAsMC1NTT1Byb3ZpZGVyMSIwIAYDVQQDDBlkY3AtdGYtdGVzdGluZy0yMDI2LTAxLTA2MRwwGgYJKoZIhvcNAQkBFg1pbmZvQG9rdGEuY29tMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA6BnoRsCnQuWaCYQ67c24SY983/47UlNU19xe7c85qiJrVIvKkmKwRyrchT45jFfcne2bM+1SG/m4/4LPEeUHzwV9umg4EJ6rFVqFGvY7DSp9vFEcE8R4sJ/V5dROd+Lnd9zTff/gqYS67dSXZSUbMUg5X8WgiEdyYF4ncV2dgcqJQvMKOhGamugf38dZO2awdriiqkAUVCruguA68wBKJJcwZlmzjq9JA53YKbSJh2S37ooILcI7F9OeDIah0HeZ79qTqid/as9rj8OuTjhQpkQV1/sDouFQ/V/G0McrxKwggeaOv8z528Ry7u3V3Jck/lza6B6rVzHKn3eL+Q6eawIDAQABMA0GCSqGSIb3DQEBCwUAA4IBAQBuukpgINkEiPoDZsblDLickWrUux5U6gBUZ7zEnDqDXd2wO3JSSrD0OipGmIWdTgj8lydsLk4PMgqRTNax0LPLj5we6Oq58SU53MOXVpmaZyWgc8t0d6Vw0+j1M5FPs+NIkmmHVdkiLHWsaVm1sMZ+fJsPnugkBv71oAhuXQ6J4bGLIMq6R2AKXTqpR+fOgshig88Dtm23rQK1XjzM0qnZYoAiQfoPWpDcwbQhtNIVpfjECNzfcAJAkwORvSK3X79OzEyOiVPQVeyXPWKkEEoizg8jIfeb2NnsET0U42VONyz9pUCiFPKQz7d+nfiwzbk08mPok01KL4ik6j8CMi3s";
const CERT_X5T_S256: &str = "mdg426qC7itj69Npzjpaz5w3O9Jjz0lDFFabxhLXC4I";

const APP3: &str = "0oa9hr000000000003h7";
const APP4: &str = "0oa9hr000000000004h7";
const APP5: &str = "0oa9hr000000000005h7";
const OLD1: &str = "Yr9AElCftDtLP5CmjzZFMKXndqHtx7B3QPkg8jrI-01";
const OLD2: &str = "Yr9AElCftDtLP5CmjzZFMKXndqHtx7B3QPkg8jrI-02";
const HR_KEY: &str = "G5xIdxdBEEv5Ao-GVtlsZh-b6Eu_TLl9O1C5kM4FRg4";
const STRAY: &str = "Yr9AElCftDtLP5CmjzZFMKXndqHtx7B3QPkg8jrI-05";

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn app(id: &str, label: &str, status: &str, kid: Option<&str>) -> Application {
    let mut credentials =
        json!({"userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"}});
    if let Some(kid) = kid {
        credentials["signing"] = json!({"kid": kid});
    }
    Application::from_json(json!({
        "id": id, "name": format!("myorg_{}", &id[13..]), "label": label, "status": status,
        "lastUpdated": "2026-11-01T09:30:00.000Z", "created": "2026-01-10T08:00:00.000Z",
        "signOnMode": "SAML_2_0",
        "accessibility": {"selfService": false, "errorRedirectUrl": null},
        "visibility": {"autoSubmitToolbar": false, "hide": {"iOS": false, "web": false}},
        "credentials": credentials,
        "settings": {"app": {}, "signOn": {
            "ssoAcsUrl": format!("https://{id}.sp.example/acs"),
            "audience": format!("https://{id}.sp.example"),
            "signatureAlgorithm": "RSA_SHA256", "digestAlgorithm": "SHA256"
        }}
    }))
    .unwrap()
}

fn key(kid: &str, x5c: &str, expires_at: &str) -> JsonWebKey {
    JsonWebKey {
        kid: Kid::from(kid),
        kty: Some("RSA".into()),
        use_: Some("sig".into()),
        created: at("2026-06-09T13:23:57Z"),
        last_updated: None,
        expires_at: at(expires_at),
        x5c: vec![x5c.to_owned()],
        x5t_s256: None,
        e: Some("AQAB".into()),
        n: None,
    }
}

/// Three groups: `finance` rotates (generate, clone, switch both), `hr | eu` shares an existing
/// key with an INACTIVE member that lacks it and an ACTIVE one that signs otherwise, `legal` is
/// in sync but its pinned key expires soon.
fn org() -> LiveSnapshot {
    let mut live = LiveSnapshot::default();
    for app in [
        app(APP1, "App 1", "ACTIVE", Some(OLD1)),
        app(APP2, "App 2", "ACTIVE", Some(OLD2)),
        app(APP3, "Payroll | EU <prod>", "ACTIVE", Some(HR_KEY)),
        app(APP4, "Payroll (staging)", "INACTIVE", None),
        app(APP5, "Payroll (DR)", "ACTIVE", Some(STRAY)),
    ] {
        live.insert_app(app);
    }
    live.insert_keys(
        AppId::from(APP3),
        vec![key(HR_KEY, CERT, "2036-06-09T13:23:57Z")],
    );
    live.insert_keys(
        AppId::from(APP5),
        vec![key(STRAY, "bm90IGEgY2VydA==", "2027-01-01T00:00:00Z")],
    );
    live
}

fn switch(group: &str, app: &str, from: Option<&str>, to: KeyRef) -> Step {
    Step::Switch {
        group: group.into(),
        app: AppId::from(app),
        from: from.map(Kid::from),
        to,
        expect: AppPrecondition {
            last_updated: Some("2026-11-01T09:30:00.000Z".into()),
            signing_kid: from.map(Kid::from),
            digest: "d".repeat(64),
        },
    }
}

fn full_plan() -> Plan {
    let generated = || KeyRef::Generated {
        group: "finance".into(),
    };
    let hr_key = || KeyRef::Existing(Kid::from(HR_KEY));
    Plan {
        steps: vec![
            Step::Generate {
                group: "finance".into(),
                app: AppId::from(APP1),
                validity_years: 2,
                known_kids: vec![Kid::from(OLD1)],
            },
            Step::Clone {
                group: "finance".into(),
                key: generated(),
                from: AppId::from(APP1),
                to: AppId::from(APP2),
            },
            Step::Clone {
                group: "hr | eu".into(),
                key: hr_key(),
                from: AppId::from(APP3),
                to: AppId::from(APP4),
            },
            switch("finance", APP1, Some(OLD1), generated()),
            switch("finance", APP2, Some(OLD2), generated()),
            switch("hr | eu", APP4, None, hr_key()),
            switch("hr | eu", APP5, Some(STRAY), hr_key()),
        ],
        warnings: vec![
            Warning::AppNotActive {
                group: "hr | eu".into(),
                app: AppId::from(APP4),
                status: "INACTIVE".into(),
            },
            Warning::KeyExpiringSoon {
                group: "legal".into(),
                kid: Kid::from("legal-key"),
                expires_at: at("2027-01-15T00:00:00Z"),
            },
            Warning::UnusedKeys {
                group: "hr | eu".into(),
                app: AppId::from(APP5),
                kids: vec![Kid::from(STRAY)],
            },
        ],
        groups: vec![
            GroupPlan {
                name: "finance".into(),
                source: AppId::from(APP1),
                members: vec![AppId::from(APP2)],
                key: generated(),
                key_expires_at: None,
                choice: KeyChoice::Generated {
                    because: RotationReason::ExpiresWithin {
                        kid: Kid::from(OLD1),
                        expires_at: at("2026-12-16T12:00:00Z"),
                        window: SignedDuration::from_hours(30 * 24),
                    },
                },
                phase: None,
            },
            GroupPlan {
                name: "hr | eu".into(),
                source: AppId::from(APP3),
                members: vec![AppId::from(APP4), AppId::from(APP5)],
                key: hr_key(),
                key_expires_at: Some(at("2036-06-09T13:23:57Z")),
                choice: KeyChoice::Active,
                phase: None,
            },
            in_sync_group(),
        ],
    }
}

/// A group that needs nothing; its app was not read, so it is named by id alone.
fn in_sync_group() -> GroupPlan {
    GroupPlan {
        name: "legal".into(),
        source: AppId::from("0oaLEGAL0000000000h7"),
        members: vec![AppId::from("0oaLEGAL0000000001h7")],
        key: KeyRef::Existing(Kid::from("legal-key")),
        key_expires_at: Some(at("2027-01-15T00:00:00Z")),
        choice: KeyChoice::Pinned,
        phase: None,
    }
}

fn no_change_plan() -> Plan {
    Plan {
        steps: vec![],
        warnings: vec![],
        groups: vec![in_sync_group()],
    }
}

fn markdown_comments(plan: &Plan, live: &LiveSnapshot, command: Command) -> String {
    markdown::render(plan, &RenderContext { snapshot: live }, command)
        .join("\n===== next comment =====\n")
}

#[test]
fn text_plan_with_every_step_and_warning() {
    let live = org();
    insta::assert_snapshot!(text::render(
        &full_plan(),
        &RenderContext { snapshot: &live },
        Command::Plan,
        false
    ));
}

#[test]
fn text_in_colour() {
    let live = org();
    let out = text::render(
        &full_plan(),
        &RenderContext { snapshot: &live },
        Command::Plan,
        true,
    );
    insta::assert_snapshot!(format!("{out:?}"));
}

#[test]
fn text_wording_per_command() {
    let live = org();
    let ctx = RenderContext { snapshot: &live };
    let mut out = String::new();
    for command in [Command::Plan, Command::Drift, Command::Apply] {
        for plan in [full_plan(), no_change_plan()] {
            let text = text::render(&plan, &ctx, command, false);
            let first = text.lines().next().unwrap_or_default().to_owned();
            let last = text.lines().last().unwrap_or_default().to_owned();
            out.push_str(&format!(
                "{command:?}, {} steps:\n  {first}\n  {last}\n",
                plan.steps.len()
            ));
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn text_no_changes() {
    let live = org();
    insta::assert_snapshot!(text::render(
        &no_change_plan(),
        &RenderContext { snapshot: &live },
        Command::Plan,
        false
    ));
}

#[test]
fn json_plan_with_every_step_and_warning() {
    let live = org();
    insta::assert_snapshot!(json::render(
        &full_plan(),
        &RenderContext { snapshot: &live },
        Command::Plan
    ));
}

#[test]
fn json_no_changes() {
    let live = org();
    insta::assert_snapshot!(json::render(
        &no_change_plan(),
        &RenderContext { snapshot: &live },
        Command::Drift
    ));
}

#[test]
fn markdown_plan_with_every_step_and_warning() {
    insta::assert_snapshot!(markdown_comments(&full_plan(), &org(), Command::Plan));
}

#[test]
fn markdown_no_changes() {
    insta::assert_snapshot!(markdown_comments(&no_change_plan(), &org(), Command::Plan));
}

#[test]
fn markdown_drift() {
    let comments = markdown_comments(&full_plan(), &org(), Command::Drift);
    let head: Vec<&str> = comments.lines().take(4).collect();
    insta::assert_snapshot!(head.join("\n"));
}

#[test]
fn markdown_certificate_fingerprint_is_the_published_one() {
    let comment = markdown_comments(&full_plan(), &org(), Command::Plan);
    let x5t = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(CERT_X5T_S256)
        .unwrap();
    let expected: Vec<String> = x5t.iter().map(|b| format!("{b:02X}")).collect();
    assert!(comment.contains(&format!("SHA-256 `{}`", expected.join(":"))));
    assert!(comment.contains(&CERT[..64]));
}

#[test]
fn markdown_splits_a_large_plan_into_comments_within_the_limit() {
    let mut live = org();
    let mut plan = Plan::default();
    // 400 groups of one switch each: far more than one comment holds.
    for i in 0..400 {
        let id = format!("0oaBULK{i:013}");
        live.insert_app(app(&id, &format!("Bulk app {i}"), "INACTIVE", Some(OLD1)));
        let group = format!("bulk-{i:03}");
        plan.steps.push(switch(
            &group,
            &id,
            Some(OLD1),
            KeyRef::Existing(Kid::from(HR_KEY)),
        ));
        plan.groups.push(GroupPlan {
            name: group,
            source: AppId(id.clone()),
            members: vec![],
            key: KeyRef::Existing(Kid::from(HR_KEY)),
            key_expires_at: None,
            choice: KeyChoice::Active,
            phase: None,
        });
    }
    let comments = markdown::render(&plan, &RenderContext { snapshot: &live }, Command::Plan);
    assert!(comments.len() > 1, "{} comment(s)", comments.len());
    for (i, comment) in comments.iter().enumerate() {
        assert!(comment.chars().count() <= markdown::MAX_COMMENT_CHARS);
        assert!(comment.starts_with("<!-- keyshare:plan -->\n"));
        assert!(comment.contains(&format!("_Part {} of {}._", i + 1, comments.len())));
        assert_eq!(
            comment.matches("<details>").count(),
            comment.matches("</details>").count()
        );
    }
    let all = comments.concat();
    for i in 0..400 {
        assert_eq!(
            all.matches(&format!("Bulk app {i} (")).count(),
            3,
            "app {i}: table row, step, diff"
        );
    }
}

#[test]
fn the_view_model_is_shared_by_every_format() {
    let live = org();
    let ctx = RenderContext { snapshot: &live };
    let json: serde_json::Value =
        serde_json::from_str(&json::render(&full_plan(), &ctx, Command::Plan)).unwrap();
    let text = text::render(&full_plan(), &ctx, Command::Plan, false);
    let summary = &json["summary"];
    assert_eq!(
        (
            summary["generate"].as_u64(),
            summary["clone"].as_u64(),
            summary["switch"].as_u64()
        ),
        (Some(1), Some(2), Some(4))
    );
    assert!(text.ends_with("Plan: 1 key to generate, 2 to clone, 4 apps to switch.\n"));
}

/// What a CI run passes to the comment's header line.
fn ci_header() -> CommentHeader {
    CommentHeader {
        org_url: Some("https://acme.okta.com".into()),
        commit: Some("4f2c9e1d7b3a5f60718293a4b5c6d7e8f9012345".into()),
        run_url: Some("https://github.com/acme/okta-config/actions/runs/1234567890".into()),
        version: Some("0.1.0".into()),
    }
}

/// `groups` groups of five ACTIVE apps each: a source holding the group's key (with a
/// certificate, so each group shows a PEM) and four members that get it cloned and switch to
/// it (four diffs per group).
fn large_plan(groups: usize) -> (Plan, LiveSnapshot) {
    let mut live = LiveSnapshot::default();
    let mut plan = Plan::default();
    for g in 0..groups {
        let name = format!("team-{g:03}");
        let kid = format!("{}{g:03}", &HR_KEY[..40]);
        let source = format!("0oaSRC{g:03}00000000h7");
        live.insert_app(app(
            &source,
            &format!("Team {g} portal"),
            "ACTIVE",
            Some(&kid),
        ));
        live.insert_keys(
            AppId::from(source.as_str()),
            vec![key(&kid, CERT, "2036-06-09T13:23:57Z")],
        );
        let group_key = || KeyRef::Existing(Kid::from(kid.as_str()));
        let mut members = Vec::new();
        for m in 0..4 {
            let id = format!("0oaM{g:03}{m}000000000h7");
            live.insert_app(app(&id, &format!("Team {g} app {m}"), "ACTIVE", Some(OLD1)));
            plan.steps.push(Step::Clone {
                group: name.clone(),
                key: group_key(),
                from: AppId::from(source.as_str()),
                to: AppId::from(id.as_str()),
            });
            plan.steps.push(switch(&name, &id, Some(OLD1), group_key()));
            members.push(AppId::from(id.as_str()));
        }
        plan.groups.push(GroupPlan {
            name,
            source: AppId::from(source.as_str()),
            members,
            key: group_key(),
            key_expires_at: Some(at("2036-06-09T13:23:57Z")),
            choice: KeyChoice::Active,
            phase: None,
        });
    }
    (plan, live)
}

/// Parses `comment` as GitHub does (GFM: tables, alerts, autolinks, strikethrough, task
/// lists) and checks what a broken comment shows as: a table whose rows do not have the
/// header's cells, a `<details>` closed before it opens or never closed, a code fence that
/// swallows what follows it. Returns the table rows (header included) and the fenced blocks.
fn check_gfm_structure(comment: &str) -> (usize, usize) {
    use comrak::nodes::NodeValue;
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    options.extension.tasklist = true;
    options.extension.alerts = true;
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, comment, &options);
    let (mut rows, mut fences, mut depth) = (0, 0, 0_i64);
    for node in root.descendants() {
        match &node.data.borrow().value {
            NodeValue::Table(table) => {
                for row in node.children() {
                    rows += 1;
                    assert_eq!(
                        row.children().count(),
                        table.num_columns,
                        "a row without the header's cells: {}",
                        row.collect_text()
                    );
                    let cells: Vec<String> = row.children().map(|c| c.collect_text()).collect();
                    assert!(
                        cells.iter().all(|c| !c.trim().is_empty()),
                        "empty cell in {cells:?}"
                    );
                }
            }
            NodeValue::CodeBlock(block) => {
                assert!(block.fenced, "an indented code block: {}", block.literal);
                assert!(
                    !block.literal.contains("<details>") && !block.literal.contains("</details>"),
                    "a code fence swallowed the Markdown after it:\n{}",
                    block.literal
                );
                fences += 1;
            }
            NodeValue::HtmlBlock(html) => {
                depth += tag_balance(&html.literal);
                assert!(depth >= 0, "</details> before its <details>");
            }
            NodeValue::HtmlInline(html) => {
                depth += tag_balance(html);
                assert!(depth >= 0, "</details> before its <details>");
            }
            _ => {}
        }
    }
    assert_eq!(depth, 0, "a <details> is never closed");
    (rows, fences)
}

/// `<details>` opened minus closed in an HTML fragment.
fn tag_balance(html: &str) -> i64 {
    let count = |tag: &str| i64::try_from(html.matches(tag).count()).unwrap();
    count("<details>") - count("</details>")
}

#[test]
fn markdown_comment_of_a_three_group_plan_with_its_header() {
    let live = org();
    let comments = markdown::render_comments(
        &full_plan(),
        &RenderContext { snapshot: &live },
        Command::Plan,
        &ci_header(),
        markdown::MAX_COMMENT_CHARS,
    );
    let [comment] = comments.as_slice() else {
        panic!("{} comments", comments.len())
    };
    // Header and three groups; one certificate and four diffs.
    assert_eq!(check_gfm_structure(comment), (4, 5));
    println!("3-group comment: {} characters", comment.chars().count());
    insta::assert_snapshot!(comment);
}

#[test]
fn a_hundred_group_plan_fits_one_comment() {
    let (plan, live) = large_plan(100);
    let ctx = RenderContext { snapshot: &live };
    let comments = markdown::render_comments(
        &plan,
        &ctx,
        Command::Plan,
        &ci_header(),
        markdown::MAX_COMMENT_CHARS,
    );
    let [comment] = comments.as_slice() else {
        panic!("{} comments", comments.len())
    };
    let chars = comment.chars().count();
    println!("100-group comment: {chars} characters");
    assert!(chars <= markdown::MAX_COMMENT_CHARS);
    // Every group is a row of the table and a collapsed section with its full kid.
    assert_eq!(check_gfm_structure(comment), (101, 0));
    for g in 0..100 {
        assert!(comment.contains(&format!("<summary><b>team-{g:03}</b>: 8 steps</summary>")));
        assert!(comment.contains(&format!("Key: `{}{g:03}`", &HR_KEY[..40])));
    }
    // A plan of ten groups (about 55,000 characters in full) keeps its certificates and diffs.
    let (plan, live) = large_plan(10);
    let comments = markdown::render_comments(
        &plan,
        &RenderContext { snapshot: &live },
        Command::Plan,
        &ci_header(),
        markdown::MAX_COMMENT_CHARS,
    );
    let [comment] = comments.as_slice() else {
        panic!("{} comments", comments.len())
    };
    assert_eq!(check_gfm_structure(comment), (11, 10 * 5));
}

#[test]
fn a_plan_split_into_parts_says_which_part_and_where_the_rest_is() {
    let (plan, live) = large_plan(100);
    let comments = markdown::render_comments(
        &plan,
        &RenderContext { snapshot: &live },
        Command::Drift,
        &ci_header(),
        20_000,
    );
    let n = comments.len();
    assert!(n > 1);
    let mut fences = 0;
    for (i, comment) in comments.iter().enumerate() {
        assert!(comment.chars().count() <= 20_000);
        assert!(comment.contains(&format!(
            "_Part {} of {n}._ The whole report is in the [CI run's summary](https://github.com/acme/okta-config/actions/runs/1234567890). {PART_LINKS}",
            i + 1
        )));
        fences += check_gfm_structure(comment).1;
    }
    // The parts keep every certificate and diff, each group collapsed.
    assert_eq!(fences, 100 * 5);
    assert!(comments[0].contains("open one for its steps, certificate and diffs"));
}
