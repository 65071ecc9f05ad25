//! Rendering plans, guides and stage reports as text, Markdown and JSON.

mod guide;
mod plan;
mod stage;
