//! The cost model of reading apps: which calls learn the apps a desired state refers to at the
//! lowest cost in Okta's rate limits (docs/okta-api.md §6): the `/api/v1/apps` bucket is
//! small and shared with every other integration of the org, so calls, not CPU, are what a
//! read costs (docs/performance.md).
//!
//! Pure arithmetic, no I/O, so that the choice can be tested as a table and explained in
//! docs/performance.md.

/// Per-minute ceilings of the two rate-limit buckets app reads fall into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketLimits {
    /// `/api/v1/apps` and every `/api/v1/apps/*` path: listings, `q` searches, key lists,
    /// generate and clone. Scarce: 100 a minute on Workforce plans, 20 on free ones.
    pub apps: u32,
    /// Exactly `/api/v1/apps/{id}`: GET, PUT and DELETE of one app. 500 a minute on Workforce.
    pub app_by_id: u32,
}

impl Default for BucketLimits {
    /// Okta's Workforce defaults. Real orgs differ; the client reads the headers.
    fn default() -> Self {
        Self {
            apps: 100,
            app_by_id: 500,
        }
    }
}

/// How to read the apps the desired state refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppReads {
    /// `GET /api/v1/apps/{id}` per id reference (app-by-id bucket) and one `q` search per
    /// label or name reference (apps bucket).
    PerReference,
    /// One listing of every app, 200 per page (apps bucket).
    FullListing,
    /// Sources per reference, then one `filter=credentials.signing.kid eq "…"` listing per
    /// source key (apps bucket), which returns in one call every member already signing with
    /// it; members it does not return (drifted ones) are read per reference.
    KidFilter,
}

/// What the desired state refers to, counted without duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct References {
    /// References by app id.
    pub ids: usize,
    /// References by label or name, each needing a `q` search when read one by one.
    pub searches: usize,
    /// Groups: at most one kid filter each.
    pub groups: usize,
    /// Members referenced by id: the GETs a kid filter spares while they are in sync.
    pub member_ids: usize,
    /// Whether members are expected to sign with their source's key already (a previous run
    /// converged). Only then may a kid filter be chosen: for members that sign otherwise it
    /// costs a GET each on top of the filter, more than reading them by id outright.
    pub members_in_sync: bool,
}

/// Apps per page of a full listing (Okta's maximum `limit`).
pub const PAGE_SIZE: usize = 200;

/// Org size assumed when nothing better is known. Overestimating it only makes keyshare read
/// a small desired state one app at a time; underestimating it could list a huge org to read
/// a handful of apps, so the guess sits well above most orgs' app counts.
pub const ASSUMED_ORG_APPS: usize = 1_000;

/// Chooses how to read apps so that the reads take the least time at the buckets' floor.
///
/// The two buckets refill independently, so a strategy costs the slower of its two streams,
/// in minutes at the floor:
///
/// - per reference: `max(searches / apps, ids / app_by_id)`;
/// - full listing: `pages / apps`, where `pages = ⌈org_apps / 200⌉`;
/// - kid filter: `max((groups + searches) / apps, (ids − member_ids) / app_by_id)`, counting
///   members as in sync (a drifted member costs one GET more, as per reference); considered
///   only when [`References::members_in_sync`] says they are expected to be.
///
/// Ties go to per-reference reads, then to the listing: they leave the scarce apps bucket to
/// the key lists that follow. Typical outcomes on Workforce limits: the guide's two apps are
/// two GETs; 10,000 ids in a 10,000-app org are one listing of 50 pages instead of 10,000
/// GETs (30 s against 20 min at the floor); ten groups of 50 in that org are 10 GETs and 10
/// filtered listings (6 s) instead of 50 pages (30 s).
///
/// `org_apps` is the number of apps in the org when known (a previous listing learns it);
/// without it the org is assumed to hold [`ASSUMED_ORG_APPS`], or the referenced apps when
/// there are more.
pub fn choose_app_reads(
    refs: References,
    org_apps: Option<usize>,
    limits: BucketLimits,
) -> AppReads {
    let org_apps = org_apps.unwrap_or_else(|| ASSUMED_ORG_APPS.max(refs.ids + refs.searches));
    let pages = org_apps.div_ceil(PAGE_SIZE).max(1);
    let minutes = |calls: usize, per_minute: u32| calls as f64 / f64::from(per_minute.max(1));
    let per_reference =
        minutes(refs.searches, limits.apps).max(minutes(refs.ids, limits.app_by_id));
    let full_listing = minutes(pages, limits.apps);
    let kid_filter = if refs.members_in_sync {
        minutes(refs.groups + refs.searches, limits.apps).max(minutes(
            refs.ids.saturating_sub(refs.member_ids),
            limits.app_by_id,
        ))
    } else {
        f64::INFINITY
    };
    if per_reference <= full_listing && per_reference <= kid_filter {
        AppReads::PerReference
    } else if full_listing <= kid_filter {
        AppReads::FullListing
    } else {
        AppReads::KidFilter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cheapest_reads_for_the_org_at_hand() {
        let workforce = BucketLimits::default();
        let free = BucketLimits {
            apps: 20,
            app_by_id: 100,
        };
        // Groups of `size` apps, all referenced by id.
        let by_id = |groups: usize, size: usize| References {
            ids: groups * size,
            searches: 0,
            groups,
            member_ids: groups * (size - 1),
            members_in_sync: true,
        };
        let by_label = |groups: usize, size: usize| References {
            ids: 0,
            searches: groups * size,
            groups,
            member_ids: 0,
            members_in_sync: true,
        };
        use AppReads::{FullListing, KidFilter, PerReference};
        // (references, known org size, limits, expected)
        let table = [
            (by_id(1, 2), None, workforce, PerReference),
            (by_id(1, 2), Some(10_000), workforce, PerReference),
            (by_label(1, 2), None, workforce, PerReference),
            (by_id(5, 5), Some(1_000), workforce, PerReference),
            (by_id(13, 2), Some(1_000), workforce, FullListing),
            (by_id(2_000, 5), Some(10_000), workforce, FullListing),
            (by_id(2_000, 5), None, workforce, FullListing),
            (by_id(6, 5), Some(100_000), workforce, PerReference),
            (by_label(4, 2), Some(1_000), workforce, FullListing),
            (by_id(5, 2), Some(150), free, FullListing),
            (by_id(1, 1), Some(150), free, PerReference),
            (by_id(10, 50), Some(10_000), workforce, KidFilter),
            (by_id(100, 20), Some(100_000), workforce, KidFilter),
            (by_label(10, 50), Some(10_000), workforce, FullListing),
            (by_id(10, 50), Some(1_000), workforce, FullListing),
            (
                References {
                    members_in_sync: false,
                    ..by_id(10, 50)
                },
                Some(10_000),
                workforce,
                FullListing,
            ),
        ];
        for (refs, org_apps, limits, expected) in table {
            assert_eq!(
                choose_app_reads(refs, org_apps, limits),
                expected,
                "{refs:?} in an org of {org_apps:?} apps under {limits:?}"
            );
        }
    }
}
