//! The three writes, one function each, each making one attempt.
//!
//! Only what is harmless to repeat is treated as done on a second look: a clone whose target
//! is seen to hold the key, a switch to the kid the app already signs with. A generate is never
//! repeated: after an ambiguous failure the source's keys are listed and the new one adopted.

use crate::okta::{AppId, Application, JsonWebKey, Kid, OktaApi};
use crate::plan::AppPrecondition;

use super::StepFailure;

/// How a step ended, when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// The write was made.
    Done,
    /// Okta was already in the step's target state; nothing was written.
    AlreadyDone,
    /// A generate failed ambiguously, but the key it made was found and adopted.
    Adopted(Kid),
}

/// Generates a key on `app`, or adopts the one an ambiguous failure left behind. Returns the
/// kid and how the step ended.
pub(super) async fn generate(
    api: &impl OktaApi,
    app: &AppId,
    validity_years: u8,
    known_kids: &[Kid],
) -> Result<(Kid, StepOutcome), StepFailure> {
    let error = match api.generate_key(app, validity_years).await {
        Ok(key) => return Ok((key.kid, StepOutcome::Done)),
        Err(e) if e.is_ambiguous() => e,
        Err(e) => return Err(StepFailure::Api(e)),
    };
    tracing::warn!(%app, %error, "generate failed ambiguously; looking for the key it may have made");
    let keys = match api.list_keys(app).await {
        Ok(keys) => keys,
        Err(list) => {
            return Err(StepFailure::GenerateUnresolved {
                app: app.clone(),
                generate: Box::new(error),
                list: Box::new(list),
            });
        }
    };
    // Several new keys mean someone else generated too; the newest is the one the planner
    // would resume with, so adopting it keeps apply and plan in agreement.
    let appeared = keys
        .into_iter()
        .filter(|key| !known_kids.contains(&key.kid))
        .max_by(|a, b| (a.created, &a.kid).cmp(&(b.created, &b.kid)));
    match appeared {
        Some(JsonWebKey { kid, .. }) => Ok((kid.clone(), StepOutcome::Adopted(kid))),
        None => Err(StepFailure::Api(error)),
    }
}

/// Clones `kid` from `holder` to `target`. A refusal that may mean "the target already holds
/// it" counts as done only when the target's key list shows the kid: Okta refuses clones for
/// other reasons with the same code and summary, and a clone counted as done when it was not
/// would let the switches that follow split the group across two keys.
pub(super) async fn clone(
    api: &impl OktaApi,
    holder: &AppId,
    kid: &Kid,
    target: &AppId,
) -> Result<StepOutcome, StepFailure> {
    let refusal = match api.clone_key(holder, kid, target).await {
        Ok(_) => return Ok(StepOutcome::Done),
        Err(e) if e.may_be_clone_duplicate() => e,
        Err(e) => return Err(StepFailure::Api(e)),
    };
    match api.list_keys(target).await {
        Ok(keys) if keys.iter().any(|key| key.kid == *kid) => Ok(StepOutcome::AlreadyDone),
        Ok(_) => Err(StepFailure::CloneRefused {
            target: target.clone(),
            kid: kid.clone(),
            refusal: Box::new(refusal),
        }),
        Err(list) => Err(StepFailure::CloneUnconfirmed {
            target: target.clone(),
            kid: kid.clone(),
            refusal: Box::new(refusal),
            list: Box::new(list),
        }),
    }
}

/// Makes `app` sign with `kid`: GET the whole app, check it against what the plan saw, PUT it
/// back with only `credentials.signing.kid` changed.
pub(super) async fn switch(
    api: &impl OktaApi,
    app: &AppId,
    kid: &Kid,
    expect: &AppPrecondition,
) -> Result<StepOutcome, StepFailure> {
    let current = api.get_app(app).await.map_err(StepFailure::Api)?;
    if current.signing_kid.as_ref() == Some(kid) {
        return Ok(StepOutcome::AlreadyDone);
    }
    if let Some(what) = difference(&current, expect) {
        return Err(StepFailure::AppChanged {
            app: app.clone(),
            label: current.label,
            what,
        });
    }
    let updated = api
        .replace_app(app, &current.with_signing_kid(kid))
        .await
        .map_err(StepFailure::Api)?;
    if updated.signing_kid.as_ref() != Some(kid) {
        return Err(StepFailure::NotSwitched {
            app: app.clone(),
            expected: kid.clone(),
            actual: updated
                .signing_kid
                .map_or_else(|| "no key".to_owned(), |k| k.0),
        });
    }
    Ok(StepOutcome::Done)
}

/// How `app` differs from what the plan saw, in words, if it does. The digest catches a
/// change within `lastUpdated`'s one-second precision.
fn difference(app: &Application, expect: &AppPrecondition) -> Option<String> {
    let shown = |v: Option<&str>| v.unwrap_or("none").to_owned();
    if app.signing_kid != expect.signing_kid {
        Some(format!(
            "it signs with {}, the plan saw {}",
            shown(app.signing_kid.as_ref().map(|k| k.0.as_str())),
            shown(expect.signing_kid.as_ref().map(|k| k.0.as_str())),
        ))
    } else if app.last_updated != expect.last_updated {
        Some(format!(
            "lastUpdated is {}, the plan saw {}",
            shown(app.last_updated.as_deref()),
            shown(expect.last_updated.as_deref()),
        ))
    } else if app.digest() != expect.digest {
        Some("its settings differ from what the plan read".to_owned())
    } else {
        None
    }
}
