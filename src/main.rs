//! The `pipelint` binary: parses arguments and hands over to the library.

/// mimalloc: parsing allocates many small, short-lived values on every
/// thread, where it is markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `arena_eager_commit` option (the fifth of `mi_option_e` in
/// both its v2 and v3 headers; the crate leaves options unnamed).
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// mimalloc's `purge_delay` option (the sixteenth of `mi_option_e` in both
/// headers): how long freed memory waits before it goes back to the OS.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

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

/// Memory freed by one check kept for the next, in a process that checks
/// again and again (the language server, `--watch`): returned to the OS,
/// it was faulted in afresh by the next edit (keeping it halved the page
/// faults of a server edit on GitLab's repo). The process holds its peak,
/// which each edit reaches anyway. `MIMALLOC_PURGE_DELAY` in the
/// environment still wins.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: called from `main` before the command starts any thread;
        // the option is a plain integer mimalloc reads when it purges.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
    }
}

fn main() -> std::process::ExitCode {
    pipelint::cli::main_with(keep_freed_memory)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option numbers name the options meant (each reads its
    /// documented value), and a long-lived command's hook turns purging
    /// off. An option the environment sets is not ours to check.
    #[test]
    fn option_numbers_name_the_options_meant_and_the_hook_sets_one() {
        // SAFETY: reads of plain integers.
        let get = |option| unsafe { libmimalloc_sys::mi_option_get(option) };
        if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() {
            assert_eq!(get(ARENA_EAGER_COMMIT), 0, "set on demand before main");
        }
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // The default delay: 1000 ms in mimalloc v3, 10 ms in v2.
            let delay = get(PURGE_DELAY);
            assert!(delay == 1000 || delay == 10, "purge_delay read {delay}");
            keep_freed_memory();
            assert_eq!(get(PURGE_DELAY), -1, "never purged");
        }
    }
}
