//! The shape of the code, as ARCHITECTURE.md states it: rooms import one way, from `cli` down,
//! and the simulator's crate imports nothing of keyshare.

mod layers;
