//! The `pipelint` binary: parses arguments and hands over to the library.

/// mimalloc: parsing allocates many small, short-lived values on every
/// thread, where it is markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pipelint::cli::main()
}
