//! The GitOps workflow: CI steps, drift, inventory, saved plan files, resuming and staged
//! rotations, through the real binary.

mod ci;
mod drift;
mod inventory;
mod planfile;
mod planfile_props;
mod resume;
mod stage;
