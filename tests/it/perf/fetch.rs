//! The kid-filter strategy of the cost model (docs/performance.md) against the simulator: it
//! reads the same snapshot as per-reference reads, at the calls the model counts on.

use jiff::Timestamp;
use keyshare::apply::FetchOptions;
use keyshare::apply::cost::AppReads;
use keyshare::okta::http::{Bucket, HttpClient};
use keyshare::plan::plan;

use crate::support::apply::*;

/// Requests made so far in (`/api/v1/apps`, `/api/v1/apps/{id}`).
fn calls(client: &HttpClient) -> (u64, u64) {
    let stats = client.stats();
    let count = |bucket| stats.buckets.get(&bucket).map_or(0, |b| b.requests);
    (count(Bucket::Apps), count(Bucket::AppById))
}

fn by(reads: AppReads) -> FetchOptions {
    FetchOptions {
        app_reads: Some(reads),
        ..FetchOptions::default()
    }
}

#[tokio::test]
async fn a_member_in_sync_comes_with_the_filter_and_needs_no_get() {
    let org = Org::guide().await;
    let desired = finance();
    org.execute(&org.plan(&desired).await).await.unwrap();
    let reference = fetch_with(&org.client, &desired, &by(AppReads::PerReference)).await;
    let before = calls(&org.client);

    let live = fetch_with(&org.client, &desired, &by(AppReads::KidFilter)).await;

    let after = calls(&org.client);
    // One GET of the source, one filtered listing that returns both apps, and the source's
    // key list (its key's metadata is not cached here).
    assert_eq!((after.0 - before.0, after.1 - before.1), (2, 1));
    assert_eq!(live.apps, reference.apps);
    assert!(plan(&desired, &live, Timestamp::now()).unwrap().is_empty());
}

#[tokio::test]
async fn a_drifted_member_missing_from_the_filter_is_read_by_id() {
    let org = Org::guide().await;
    let desired = finance();
    let reference = fetch_with(&org.client, &desired, &by(AppReads::PerReference)).await;
    let before = calls(&org.client);

    let live = fetch_with(&org.client, &desired, &by(AppReads::KidFilter)).await;

    let after = calls(&org.client);
    // The member signs with a key of its own: the filter misses it and a GET reads it. The
    // source's key is due for rotation, so its list is read.
    assert_eq!((after.0 - before.0, after.1 - before.1), (2, 2));
    assert_eq!(live.apps, reference.apps);
    assert_eq!(
        plan(&desired, &live, Timestamp::now()).unwrap(),
        plan(&desired, &reference, Timestamp::now()).unwrap()
    );
}
