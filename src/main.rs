//! The `regdiff` binary: wires [`regdiff::app::run`] to the process's streams.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (the same position in its v2 and v3 option lists).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // By default mimalloc hands freed memory back to the kernel after 10 ms, and takes it
    // again, zeroed, at the next allocation: a report that builds and drops many small
    // strings (a table of 50,000 rows) spent 80% of its time in the kernel. A second of delay
    // keeps memory that is about to be reused; a long run still returns what it no longer
    // needs. (Measured, 6 runs each alternating with the previous build: compare of a
    // 1,000,000-case JUnit file against a 100,000-case one 2.80-4.03 s wall, median 2.95,
    // against 3.12-10.31 s, median 4.36; kernel time 0.9-2.0 s against 1.1-8.1 s.)
    // SAFETY: sets a documented option; mimalloc reads it at each purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let stdout_is_terminal = stdout.is_terminal();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let status = {
        let mut io = regdiff::app::Io {
            stdout: &mut out,
            stderr: &mut err,
            stdout_is_terminal,
        };
        regdiff::app::run(std::env::args_os(), &mut io)
    };
    // A closed pipe (`regdiff … | head`) is not an error.
    let _ = out.flush();
    ExitCode::from(status.code())
}
