//! Large values freed beside the work that follows them, not before it: a
//! repo's facts or graph take milliseconds to free, which neither the rest
//! of a run nor the language server's next edit need wait for.

/// Frees `value` on a thread of its own (here, when no thread can start).
pub fn free<T: Send + 'static>(value: T) {
    // A thread that cannot start drops its closure, and the value with it.
    let freeing = std::thread::Builder::new()
        .name("pipelint-free".into())
        .spawn(move || drop(value));
    drop(freeing);
}
