//! Staged rotation in the plan's three formats, as snapshots: a five-app group planned by the
//! real planner when the stage is due, once it is staged, when the switch is due, and when a
//! pin switches by hand. The service providers' action block is the point: a checkbox per app
//! with the certificate's fingerprints, a collapsed PEM, and the date to trust it by.

use jiff::{SignedDuration, Timestamp};
use keyshare::config::{
    AppRef, AppSelector, DesiredState, KeyPolicy, Location, SigningKeyGroup, Staging, SwitchWhen,
};
use keyshare::okta::{AppId, Application, JsonWebKey, Kid};
use keyshare::plan::{LiveSnapshot, Plan, plan};
use keyshare::render::{Command, RenderContext, json, markdown, text};
use serde_json::json;

/// A real certificate from Okta's documentation (public).
const CERT: &str = "MIIDwjCCAqqgAwIBAgIGAZ6sjdkAMA0GCSqGSIb3DQEBCwUAMIGhMQswCQYDVQQGEwJVUzETMBEGA1UECAwKQ2FsaWZvcm5pYTEWMBQGA1UEBwwNU2FuIEZyYW5jaXNjbzENMAsGA1UECgwET2t0YTEUMBIGA1UECwwLU1NPUHJvdmlkZXIxIjAgBgNVBAMMGWRjcC10Zi10ZXN0aW5nLTIwMjYtMDEtMDYxHDAaBgkqhkiG9w0BCQEWDWluZm9Ab2t0YS5jb20wHhcNMjYwNjA5MTMyMjU3WhcNMzYwNjA5MTMyMzU3WjCBoTELMAkGA1UEBhMCVVMxEzARBgNVBAgMCkNhbGlmb3JuaWExFjAUBgNVBAcMDVNhbiBGcmFuY2lzY28xDTALBgNVBAoMBE9rdGExFDASBgNVBAsMC1NTT1Byb3ZpZGVyMSIwIAYDVQQDDBlkY3AtdGYtdGVzdGluZy0yMDI2LTAxLTA2MRwwGgYJKoZIhvcNAQkBFg1pbmZvQG9rdGEuY29tMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA6BnoRsCnQuWaCYQ67c24SY983/47UlNU19xe7c85qiJrVIvKkmKwRyrchT45jFfcne2bM+1SG/m4/4LPEeUHzwV9umg4EJ6rFVqFGvY7DSp9vFEcE8R4sJ/V5dROd+Lnd9zTff/gqYS67dSXZSUbMUg5X8WgiEdyYF4ncV2dgcqJQvMKOhGamugf38dZO2awdriiqkAUVCruguA68wBKJJcwZlmzjq9JA53YKbSJh2S37ooILcI7F9OeDIah0HeZ79qTqid/as9rj8OuTjhQpkQV1/sDouFQ/V/G0McrxKwggeaOv8z528Ry7u3V3Jck/lza6B6rVzHKn3eL+Q6eawIDAQABMA0GCSqGSIb3DQEBCwUAA4IBAQBuukpgINkEiPoDZsblDLickWrUux5U6gBUZ7zEnDqDXd2wO3JSSrD0OipGmIWdTgj8lydsLk4PMgqRTNax0LPLj5we6Oq58SU53MOXVpmaZyWgc8t0d6Vw0+j1M5FPs+NIkmmHVdkiLHWsaVm1sMZ+fJsPnugkBv71oAhuXQ6J4bGLIMq6R2AKXTqpR+fOgshig88Dtm23rQK1XjzM0qnZYoAiQfoPWpDcwbQhtNIVpfjECNzfcAJAkwORvSK3X79OzEyOiVPQVeyXPWKkEEoizg8jIfeb2NnsET0U42VONyz9pUCiFPKQz7d+nfiwzbk08mPok01KL4ik6j8CMi3s";

const APPS: [(&str, &str); 5] = [
    ("0oa1stage00000000001", "Payroll"),
    ("0oa1stage00000000002", "Expenses"),
    ("0oa1stage00000000003", "Travel"),
    ("0oa1stage00000000004", "Wiki"),
    ("0oa1stage00000000005", "Tickets"),
];

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn app(id: &str, label: &str, kid: &str) -> Application {
    Application::from_json(json!({
        "id": id, "name": format!("myorg_{}", label.to_lowercase()), "label": label,
        "status": "ACTIVE", "signOnMode": "SAML_2_0", "lastUpdated": "2026-11-01T09:30:00.000Z",
        "credentials": {"signing": {"kid": kid}},
        "settings": {"app": {}, "signOn": {"ssoAcsUrl": format!("https://{id}.sp.example/acs")}}
    }))
    .unwrap()
}

