//! `--commit` and `--run-url`: where a plan comes from, for the header line of a Markdown
//! comment. CI sets both already, so by default they are read from GitHub Actions'
//! (`GITHUB_SHA`, `GITHUB_SERVER_URL`/`GITHUB_REPOSITORY`/`GITHUB_RUN_ID`) or GitLab's
//! (`CI_COMMIT_SHA`, `CI_JOB_URL`) variables. Read here, at the edge, so that the renderer
//! stays pure.

use crate::render::CommentHeader;

#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Markdown comment header")]
pub struct CommentArgs {
    /// The commit the desired state was read from [default: $GITHUB_SHA, $CI_COMMIT_SHA].
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// The CI run that made the plan [default: GitHub Actions' run, $CI_JOB_URL].
    #[arg(long, value_name = "URL")]
    run_url: Option<String>,
}

impl CommentArgs {
    /// The header for a plan of `org_url`, from the flags, else the process environment.
    pub fn header(&self, org_url: &str) -> CommentHeader {
        self.header_from(org_url, |name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    /// The header, with the environment read through `var`.
    fn header_from(&self, org_url: &str, var: impl Fn(&str) -> Option<String>) -> CommentHeader {
        let github_run = || {
            Some(format!(
                "{}/{}/actions/runs/{}",
                var("GITHUB_SERVER_URL")?.trim_end_matches('/'),
                var("GITHUB_REPOSITORY")?,
                var("GITHUB_RUN_ID")?
            ))
        };
        CommentHeader {
            org_url: Some(org_url.trim_end_matches('/').to_owned()),
            commit: self
                .commit
                .clone()
                .or_else(|| var("GITHUB_SHA"))
                .or_else(|| var("CI_COMMIT_SHA")),
            run_url: self
                .run_url
                .clone()
                .or_else(github_run)
                .or_else(|| var("CI_JOB_URL")),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(args: &CommentArgs, env: &[(&str, &str)]) -> CommentHeader {
        args.header_from("https://example.okta.com/", |name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn flags_win_then_github_then_gitlab() {
        let github = [
            ("GITHUB_SHA", "1111111aaaa"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/okta"),
            ("GITHUB_RUN_ID", "42"),
            ("CI_COMMIT_SHA", "2222222bbbb"),
            ("CI_JOB_URL", "https://gitlab.example/acme/okta/-/jobs/7"),
        ];
        let from_env = header(&CommentArgs::default(), &github);
        assert_eq!(
            from_env.org_url.as_deref(),
            Some("https://example.okta.com")
        );
        assert_eq!(from_env.commit.as_deref(), Some("1111111aaaa"));
        assert_eq!(
            from_env.run_url.as_deref(),
            Some("https://github.com/acme/okta/actions/runs/42")
        );
        let gitlab = header(&CommentArgs::default(), &github[4..]);
        assert_eq!(gitlab.commit.as_deref(), Some("2222222bbbb"));
        assert_eq!(
            gitlab.run_url.as_deref(),
            Some("https://gitlab.example/acme/okta/-/jobs/7")
        );
        let flags = CommentArgs {
            commit: Some("3333333".into()),
            run_url: Some("https://ci.example/9".into()),
        };
        let from_flags = header(&flags, &github);
        assert_eq!(from_flags.commit.as_deref(), Some("3333333"));
        assert_eq!(from_flags.run_url.as_deref(), Some("https://ci.example/9"));
        let nothing = header(&CommentArgs::default(), &[]);
        assert_eq!((nothing.commit, nothing.run_url), (None, None));
    }
}
