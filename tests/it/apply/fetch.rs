//! What reading a snapshot costs, in calls per rate-limit bucket, counted by keyshare's own
//! client against the simulator.

use jiff::Timestamp;
use keyshare::apply::cost::AppReads;
use keyshare::apply::{FetchOptions, KeyCache, fetch_snapshot};
use keyshare::config::AppSelector;
use keyshare::okta::AppId;
use keyshare::okta::http::{Bucket, HttpClient};
use keyshare::plan::plan;
use okta_sim::SimConfig;

use crate::support::apply::*;
use crate::support::{APP1, APP2};

/// Requests made so far in (`/api/v1/apps`, `/api/v1/apps/{id}`).
fn calls(client: &HttpClient) -> (u64, u64) {
    let stats = client.stats();
    let count = |bucket| stats.buckets.get(&bucket).map_or(0, |b| b.requests);
    (count(Bucket::Apps), count(Bucket::AppById))
}

#[tokio::test]
async fn the_guide_by_id_costs_two_gets_and_one_key_list() {
    let org = Org::guide().await;
    // In a spawned task, as `watch` runs it: the fetch must be Send.
    let client = org.client.clone();
    let live = tokio::spawn(async move {
        fetch_snapshot(
            &client,
            &finance(),
            Timestamp::now(),
            &FetchOptions::default(),
        )
        .await
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(live.apps.len(), 2);
    // The source's key is due for rotation, so its list is read (is a fresh key there?);
    // the member's is not needed, since the new key will be cloned to it anyway.
    assert_eq!(
        live.keys.keys().map(|a| a.0.as_str()).collect::<Vec<_>>(),
        [APP1]
    );
    assert_eq!(calls(&org.client), (1, 2));
}

#[tokio::test]
async fn labels_and_names_are_searched_and_matched_exactly() {
    let org = Org::guide().await;
    let desired = finance_with(
        AppSelector::Label("App 1".into()),
        AppSelector::Name("myorg_app2".into()),
    );
    let live = org.fetch(&desired).await;
    let ids: Vec<&str> = live.apps.keys().map(|a| a.0.as_str()).collect();
    assert_eq!(ids, [APP2, APP1]);
    assert_eq!(calls(&org.client), (3, 0), "two searches and one key list");
    let plan = plan(&desired, &live, Timestamp::now()).unwrap();
    assert_eq!(plan.groups[0].source.0, APP1);
}

#[tokio::test]
async fn a_full_listing_reads_every_app_in_the_apps_bucket() {
    let org = Org::guide().await;
    let options = FetchOptions {
        app_reads: Some(AppReads::FullListing),
        ..FetchOptions::default()
    };
    let live = fetch_with(&org.client, &finance(), &options).await;
    assert_eq!(live.apps.len(), 2);
    assert_eq!(calls(&org.client), (2, 0), "one page and one key list");
}

#[tokio::test]
async fn many_ids_are_read_by_one_listing_rather_than_one_get_each() {
    let org = Org::start(SimConfig::default().with_synthetic_apps(40)).await;
    let state = org.state().await;
    let synthetic: Vec<AppSelector> = state["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["app"]["id"].as_str().unwrap())
        .filter(|id| *id != APP1 && *id != APP2)
        .map(|id| AppSelector::Id(AppId::from(id)))
        .collect();
    let mut desired = finance_with(synthetic[0].clone(), synthetic[1].clone());
    let members = synthetic[1..].iter().cloned();
    let group = &mut desired.groups[0];
    let template = group.members[0].clone();
    group.members = members
        .map(|selector| keyshare::config::AppRef {
            selector,
            ..template.clone()
        })
        .collect();

    let live = org.fetch(&desired).await;

    assert_eq!(live.apps.len(), 42, "the whole org, in one page");
    let key_lists = live.keys.len() as u64;
    assert_eq!(calls(&org.client), (1 + key_lists, 0));
}

#[tokio::test]
async fn the_key_cache_spares_every_key_list_of_a_group_in_sync() {
    let org = Org::guide().await;
    let desired = finance();
    org.execute(&org.plan(&desired).await).await.unwrap();
    let cold = org.fetch(&desired).await;
    let dir = tempfile::tempdir().unwrap();
    let path = KeyCache::file_for(dir.path(), &org.sim.base_url());
    let mut cache = KeyCache::empty(&org.sim.base_url());
    cache.remember(&cold, Timestamp::now());
    cache.save(&path).unwrap();
    let before = calls(&org.client);

    let options = FetchOptions {
        known_keys: KeyCache::load(&path, &org.sim.base_url()).known_keys(Timestamp::now()),
        ..FetchOptions::default()
    };
    let warm = fetch_with(&org.client, &desired, &options).await;

    assert!(warm.keys.is_empty());
    let after = calls(&org.client);
    assert_eq!((after.0 - before.0, after.1 - before.1), (0, 2));
    assert!(plan(&desired, &warm, Timestamp::now()).unwrap().is_empty());
}

#[tokio::test]
async fn an_app_id_okta_does_not_know_is_reported_with_file_and_group() {
    let org = Org::guide().await;
    let desired = finance_with(
        AppSelector::Id(AppId::from(APP1)),
        AppSelector::Id(AppId::from("0oa00000000000000000")),
    );
    let live = org.fetch(&desired).await;
    let errors = plan(&desired, &live, Timestamp::now()).unwrap_err();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "finance.yaml:8:5: group `finance`: no app matches 0oa00000000000000000; \
          check the id, label or name in Okta"
        ]
    );
}
