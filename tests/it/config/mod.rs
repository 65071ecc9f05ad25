//! Loading desired state: what is accepted, and the messages of what is refused.

mod load;
mod messages;
mod props;
mod rotate_after;
