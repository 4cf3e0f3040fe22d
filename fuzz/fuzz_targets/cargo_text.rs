#![no_main]

use libfuzzer_sys::fuzz_target;
use regdiff::ingest::Format;

fuzz_target!(|data: &[u8]| regdiff_fuzz::read_as(Some(Format::CargoText), data));
