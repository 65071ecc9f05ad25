//! Finds the `next` page in Okta's `Link` headers (RFC 8288, docs/okta-api.md §2).
//!
//! Okta sends one `link` header per relation, but a proxy may join them into one comma-separated
//! header; both are read. The target is returned verbatim (resolved against the request URL if
//! relative): cursors are opaque, so this module must never build or edit a page URL.

use reqwest::header::{HeaderMap, LINK};
use url::Url;

/// One link-value: its target and its `rel` relation types.
#[derive(Debug, PartialEq, Eq)]
struct LinkValue<'a> {
    target: &'a str,
    rels: Vec<&'a str>,
}

/// The `rel="next"` target among all `Link` headers, resolved against `base`.
///
/// A header that is not valid UTF-8 or a target that is not a URL is an error, because silently
/// stopping would return a partial list as if it were complete.
pub fn next_link(headers: &HeaderMap, base: &Url) -> Result<Option<Url>, String> {
    for value in headers.get_all(LINK) {
        let text = value
            .to_str()
            .map_err(|_| "a Link header is not valid text".to_owned())?;
        for link in parse_link_values(text)? {
            if link.rels.iter().any(|r| r.eq_ignore_ascii_case("next")) {
                return base
                    .join(link.target)
                    .map(Some)
                    .map_err(|e| format!("the next link `{}` is not a URL: {e}", link.target));
            }
        }
    }
    Ok(None)
}

/// Splits one header value into link-values: `<target>; param=value; …, <target>; …`.
fn parse_link_values(text: &str) -> Result<Vec<LinkValue<'_>>, String> {
    let mut links = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let after_open = rest
            .strip_prefix('<')
            .ok_or_else(|| format!("a Link header does not start with `<`: {text:?}"))?;
        let close = after_open
            .find('>')
            .ok_or_else(|| format!("a Link header has no closing `>`: {text:?}"))?;
        let target = &after_open[..close];
        let (params, next) = split_params(&after_open[close + 1..]);
        links.push(LinkValue {
            target,
            rels: rel_types(params),
        });
        rest = next.trim_start();
    }
    Ok(links)
}

/// Splits the parameters of one link-value from the link-values after it, at the first comma
/// outside double quotes.
fn split_params(text: &str) -> (&str, &str) {
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => return (&text[..i], &text[i + 1..]),
            _ => {}
        }
    }
    (text, "")
}

/// The relation types of `rel=next`, `rel="next"` or `rel="self next"`.
fn rel_types(params: &str) -> Vec<&str> {
    params
        .split(';')
        .filter_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("rel")
                .then(|| value.trim().trim_matches('"'))
        })
        .flat_map(str::split_whitespace)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const BASE: &str = "https://org.example.com/api/v1/apps?limit=2";

    fn next_of(values: &[&str]) -> Result<Option<String>, String> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(LINK, HeaderValue::from_str(v).unwrap());
        }
        next_link(&headers, &Url::parse(BASE).unwrap()).map(|u| u.map(String::from))
    }

    #[test]
    fn next_link_cases() {
        let next = "https://org.example.com/api/v1/apps?after=0oa2&limit=2";
        let cases: &[(&str, &[&str], Option<&str>)] = &[
            ("no header: last page", &[], None),
            (
                "only self: last page",
                &[r#"<https://org.example.com/api/v1/apps?limit=2>; rel="self""#],
                None,
            ),
            (
                "separate headers, self first",
                &[
                    r#"<https://org.example.com/api/v1/apps?limit=2>; rel="self""#,
                    r#"<https://org.example.com/api/v1/apps?after=0oa2&limit=2>; rel="next""#,
                ],
                Some(next),
            ),
            (
                "one comma-joined header",
                &[
                    r#"<https://org.example.com/api/v1/apps?limit=2>; rel="self", <https://org.example.com/api/v1/apps?after=0oa2&limit=2>; rel="next""#,
                ],
                Some(next),
            ),
            (
                "next before self, unquoted rel",
                &[
                    r#"<https://org.example.com/api/v1/apps?after=0oa2&limit=2>; rel=next, <https://org.example.com/api/v1/apps?limit=2>; rel=self"#,
                ],
                Some(next),
            ),
            (
                "comma inside the target and several rel types",
                &[
                    r#"<https://org.example.com/api/v1/apps?after=a,b&limit=2>; title="x, y"; rel="prev next""#,
                ],
                Some("https://org.example.com/api/v1/apps?after=a,b&limit=2"),
            ),
            (
                "relative target resolved against the request",
                &[r#"</api/v1/apps?after=0oa2&limit=2>; rel="next""#],
                Some(next),
            ),
        ];
        for (name, headers, expected) in cases {
            assert_eq!(
                next_of(headers).unwrap().as_deref(),
                *expected,
                "case: {name}"
            );
        }
    }

    #[test]
    fn malformed_headers_are_errors() {
        for bad in [r#"https://x/>; rel="next""#, r#"<https://x/; rel="next""#] {
            assert!(next_of(&[bad]).is_err(), "{bad} should be rejected");
        }
    }
}
