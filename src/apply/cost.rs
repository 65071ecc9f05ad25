//! The cost model of reading apps: which calls learn the apps a desired state refers to at the
//! lowest cost in Okta's rate limits (REFERENCE §6, issue 7).
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
}

/// What the desired state refers to, counted without duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct References {
    /// References by app id.
    pub ids: usize,
    /// References by label or name, each needing a `q` search when read one by one.
    pub searches: usize,
}

/// Apps per page of a full listing (Okta's maximum `limit`).
pub const PAGE_SIZE: usize = 200;

/// Org size assumed when nothing better is known. Overestimating it only makes keyshare read
/// a small desired state one app at a time; underestimating it could list a huge org to read
/// a handful of apps, so the guess sits well above most orgs' app counts.
pub const ASSUMED_ORG_APPS: usize = 1_000;

/// Chooses how to read apps so that the reads take the least time at the buckets' floor.
///
/// The two buckets refill independently, so reading per reference costs the slower of its
/// two streams: `max(searches / apps, ids / app_by_id)` minutes. A full listing costs
/// `pages / apps` minutes, where `pages = ⌈org_apps / 200⌉`. Ties go to per-reference reads,
/// which leave the scarce apps bucket to the key lists that follow. Typical outcomes on
/// Workforce limits: the guide's two apps are two GETs; 10,000 ids in a 10,000-app org are
/// one listing of 50 pages instead of 10,000 GETs (30 s against 20 min at the floor).
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
    if per_reference <= full_listing {
        AppReads::PerReference
    } else {
        AppReads::FullListing
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
        let refs = |ids, searches| References { ids, searches };
        // (references, known org size, limits, expected)
        let table = [
            (refs(2, 0), None, workforce, AppReads::PerReference),
            (refs(2, 0), Some(10_000), workforce, AppReads::PerReference),
            (refs(0, 2), None, workforce, AppReads::PerReference),
            (refs(25, 0), Some(1_000), workforce, AppReads::PerReference),
            (refs(26, 0), Some(1_000), workforce, AppReads::FullListing),
            (
                refs(10_000, 0),
                Some(10_000),
                workforce,
                AppReads::FullListing,
            ),
            (refs(10_000, 0), None, workforce, AppReads::FullListing),
            (
                refs(30, 0),
                Some(100_000),
                workforce,
                AppReads::PerReference,
            ),
            (refs(0, 8), Some(1_000), workforce, AppReads::FullListing),
            (refs(10, 0), Some(150), free, AppReads::FullListing),
            (refs(1, 0), Some(150), free, AppReads::PerReference),
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
