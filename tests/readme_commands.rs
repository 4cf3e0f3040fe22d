//! The README's commands on the shipped examples run as written: every `regdiff …` or
//! `cargo run --release -- …` line of a shell block that names `baselines/examples/` is run
//! (with the built binary) and must not fail; the claims the README makes of the
//! websocket-auth history hold.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The README's shell lines that run regdiff on the shipped examples, as argument lists.
fn example_commands() -> Vec<(usize, Vec<String>)> {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut in_sh = false;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = t == "```sh" && !in_sh;
            continue;
        }
        if !in_sh || !t.contains("baselines/examples/") {
            continue;
        }
        // A trailing comment starts at "  #".
        let t = t.split("  #").next().unwrap().trim();
        let rest = t
            .strip_prefix("cargo run --release -- ")
            .or_else(|| t.strip_prefix("regdiff "));
        let Some(rest) = rest else { continue };
        assert!(
            !rest.contains(['\'', '"', '$', '|', '>', '<']),
            "README line {}: quoting or redirection this test does not handle: {t}",
            n + 1
        );
        out.push((n + 1, rest.split_whitespace().map(str::to_string).collect()));
    }
    out
}

fn run(args: &[String]) -> std::process::Output {
    cargo_bin_cmd!("regdiff")
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_example_command_of_the_readme_runs() {
    let commands = example_commands();
    assert!(commands.len() >= 3, "{commands:?}");
    for (line, args) in &commands {
        let out = run(args);
        // 0, or 1 when a gate fails; 2 is an error.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "README line {line}: regdiff {}: exit {:?}: {}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "README line {line}: no output");
    }
}

#[test]
fn the_websocket_auth_history_says_what_the_readme_says() {
    let store = "baselines/examples/websocket-auth/store";
    let head = "baselines/examples/websocket-auth/head";
    let args = |base: &str| -> Vec<String> {
        [
            "compare",
            "--store",
            store,
            "--base",
            base,
            "--base-kind",
            "tests",
            "--head",
            head,
        ]
        .map(String::from)
        .to_vec()
    };
    // Against main, whose latest run already failed the same way: still failing.
    let out = run(&args("main"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("UNCHANGED: still failing (2)"), "{text}");
    assert!(text.contains("0 regressions"), "{text}");
    // Against the earlier commit: regressions again.
    let out = run(&args("main@7e2f9a3"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 regressions"), "{text}");
}
