//! Packing a long Markdown text into pull-request comments: GitHub refuses a comment longer
//! than 65,536 characters. The text arrives as blocks (sections) that are never split between
//! comments; a block too long for any comment is cut, with its code fence and `<details>`
//! closed so that the rest of the comment still renders.

/// Room kept in each comment for the marker and the "Part i of n" line.
const PART_HEADER_CHARS: usize = 100;

/// Packs blocks into comments of at most `limit` characters, each starting with `marker`.
/// A block too long for any comment on its own is cut, with its fences closed.
pub(super) fn split(marker: &str, blocks: Vec<String>, limit: usize) -> Vec<String> {
    let budget = limit.saturating_sub(marker.chars().count() + PART_HEADER_CHARS);
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
                    "{marker}\n<!-- keyshare:part {part}/{n} -->\n_Part {part} of {n}._\n\n{body}\n"
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
        let parts = split("<!-- keyshare:plan -->", blocks.clone(), 450);
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
        let parts = split("<!-- keyshare:plan -->", vec!["short".to_owned()], 1000);
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
        let parts = split("<!-- keyshare:plan -->", vec![block], 1200);
        let [part] = parts.as_slice() else {
            panic!("one part expected")
        };
        assert!(part.chars().count() <= 1200);
        assert_eq!(part.matches("```").count() % 2, 0);
        assert!(part.trim_end().ends_with("</details>"));
        assert!(part.contains("cut here"));
    }
}
