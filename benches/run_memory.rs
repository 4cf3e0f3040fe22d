//! What a run costs in memory per test (issue 14, "a compact run"), and how long a stored
//! run of 10,000 tests takes to decode.
//!
//! A counting allocator (over mimalloc, as the binary uses) tracks the bytes live on the
//! heap. Each figure is (live bytes after − before) / tests, so it counts the test structs,
//! their strings and attempts, but not the allocator's own rounding:
//!
//! * `stored run`: one, then 20 stored runs of 10,000 generated tests each (the
//!   `benches/scale.sh` store: 1% failing with message and trace, suite/class per test),
//!   decoded and held, as a `compare --base 'main[20]'` held its base side (the runs of a
//!   side share their ids and names), and as it holds it now: the tests that repeat the
//!   first run's but for their duration held as repeats of it (`Repeats`);
//! * `JUnit`: a 100,000-case JUnit report read into a run, as `compare` and `record` do.
//!
//! `cargo bench --bench run_memory` prints both, then times the decode.

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use regdiff::store::Store;
use regdiff::store::fs::FsStore;

mod support;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { mimalloc::MiMalloc.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { mimalloc::MiMalloc.dealloc(p, l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { mimalloc::MiMalloc.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { mimalloc::MiMalloc.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn bench(c: &mut Criterion) {
    eprintln!(
        "a test: {} bytes, an attempt: {} bytes",
        std::mem::size_of::<regdiff::model::TestResult>(),
        std::mem::size_of::<regdiff::model::Attempt>()
    );
    let dir = tempfile::tempdir().unwrap();
    support::gen_store(dir.path(), 20, 10_000);
    let store = FsStore::new(dir.path().join("store"));
    let catalog = store.catalog().unwrap();
    let metas: Vec<_> = catalog.runs.iter().collect();

    let before = live();
    let one = store.load_batch(&metas[..1]);
    let held = live() - before;
    let n = one[0].as_ref().unwrap().tests.len();
    eprintln!(
        "stored run: 1 run, {n} tests held, {:.0} bytes a test",
        held as f64 / n as f64
    );
    drop(one);

    let before = live();
    let runs = store.load_batch(&metas);
    let runs: Vec<_> = runs.into_iter().map(|r| r.unwrap()).collect();
    let tests: usize = runs.iter().map(|s| s.tests.len()).sum();
    let held = live() - before;
    eprintln!(
        "stored run: {} runs, {tests} tests held, {:.0} bytes a test",
        runs.len(),
        held as f64 / tests as f64
    );
    drop(runs);

    // As `compare --base 'main[20]'` reads them: the tests that repeat the first run's held
    // as repeats of it.
    let before = live();
    let runs = store.load_batch_shared(&metas, &mut regdiff::store::Sharing::repeating());
    let runs: Vec<_> = runs.into_iter().map(|r| r.unwrap()).collect();
    let tests: usize = runs.iter().map(|s| s.test_count()).sum();
    let repeats: usize = runs
        .iter()
        .map(|s| s.repeats.as_ref().map_or(0, |r| r.at.len()))
        .sum();
    let held = live() - before;
    eprintln!(
        "stored run, repeats: {} runs, {tests} tests held ({repeats} as repeats), {:.0} bytes a test",
        runs.len(),
        held as f64 / tests as f64
    );
    drop(runs);

    let junit = dir.path().join("run.xml");
    std::fs::write(&junit, support::junit_report(100_000, 3)).unwrap();
    let before = live();
    let run = regdiff::ingest::read_path(&junit, Default::default())
        .unwrap()
        .remove(0);
    let held = live() - before;
    let strings: usize = run.tests.iter().map(|t| t.id.len() + t.name.len()).sum();
    eprintln!(
        "JUnit: {} tests held (room for {}; {:.0} bytes a test in ids and names), {:.0} bytes a test",
        run.tests.len(),
        run.tests.capacity(),
        strings as f64 / run.tests.len() as f64,
        held as f64 / run.tests.len() as f64
    );
    drop(run);

    let one = &metas[..1];
    let mut g = c.benchmark_group("run_memory");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("decode_stored_10k", |b| {
        b.iter(|| black_box(store.load_batch(one)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
