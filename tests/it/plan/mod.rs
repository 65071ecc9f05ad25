//! The planner as a pure function: small made-up orgs and desired states in, plans out.

mod cases;
mod convergence;
mod drift;
mod key_copies;
mod key_needs;
mod stage;
