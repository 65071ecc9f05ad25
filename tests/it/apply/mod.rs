//! The executor (`keyshare::apply`) as a library against the simulator: fetching the live
//! state, executing plans, resuming after a stop, and refusing what must not be done.

mod clone_refused;
mod convergence;
mod fetch;
mod guide;
mod precondition;
mod resume;
