//! Times the two passes of a streamed JUnit read apart (issue 14): the first pass alone,
//! then the second with a receiver that only counts, so the reader's own cost shows.
//!
//!   cargo run --release --example stream_passes -- FILE.xml

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // As regdiff's own main does: no transparent huge pages (see src/main.rs).
    // SAFETY: PR_SET_THP_DISABLE takes no pointers and affects only this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: stream_passes FILE.xml")?;
    let path = std::path::Path::new(&path);
    let t = std::time::Instant::now();
    let planned = regdiff::ingest::stream::plan_junit(path)?;
    let cases = planned.cases();
    eprintln!(
        "first pass: {:.3} s, {cases} cases",
        t.elapsed().as_secs_f64()
    );
    let t = std::time::Instant::now();
    let mut each = |_: &regdiff::model::TestResult| Ok(());
    let (_, handed) = regdiff::ingest::stream::stream_junit(planned, path, &mut each)?;
    eprintln!(
        "second pass (reader only): {:.3} s, {handed} tests",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
