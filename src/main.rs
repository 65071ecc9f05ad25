//! The `keyshare` binary: everything lives in the library; see [`keyshare::cli`].

fn main() -> std::process::ExitCode {
    keyshare::cli::main()
}
