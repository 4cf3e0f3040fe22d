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
    // mimalloc asks the kernel for transparent huge pages on its arenas, and with the
    // kernel's usual `defrag = madvise` a fault on them may compact memory first and always
    // zeroes 2 MiB: `compare --base 'main[200]'` (200 runs of 10,000 tests) spent 54% of its
    // samples in the kernel zeroing pages. Without huge pages, 5 runs each alternating with
    // the build before: wall time median 1.71 s against 3.32 s, system time 0.6-1.1 s
    // against 1.2-7.5 s, peak 0.97 GB against 1.25 GB. Linux only; elsewhere nothing to do.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes no pointers and affects only this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    regdiff::app::exit_after_run();
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
    // At exit mimalloc purges every arena it holds, handing the pages back one `madvise` at
    // a time, although the process is about to give all of them back at once: 3.4% of the
    // samples of a 10,000-benchmark comparison. A negative delay turns purging off.
    // SAFETY: sets a documented option; nothing allocates after it but the exit.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    ExitCode::from(status.code())
}
