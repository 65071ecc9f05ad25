//! The guide's scenario end to end through the real loader, planner and renderers: the
//! example desired state against an org of two apps whose own keys expire in 20 days.

use jiff::{SignedDuration, Timestamp};
use keyshare::config::load_dir;
use keyshare::okta::{AppId, Application, JsonWebKey, Kid};
use keyshare::plan::{LiveSnapshot, plan};
use keyshare::render::{Command, RenderContext, json, markdown, text};
use serde_json::json;

use crate::support::EXAMPLE;

const CERT: &str = "MIIDwjCCAqqgAwIBAgIGAZ6sjdkAMA0GCSqGSIb3DQEBCwUAMIGhMQswCQYDVQQGEwJVUzETMBEGA1UECAwKQ2FsaWZvcm5pYTEWMBQGA1UEBwwNU2FuIEZyYW5jaXNjbzENMAsGA1UECgwET2t0YTEUMBIGA1UECwwLU1NPUHJvdmlkZXIxIjAgBgNVBAMMGWRjcC10Zi10ZXN0aW5nLTIwMjYtMDEtMDYxHDAaBgkqhkiG9w0BCQEWDWluZm9Ab2t0YS5jb20wHhcNMjYwNjA5MTMyMjU3WhcNMzYwNjA5MTMyMzU3WjCBoTELMAkGA1UEBhMCVVMxEzARBgNVBAgMCkNhbGlmb3JuaWExFjAUBgNVBAcMDVNhbiBGcmFuY2lzY28xDTALBgNVBAoMBE9rdGExFDASBgNVBAsMC1NTT1Byb3ZpZGVyMSIwIAYDVQQDDBlkY3AtdGYtdGVzdGluZy0yMDI2LTAxLTA2MRwwGgYJKoZIhvcNAQkBFg1pbmZvQG9rdGEuY29tMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA6BnoRsCnQuWaCYQ67c24SY983/47UlNU19xe7c85qiJrVIvKkmKwRyrchT45jFfcne2bM+1SG/m4/4LPEeUHzwV9umg4EJ6rFVqFGvY7DSp9vFEcE8R4sJ/V5dROd+Lnd9zTff/gqYS67dSXZSUbMUg5X8WgiEdyYF4ncV2dgcqJQvMKOhGamugf38dZO2awdriiqkAUVCruguA68wBKJJcwZlmzjq9JA53YKbSJh2S37ooILcI7F9OeDIah0HeZ79qTqid/as9rj8OuTjhQpkQV1/sDouFQ/V/G0McrxKwggeaOv8z528Ry7u3V3Jck/lza6B6rVzHKn3eL+Q6eawIDAQABMA0GCSqGSIb3DQEBCwUAA4IBAQBuukpgINkEiPoDZsblDLickWrUux5U6gBUZ7zEnDqDXd2wO3JSSrD0OipGmIWdTgj8lydsLk4PMgqRTNax0LPLj5we6Oq58SU53MOXVpmaZyWgc8t0d6Vw0+j1M5FPs+NIkmmHVdkiLHWsaVm1sMZ+fJsPnugkBv71oAhuXQ6J4bGLIMq6R2AKXTqpR+fOgshig88Dtm23rQK1XjzM0qnZYoAiQfoPWpDcwbQhtNIVpfjECNzfcAJAkwORvSK3X79OzEyOiVPQVeyXPWKkEEoizg8jIfeb2NnsET0U42VONyz9pUCiFPKQz7d+nfiwzbk08mPok01KL4ik6j8CMi3s";

fn now() -> Timestamp {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

fn guide_org() -> LiveSnapshot {
    let mut live = LiveSnapshot::default();
    for (id, n, kid) in [
        (
            "0oa8ae1t5yev2ajDs0h7",
            1,
            "kid-of-app-1-own-key-aaaaaaaaaaaaaaaaaaaaaaa",
        ),
        (
            "0oa8ae0dv4RGQvjyZ0h7",
            2,
            "kid-of-app-2-own-key-bbbbbbbbbbbbbbbbbbbbbbb",
        ),
    ] {
        live.insert_app(
            Application::from_json(json!({
                "id": id, "name": format!("myorg_app{n}"), "label": format!("App {n}"),
                "status": "ACTIVE", "signOnMode": "SAML_2_0",
                "lastUpdated": "2026-11-01T00:00:00.000Z",
                "credentials": {"signing": {"kid": kid}},
                "settings": {"signOn": {"ssoAcsUrl": format!("https://sp.example/acs/{n}")}}
            }))
            .unwrap(),
        );
        live.insert_keys(
            AppId::from(id),
            vec![JsonWebKey {
                kid: Kid::from(kid),
                kty: Some("RSA".into()),
                use_: Some("sig".into()),
                created: now() - SignedDuration::from_hours(24 * 710),
                last_updated: None,
                expires_at: now() + SignedDuration::from_hours(24 * 20),
                x5c: vec![CERT.into()],
                x5t_s256: None,
                e: Some("AQAB".into()),
                n: None,
            }],
        );
    }
    live
}

#[test]
fn the_guide_flow_in_every_format() {
    let desired = load_dir(std::path::Path::new(EXAMPLE)).unwrap();
    let live = guide_org();
    let plan = plan(&desired, &live, now()).unwrap();
    let ctx = RenderContext { snapshot: &live };
    let text = text::render(&plan, &ctx, Command::Plan, false);
    assert!(
        text.contains("+ generate key on App 1 (0oa8ae1t5yev2ajDs0h7), valid 2 years"),
        "{text}"
    );
    assert!(
        text.ends_with("Plan: 1 key to generate, 1 to clone, 2 apps to switch.\n"),
        "{text}"
    );
    insta::assert_snapshot!("text", text);
    insta::assert_snapshot!("json", json::render(&plan, &ctx, Command::Plan));
    insta::assert_snapshot!(
        "markdown",
        markdown::render(&plan, &ctx, Command::Plan).join("\n=====\n")
    );
}
