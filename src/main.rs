//! The `pipelint` binary: parses arguments and hands over to the library.

/// mimalloc: parsing allocates many small, short-lived values on every
/// thread, where it is markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `arena_eager_commit` option (the fifth of `mi_option_e` in
/// both its v2 and v3 headers; the crate leaves options unnamed).
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Arenas committed on demand, set before mimalloc starts (its options are
/// read once, when it starts): a run touches fewer fresh pages, and the
/// kernel's zeroing of fresh pages was a quarter of a warm run's time
/// (peak memory on the synthetic repo: about 207 MB eager, 170 MB on demand).
/// `MIMALLOC_ARENA_EAGER_COMMIT` in the environment still wins.
extern "C" fn commit_on_demand() {
    // SAFETY: runs before `main`, before any thread exists, as
    // `mi_option_set` asks; `getenv` reads a NUL-terminated name and
    // allocates nothing (an allocation here would start mimalloc).
    unsafe {
        if libc::getenv(c"MIMALLOC_ARENA_EAGER_COMMIT".as_ptr()).is_null() {
            libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        }
    }
}

// An early constructor (priority 101, before the default ones such as
// mimalloc's own).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array.00101")]
static COMMIT_ON_DEMAND: extern "C" fn() = commit_on_demand;

fn main() -> std::process::ExitCode {
    pipelint::cli::main()
}
