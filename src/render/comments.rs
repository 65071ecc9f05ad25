//! Packing a long Markdown text into pull-request comments: GitHub refuses a comment longer
//! than 65,536 characters. The text arrives as blocks (sections) that are never split between
//! comments; a block too long for any comment is cut, with its code fence and `<details>`
//! closed so that the rest of the comment still renders.
//!
//! Also the header line that says where a comment comes from. Both are pure: what CI knows
//! (commit, run) is read by the command line and handed in, never looked up here.

/// Where a plan comes from, for the line under a comment's title. Every field is optional:
/// what is unknown is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentHeader {
    /// The Okta org the plan was made against.
    pub org_url: Option<String>,
    /// The commit of the desired state.
    pub commit: Option<String>,
    /// The CI run (GitHub Actions run, GitLab job) that made the plan.
    pub run_url: Option<String>,
    /// The keyshare version that made the plan.
    pub version: Option<String>,
}

impl CommentHeader {
    /// `Org https://… · commit `1a2b3c4` · [CI run](…) · keyshare 0.1.0`, or `None` when
    /// nothing is known.
    pub(super) fn line(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(org) = &self.org_url {
            parts.push(format!("Org {}", code(org)));
        }
        if let Some(commit) = &self.commit {
            // Seven characters, as GitHub abbreviates a commit; it links the full one itself.
            let short: String = commit.chars().take(7).collect();
            parts.push(format!("commit {}", code(&short)));
        }
        if let Some(run) = &self.run_url {
            parts.push(format!("[CI run]({})", link_target(run)));
        }
        if let Some(version) = &self.version {
            parts.push(format!("keyshare {}", code(version)));
        }
        (!parts.is_empty()).then(|| format!("<sub>{}</sub>", parts.join(" · ")))
    }
}

/// `text` as inline code, with nothing in it that could end the span or the line.
fn code(text: &str) -> String {
    let text: String = text
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '`' { '\'' } else { c })
        .collect();
    format!("`{text}`")
}

/// A URL as a link target: spaces, parentheses and angle brackets would end it early.
fn link_target(url: &str) -> String {
    url.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            ' ' => "%20".to_owned(),
            '(' => "%28".to_owned(),
            ')' => "%29".to_owned(),
            '<' => "%3C".to_owned(),
            '>' => "%3E".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// The placeholder in each part's line that a CI script replaces with links to the other
/// parts once it has posted them all (only it learns their URLs).
pub const PART_LINKS: &str = "<!-- keyshare:part-links -->";

/// Room kept in each comment for the marker and the "Part i of n" line, run link included.
const PART_HEADER_CHARS: usize = 100;

/// Packs blocks into comments of at most `limit` characters, each starting with `marker`.
/// A block too long for any comment on its own is cut, with its fences closed. When there
/// are several, each says which part it is and, when `header` knows the CI run, where the
/// whole report is.
pub(super) fn split(
    marker: &str,
    blocks: Vec<String>,
    header: &CommentHeader,
    limit: usize,
) -> Vec<String> {
    let whole = header
        .run_url
        .as_ref()
        .map(|run| {
            format!(
                " The whole report is in the [CI run's summary]({}).",
                link_target(run)
            )
        })
        .unwrap_or_default();
    let budget = limit.saturating_sub(
        marker.chars().count() + PART_LINKS.len() + whole.chars().count() + PART_HEADER_CHARS,
    );
    let mut bodies: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_chars = 0;
    for block in blocks {
        let block = fit(block.trim_end().to_owned(), budget);
        let chars = block.chars().count();
        if current_chars > 0 && current_chars + 2 + chars > budget {
            bodies.push(std::mem::take(&mut current));
            current_chars = 0;
        }
        if current_chars > 0 {
            current.push_str("\n\n");
            current_chars += 2;
        }
        current.push_str(&block);
        current_chars += chars;
    }
    bodies.push(current);
    let n = bodies.len();
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let body = body.trim_end();
            if n == 1 {
                format!("{marker}\n{body}\n")
            } else {
                let part = i + 1;
                format!(
                    "{marker}\n<!-- keyshare:part {part}/{n} -->\n_Part {part} of {n}._{whole} {PART_LINKS}\n\n{body}\n"
                )
            }
        })
        .collect()
}

