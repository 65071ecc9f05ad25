//! `GET /api/v1/apps`: `q`, `filter`, `limit` and the `after` cursor, and the `Link` headers of
//! each page (docs/okta-api.md §2). The cursor is the id of the last app of the page, so `after` works
//! with whatever `limit`, `q` and `filter` the caller sends with it (docs/okta-api.md §10.6).

use url::form_urlencoded;

use super::error::OktaError;
use super::org::{App, Org};

/// Page size when `limit` is absent or not positive (DOC-apps; see docs/simulator.md).
pub const DEFAULT_LIMIT: usize = 20;
/// Largest page the spec allows (`maximum: 200`); a larger `limit` is refused.
pub const MAX_LIMIT: usize = 200;

/// A parsed list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    q: Option<String>,
    filter: Option<Filter>,
    limit: usize,
    after: Option<String>,
}

/// One `filter` expression: `property eq "value"`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Filter {
    property: Property,
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Property {
    Id,
    Status,
    Name,
    SigningKid,
    SloEnabled,
}

impl ListQuery {
    /// Parses the query string's parameters.
    pub fn parse(params: &[(String, String)]) -> Result<Self, OktaError> {
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let limit = match get("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => match text.trim().parse::<i64>() {
                Ok(n) if n <= 0 => DEFAULT_LIMIT,
                Ok(n) if n > MAX_LIMIT as i64 => {
                    return Err(OktaError::validation("limit").with_cause(format!(
                        "limit: {n} is more than the maximum of {MAX_LIMIT}"
                    )));
                }
                Ok(n) => usize::try_from(n).unwrap_or(MAX_LIMIT),
                Err(_) => {
                    return Err(OktaError::validation("limit")
                        .with_cause(format!("limit: {text:?} is not an integer")));
                }
            },
        };
        Ok(Self {
            q: get("q").filter(|q| !q.is_empty()).map(str::to_lowercase),
            filter: get("filter").map(Filter::parse).transpose()?,
            limit,
            after: get("after").filter(|a| !a.is_empty()).map(str::to_owned),
        })
    }

    /// The page size in effect.
    pub fn limit(&self) -> usize {
        self.limit
    }

    fn matches(&self, app: &App) -> bool {
        let q_matches = self.q.as_deref().is_none_or(|q| {
            ["name", "label"].iter().any(|field| {
                app.str_field(field)
                    .is_some_and(|v| v.to_lowercase().starts_with(q))
            })
        });
        q_matches && self.filter.as_ref().is_none_or(|f| f.matches(app))
    }

    /// The apps of this page and the cursor of the next one, if there is one; an unknown
    /// cursor is 400 E0000029, as a real org answered one (docs/simulator.md).
    pub fn page<'a>(&self, org: &'a Org) -> Result<(Vec<&'a App>, Option<String>), OktaError> {
        let start = match &self.after {
            None => 0,
            Some(after) => org.position(after).ok_or_else(OktaError::invalid_paging)? + 1,
        };
        let mut matching = org
            .apps()
            .iter()
            .skip(start)
            .filter(|app| self.matches(app));
        let page: Vec<&App> = matching.by_ref().take(self.limit).collect();
        let more = matching.next().is_some();
        let next = more
            .then(|| page.last().map(|a| a.id().to_owned()))
            .flatten();
        Ok((page, next))
    }
}

impl Filter {
    fn parse(text: &str) -> Result<Self, OktaError> {
        // Okta names no cause here; the supported expressions are in docs/simulator.md.
        let unsupported = OktaError::invalid_search;
        let mut parts = text.trim().splitn(3, ' ');
        let (Some(property), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(unsupported());
        };
        let property = match property {
            "id" => Property::Id,
            "status" => Property::Status,
            "name" => Property::Name,
            "credentials.signing.kid" => Property::SigningKid,
            "settings.slo.enabled" => Property::SloEnabled,
            _ => return Err(unsupported()),
        };
        if !op.eq_ignore_ascii_case("eq") {
            return Err(unsupported());
        }
        let value = value.trim();
        let value = match property {
            Property::SloEnabled if matches!(value, "true" | "false") => value,
            Property::SloEnabled => return Err(unsupported()),
            _ => value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .filter(|v| !v.contains('"'))
                .ok_or_else(unsupported)?,
        };
        Ok(Self {
            property,
            value: value.to_owned(),
        })
    }

