//! Crashes, faults, interrupts, races and bad input: keyshare converges or stops with a clear
//! message (docs/reliability.md).

mod bad_input;
mod crash;
mod faults;
mod interrupt;
mod races;
mod stage_crash;
mod write_faults;
