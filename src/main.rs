//! The `pipelint` binary: parses arguments and hands over to the library.

fn main() -> std::process::ExitCode {
    pipelint::cli::main()
}
