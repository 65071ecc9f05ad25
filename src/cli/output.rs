//! Output choices shared by the commands: the format, whether to colour, and the one place
//! where a plan becomes what the user reads.

use std::io::IsTerminal;

use crate::plan::{LiveSnapshot, Plan};
use crate::render::{self, Command, RenderContext};

/// How `plan`, `drift` and `apply` print their result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: Terraform's habits, colour on a terminal.
    #[default]
    Text,
    /// For programs: the versioned schema of docs/json-output.md.
    Json,
    /// A pull-request comment; comments past GitHub's size limit are separated by a line
    /// holding only `<!-- keyshare:split -->`.
    Markdown,
}

/// The line between two Markdown comments when the output is too long for one.
pub const MARKDOWN_SPLIT: &str = "<!-- keyshare:split -->";

/// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
pub fn stdout_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `plan` (made from `live`) as `command` shows it in `format`.
pub fn render(
    format: Format,
    command: Command,
    plan: &Plan,
    live: &LiveSnapshot,
    color: bool,
) -> String {
    let ctx = RenderContext { snapshot: live };
    match format {
        Format::Text => render::text::render(plan, &ctx, command, color),
        Format::Json => render::json::render(plan, &ctx, command),
        Format::Markdown => {
            render::markdown::render(plan, &ctx, command).join(&format!("\n{MARKDOWN_SPLIT}\n"))
        }
    }
}
