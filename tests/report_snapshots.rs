//! Whole-output snapshots of every report format over the shipped examples
//! (baselines/examples/), so that any change to what a user reads is reviewed.
//! Cargo runs integration tests from the package root, so the example paths (and the ids
//! the reports print) are relative and stable.

mod common;

fn render(example: &str, format: &str) -> String {
    let base = format!("baselines/examples/{example}/base");
    let head = format!("baselines/examples/{example}/head");
    let args = [
        "regdiff", "compare", &base, &head, "--gate", "--color", "never", "--format", format,
    ];
    let (code, out, err) = common::run_in_process(args);
    assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));
    format!("exit status: {}\n{}", code, String::from_utf8(out).unwrap())
}

#[test]
fn showcase_reports() {
    for example in ["websocket-auth", "interface-compat", "error-1011"] {
        for format in ["table", "markdown", "json"] {
            insta::assert_snapshot!(format!("{example}.{format}"), render(example, format));
        }
    }
}