    fn matches(&self, app: &App) -> bool {
        let actual = match self.property {
            Property::Id => app.str_field("id"),
            Property::Status => app.str_field("status"),
            Property::Name => app.str_field("name"),
            Property::SigningKid => app.signing_kid(),
            Property::SloEnabled => {
                let enabled = app
                    .body
                    .get("settings")
                    .and_then(|s| s.pointer("/signOn/slo/enabled"))
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false);
                return enabled.to_string() == self.value;
            }
        };
        actual == Some(self.value.as_str())
    }
}

/// The `link` header values for a page: `self` first, then `next` when there is one. Both
/// are laid out as recorded real answers are: `after` (when there is one), then `limit`
/// (the default when none was sent), then the caller's other parameters (`q`, `filter`, …).
pub fn link_headers(
    base_url: &str,
    params: &[(String, String)],
    limit: usize,
    next: Option<&str>,
) -> Vec<String> {
    let limit = limit.to_string();
    let url = |after: Option<&str>| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(after) = after {
            query.append_pair("after", after);
        }
        query.append_pair("limit", &limit);
        query.extend_pairs(params.iter().filter(|(k, _)| k != "after" && k != "limit"));
        format!("{base_url}/api/v1/apps?{}", query.finish())
    };
    let after = params
        .iter()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.as_str());
    let mut links = vec![format!("<{}>; rel=\"self\"", url(after))];
    if let Some(next) = next {
        links.push(format!("<{}>; rel=\"next\"", url(Some(next))));
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn limit_defaults_and_refuses_more_than_200() {
        let cases = [
            (None, 20),
            (Some("0"), 20),
            (Some("-1"), 20),
            (Some("5"), 5),
            (Some("200"), 200),
        ];
        for (limit, want) in cases {
            let p = limit.map(|l| params(&[("limit", l)])).unwrap_or_default();
            assert_eq!(
                ListQuery::parse(&p).unwrap().limit(),
                want,
                "limit {limit:?}"
            );
        }
        for refused in ["ten", "201", "100000"] {
            assert_eq!(
                ListQuery::parse(&params(&[("limit", refused)]))
                    .unwrap_err()
                    .code,
                "E0000001",
                "limit {refused}"
            );
        }
    }

    #[test]
    fn unsupported_filters_are_400_e0000031() {
        for filter in [
            "label eq \"x\"",
            "id sw \"0oa\"",
            "id eq 0oa",
            "status eq \"A\" and id eq \"B\"",
            "id",
            "settings.slo.enabled eq \"yes\"",
        ] {
            let err = ListQuery::parse(&params(&[("filter", filter)])).unwrap_err();
            assert_eq!(
                (err.status.as_u16(), err.code),
                (400, "E0000031"),
                "{filter}"
            );
        }
        for filter in [
            "id eq \"0oa1\"",
            "status eq \"ACTIVE\"",
            "name eq \"x\"",
            "credentials.signing.kid eq \"k\"",
            "settings.slo.enabled eq true",
        ] {
            assert!(
                ListQuery::parse(&params(&[("filter", filter)])).is_ok(),
                "{filter}"
            );
        }
    }

    #[test]
    fn links_put_self_first_and_keep_the_callers_parameters() {
        let p = params(&[("q", "App"), ("limit", "1")]);
        let links = link_headers("http://127.0.0.1:1", &p, 1, Some("0oaNEXT"));
        assert_eq!(
            links,
            [
                "<http://127.0.0.1:1/api/v1/apps?limit=1&q=App>; rel=\"self\"",
                "<http://127.0.0.1:1/api/v1/apps?after=0oaNEXT&limit=1&q=App>; rel=\"next\"",
            ]
        );
        assert_eq!(
            link_headers("http://h", &[], 20, None),
            ["<http://h/api/v1/apps?limit=20>; rel=\"self\""],
            "the default limit is in the self link, as recorded"
        );
        let p = params(&[("after", "0oaPREV"), ("limit", "1")]);
        assert_eq!(
            link_headers("http://h", &p, 1, None),
            ["<http://h/api/v1/apps?after=0oaPREV&limit=1>; rel=\"self\""]
        );
    }
}