fn key(kid: &str, created: &str, expires_at: &str) -> JsonWebKey {
    JsonWebKey {
        kid: Kid::from(kid),
        kty: Some("RSA".into()),
        use_: Some("sig".into()),
        created: at(created),
        last_updated: None,
        expires_at: at(expires_at),
        x5c: vec![CERT.to_owned()],
        x5t_s256: None,
        e: Some("AQAB".into()),
        n: None,
    }
}

/// The active key expires on 2027-01-15; the next, `kNext`, was staged on 2026-11-20.
fn active() -> JsonWebKey {
    key("kActive", "2025-01-15T00:00:00Z", "2027-01-15T00:00:00Z")
}

fn next() -> JsonWebKey {
    key("kNext", "2026-11-20T00:00:00Z", "2028-11-20T00:00:00Z")
}

/// Five apps signing with `signs`, each holding `keys`.
fn org(signs: &str, keys: &[JsonWebKey]) -> LiveSnapshot {
    let mut live = LiveSnapshot::default();
    for (id, label) in APPS {
        live.insert_app(app(id, label, signs));
        live.insert_keys(AppId::from(id), keys.to_vec());
    }
    live
}

fn desired(kid: Option<&str>) -> DesiredState {
    let place = |line| Location {
        file: "payroll.yaml".into(),
        line,
        column: 5,
    };
    let reference = |(i, (id, _)): (usize, &(&str, &str))| AppRef {
        selector: AppSelector::Id(AppId::from(*id)),
        location: place(7 + i),
    };
    let apps: Vec<AppRef> = APPS.iter().enumerate().map(reference).collect();
    DesiredState::new(vec![SigningKeyGroup {
        name: "payroll".into(),
        source: apps[0].clone(),
        members: apps[1..].to_vec(),
        key: KeyPolicy {
            validity_years: 2,
            rotate_before: Some(SignedDuration::from_hours(30 * 24)),
            stage: Some(Staging {
                before: SignedDuration::from_hours(60 * 24),
                switch: SwitchWhen::AfterSoak,
                location: place(14),
            }),
            rotate_after: None,
            kid: kid.map(Kid::from),
        },
        suspended: false,
        location: place(4),
    }])
}

fn planned(live: &LiveSnapshot, now: &str, kid: Option<&str>) -> Plan {
    plan(&desired(kid), live, at(now)).unwrap()
}

fn text_of(plan: &Plan, live: &LiveSnapshot, command: Command) -> String {
    text::render(plan, &RenderContext { snapshot: live }, command, false)
}

fn markdown_of(plan: &Plan, live: &LiveSnapshot) -> String {
    markdown::render(plan, &RenderContext { snapshot: live }, Command::Plan).join("\n=====\n")
}

#[test]
fn staging_due() {
    let live = org("kActive", &[active()]);
    let plan = planned(&live, "2026-11-26T12:00:00Z", None);
    insta::assert_snapshot!("staging_due_text", text_of(&plan, &live, Command::Plan));
    insta::assert_snapshot!("staging_due_markdown", markdown_of(&plan, &live));
}

#[test]
fn staged() {
    let live = org("kActive", &[active(), next()]);
    let plan = planned(&live, "2026-11-26T12:00:00Z", None);
    assert!(plan.is_empty(), "a staged group is in sync");
    insta::assert_snapshot!("staged_text", text_of(&plan, &live, Command::Drift));
    insta::assert_snapshot!("staged_markdown", markdown_of(&plan, &live));
    insta::assert_snapshot!(
        "staged_json",
        json::render(&plan, &RenderContext { snapshot: &live }, Command::Plan)
    );
}

#[test]
fn switch_due() {
    let live = org("kActive", &[active(), next()]);
    let plan = planned(&live, "2026-12-20T12:00:00Z", None);
    insta::assert_snapshot!("switch_due_text", text_of(&plan, &live, Command::Plan));
    insta::assert_snapshot!("switch_due_markdown", markdown_of(&plan, &live));
}

#[test]
fn manual_activation_by_pin_shows_the_certificate() {
    let live = org("kActive", &[active(), next()]);
    let plan = planned(&live, "2026-11-26T12:00:00Z", Some("kNext"));
    let comment = markdown_of(&plan, &live);
    assert!(!comment.contains("known after apply"), "{comment}");
    insta::assert_snapshot!("pinned_switch_markdown", comment);
}
