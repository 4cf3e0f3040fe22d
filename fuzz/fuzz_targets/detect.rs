#![no_main]

use libfuzzer_sys::fuzz_target;

// Detection by content, then whichever parser it picks.
fuzz_target!(|data: &[u8]| regdiff_fuzz::read_as(None, data));