/// Cuts a block to `budget` characters at a line end, closing what the cut left open.
fn fit(block: String, budget: usize) -> String {
    const NOTE: &str = "\n*… cut here: this section alone is longer than a comment can hold; run keyshare locally for all of it.*";
    // Room for the note and for closing a fence and a <details>.
    let keep = budget.saturating_sub(NOTE.chars().count() + 64);
    if block.chars().count() <= budget {
        return block;
    }
    let cut: String = block.chars().take(keep).collect();
    let mut cut = match cut.rfind('\n') {
        Some(end) => cut[..end].to_owned(),
        None => cut,
    };
    if let Some(fence) = open_fence(&cut) {
        cut.push('\n');
        cut.push_str(&fence);
    }
    cut.push_str(NOTE);
    if cut.matches("<details>").count() > cut.matches("</details>").count() {
        cut.push_str("\n\n</details>");
    }
    cut
}

/// The fence of a code block that `text` opens and does not close.
fn open_fence(text: &str) -> Option<String> {
    let mut open: Option<String> = None;
    for line in text.lines() {
        let ticks: String = line
            .trim_start()
            .chars()
            .take_while(|c| *c == '`')
            .collect();
        if ticks.len() < 3 {
            continue;
        }
        match &open {
            Some(fence) if ticks.len() >= fence.len() && line.trim() == ticks => open = None,
            Some(_) => {}
            None => open = Some(ticks),
        }
    }
    open
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_blocks_whole_and_every_part_within_the_limit() {
        let blocks: Vec<String> = (0..10)
            .map(|i| format!("block {i} {}", "x".repeat(90)))
            .collect();
        let parts = split(
            "<!-- keyshare:plan -->",
            blocks.clone(),
            &CommentHeader::default(),
            450,
        );
        assert!(parts.len() > 1);
        for (i, part) in parts.iter().enumerate() {
            assert!(
                part.chars().count() <= 450,
                "part {i} is {} chars",
                part.len()
            );
            assert!(part.starts_with("<!-- keyshare:plan -->\n"));
            assert!(part.contains(&format!("_Part {} of {}._", i + 1, parts.len())));
        }
        for block in &blocks {
            assert_eq!(
                parts.iter().filter(|p| p.contains(block.as_str())).count(),
                1
            );
        }
    }

    #[test]
    fn one_part_has_no_part_line() {
        let parts = split(
            "<!-- keyshare:plan -->",
            vec!["short".to_owned()],
            &CommentHeader::default(),
            1000,
        );
        assert_eq!(parts, ["<!-- keyshare:plan -->\nshort\n"]);
    }

    #[test]
    fn open_fences() {
        assert_eq!(open_fence("````diff\n```\n"), Some("````".to_owned()));
        assert_eq!(open_fence("```\nx\n```\n"), None);
    }

    #[test]
    fn an_oversized_block_is_cut_with_its_fence_and_details_closed() {
        let lines: String = (0..400).map(|i| format!("+line {i}\n")).collect();
        let block = format!("<details><summary>s</summary>\n\n```diff\n{lines}```\n\n</details>");
        let parts = split(
            "<!-- keyshare:plan -->",
            vec![block],
            &CommentHeader::default(),
            1200,
        );
        let [part] = parts.as_slice() else {
            panic!("one part expected")
        };
        assert!(part.chars().count() <= 1200);
        assert_eq!(part.matches("```").count() % 2, 0);
        assert!(part.trim_end().ends_with("</details>"));
        assert!(part.contains("cut here"));
    }
}
