//! Hostile input: servers, files and text that try to crash, hang or mislead keyshare.

mod controller;
mod http;
mod io;
mod text;
