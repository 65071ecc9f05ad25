//! One-off failures of each write of the five-app rotation in turn (1 generate, 4 clones,
//! 5 switches), injected by the simulator as a 503 before the write takes effect and, in a
//! second test, after it took effect (the client is told it failed although it happened).
//! Each must converge, in the same run or after a clear stop and a re-run, with exactly one new
//! key and no app changed beyond `credentials.signing` and `lastUpdated`.

use serde_json::json;

use crate::support::reliability::*;

/// One-off 5xx of the Nth write of the rotation, before or after it takes effect.
async fn one_off_failure(index: usize, when: &str) {
    let (method, route, nth) = rotation_writes()[index];
    let context = format!("503 {when} {method} {route} #{nth}");
    let mut fault = rule(method, route, nth, "fail", when);
    fault["status"] = json!(503);
    let injected = converges_under(&[], Some(json!({ "rules": [fault] })), &context).await;
    assert_eq!(injected, 1, "{context}: the fault was injected once");
}

macro_rules! one_off {
    ($name:ident, $index:expr, $when:expr) => {
        #[tokio::test]
        async fn $name() {
            one_off_failure($index, $when).await;
        }
    };
}

one_off!(generate_fails_before, 0, "before");
one_off!(generate_fails_after, 0, "after");
one_off!(clone_1_fails_before, 1, "before");
one_off!(clone_1_fails_after, 1, "after");
one_off!(clone_2_fails_before, 2, "before");
one_off!(clone_2_fails_after, 2, "after");
one_off!(clone_3_fails_before, 3, "before");
one_off!(clone_3_fails_after, 3, "after");
one_off!(clone_4_fails_before, 4, "before");
one_off!(clone_4_fails_after, 4, "after");
one_off!(switch_1_fails_before, 5, "before");
one_off!(switch_1_fails_after, 5, "after");
one_off!(switch_2_fails_before, 6, "before");
one_off!(switch_2_fails_after, 6, "after");
one_off!(switch_3_fails_before, 7, "before");
one_off!(switch_3_fails_after, 7, "after");
one_off!(switch_4_fails_before, 8, "before");
one_off!(switch_4_fails_after, 8, "after");
one_off!(switch_5_fails_before, 9, "before");
one_off!(switch_5_fails_after, 9, "after");
