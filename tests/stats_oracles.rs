//! Checks every case of the scipy/statsmodels oracle files in `tests/fixtures/oracles/` against this
//! crate, with the tolerances of `shared/oracles/README.md`.
//!
//! Deliberate deviations (engine policy, STATISTICS.md), asserted explicitly instead of the
//! oracle's NaN:
//! * MWU asymptotic without continuity correction when σ_U = 0: oracle NaN, engine p = 1, z = None.
//! * Two-proportion z with pooled p̂ ∈ {0, 1}: oracle NaN, engine z = None, p = 1.
//! * Welch with n = 1 on a side: oracle NaN (df reported as 1), engine `TooFewObservations` error.
//! * Welch with both variances 0: oracle NaN / ±∞ with p = 0, engine `NoNoiseInformation`.
//!
//! `e_divisive.json`: Q̂(τ, N) for every τ, the best (τ, κ) split, and Otava's final change
//! points (windowed split and merge with t-tests) for its three parameter sets.

use std::path::PathBuf;

use regdiff::stats::*;
use serde_json::Value;

/// The oracle files (copied from shared/oracles, read-only inputs with their source in
/// tests/fixtures/oracles/README.md).
fn oracle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oracles")
}

fn load(name: &str) -> Value {
    let path = oracle_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read oracle {}: {e}", path.display()));
    serde_json::from_str(&quote_numbers(&text))
        .unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

/// Turn every JSON number token into a string token, so that numbers are later parsed by
/// `str::parse::<f64>` (correctly rounded: the oracle's shortest repr gives scipy's exact
/// double) instead of serde_json's default float parser, which can be 1 ulp off unless its
/// `float_roundtrip` feature is enabled.
fn quote_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if in_string {
            out.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
        } else if ch == '"' {
            in_string = true;
            out.push(ch);
        } else if ch == '-' || ch.is_ascii_digit() {
            out.push('"');
            out.push(ch);
            while let Some(&c) = chars.peek() {
                if c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-') {
                    out.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push('"');
        } else {
            out.push(ch);
        }
    }
    out
}

fn cases(v: &Value) -> &Vec<Value> {
    v["cases"].as_array().expect("cases array")
}

/// Number from the oracle encoding: numbers (quoted by [`quote_numbers`]) or the strings
/// "nan", "inf", "-inf".
fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("f64"),
        Value::String(s) => match s.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => other
                .parse()
                .unwrap_or_else(|e| panic!("bad number {other:?}: {e}")),
        },
        other => panic!("expected a number, got {other}"),
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

fn uint(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
        .unwrap_or_else(|| panic!("expected an unsigned integer, got {v}"))
}

/// |got − want| ≤ rel·|want| (or ≤ abs near 0); infinities must match exactly.
#[track_caller]
fn close(got: f64, want: f64, rel: f64, abs: f64, what: &str) {
    if want.is_infinite() || got.is_infinite() {
        assert_eq!(got, want, "{what}");
        return;
    }
    assert!(
        !want.is_nan(),
        "{what}: oracle value is NaN, compare explicitly"
    );
    let err = (got - want).abs();
    assert!(
        err <= rel * want.abs() || err <= abs,
        "{what}: got {got:e}, want {want:e} (abs err {err:e}, rel {:e})",
        err / want.abs()
    );
}

#[track_caller]
fn exact(got: f64, want: f64, what: &str) {
    assert!(
        got == want || (got.is_nan() && want.is_nan()),
        "{what}: got {got:e}, want {want:e} (must be equal)"
    );
}

/// closed-form p-values (normal / t based), Wilson, BH/Holm/Bonferroni.
const REL_CLOSED: f64 = 1e-9;
const ABS_NEAR_ZERO: f64 = 1e-15;
/// exact / hypergeometric p-values, Beta quantiles.
const REL_EXACT: f64 = 1e-7;
/// n = 1e6 Beta quantiles.
const REL_HUGE_N: f64 = 1e-6;
/// Welch df and t-quantile based intervals.
const REL_WELCH_DF: f64 = 1e-8;

fn alternative(s: &str) -> Alternative {
    match s {
        "two-sided" => Alternative::TwoSided,
        "less" => Alternative::Less,
        "greater" => Alternative::Greater,
        other => panic!("unknown alternative {other}"),
    }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn mann_whitney_oracle() {
    let doc = load("mann_whitney.json");
    let mut checked = 0;
    for c in cases(&doc) {
        let name = c["name"].as_str().unwrap();
        let x = Sample::new(&nums(&c["x"])).unwrap();
        let y = Sample::new(&nums(&c["y"])).unwrap();
        for r in c["results"].as_array().unwrap() {
            let alt = alternative(r["alternative"].as_str().unwrap());
            let m = r["method"].as_str().unwrap();
            let method = match m {
                "asymptotic" => MwuMethod::Asymptotic {
                    continuity: r["use_continuity"].as_bool().unwrap(),
                },
                "exact" => MwuMethod::Exact,
                "auto" => MwuMethod::Auto,
                "permutation_exact_with_ties" => MwuMethod::Permutation,
                other => panic!("unknown method {other}"),
            };
            let what = format!("{name} {m} {:?} cc={}", alt, r["use_continuity"]);
            let res = mann_whitney(&x, &y, alt, method).unwrap();
            exact(res.u1, num(&c["U1"]), &format!("{what} U1"));
            exact(res.u1, num(&r["U1"]), &format!("{what} U1 (result)"));
            exact(res.u2, num(&c["U2"]), &format!("{what} U2"));
            exact(res.rank_sum_x, num(&c["rank_sum_x"]), &format!("{what} R1"));
            exact(
                res.tie_term,
                num(&c["tie_term_sum_t3_minus_t"]),
                &format!("{what} ties"),
            );
            close(
                res.sigma_u,
                num(&c["sigma_U"]),
                1e-15,
                0.0,
                &format!("{what} sigma"),
            );
            assert_eq!(
                x.has_ties() || y.has_ties() || res.tie_term > 0.0,
                c["has_ties"].as_bool().unwrap()
            );
            // method actually used
            let expected_used = match (m, r["resolved_method"].as_str()) {
                ("auto", Some("exact")) => MwuMethodUsed::Exact,
                ("auto", Some("asymptotic")) => MwuMethodUsed::Asymptotic { continuity: true },
                ("exact", _) => MwuMethodUsed::Exact,
                ("permutation_exact_with_ties", _) => MwuMethodUsed::Permutation,
                ("asymptotic", _) => MwuMethodUsed::Asymptotic {
                    continuity: r["use_continuity"].as_bool().unwrap(),
                },
                other => panic!("unexpected {other:?}"),
            };
            assert_eq!(res.method, expected_used, "{what} method");
            let want = num(&r["pvalue"]);
            if want.is_nan() {
                // σ_U = 0 without continuity correction: scipy NaN, engine policy p = 1.
                assert_eq!(res.sigma_u, 0.0, "{what}");
                assert_eq!(res.p, 1.0, "{what}");
                assert!(res.z.is_none(), "{what}");
            } else {
                let rel = if matches!(res.method, MwuMethodUsed::Asymptotic { .. }) {
                    REL_CLOSED
                } else {
                    REL_EXACT
                };
                close(res.p, want, rel, ABS_NEAR_ZERO, &what);
            }
            checked += 1;
        }
    }
    let total: usize = cases(&doc)
        .iter()
        .map(|c| c["results"].as_array().unwrap().len())
        .sum();
    assert_eq!(checked, total, "all MWU results checked");
    assert_eq!(total, 231);
}

#[test]
fn mann_whitney_min_attainable_p_matches_documented_table() {
    // STATISTICS.md §1.2 / oracles README: 0.333 (2), 0.1 (3), 0.0286 (4), 0.0079 (5),
    // 0.0022 (6), 5.8e-4 (7), 1.6e-4 (8), 4.1e-5 (9), 1.1e-5 (10) for exact two-sided.
    let table = [
        (2, 0.333),
        (3, 0.1),
        (4, 0.0286),
        (5, 0.0079),
        (6, 0.0022),
        (7, 5.8e-4),
        (8, 1.6e-4),
        (9, 4.1e-5),
        (10, 1.1e-5),
    ];
    for (n, want) in table {
        let p = mwu_min_attainable_p(n, n, Alternative::TwoSided, MwuMethod::Exact).unwrap();
        // the documented values are rounded to two significant digits
        close(p, want, 0.035, 0.0, &format!("min p {n} vs {n}"));
    }
    assert_eq!(
        mwu_min_attainable_p(3, 3, Alternative::TwoSided, MwuMethod::Auto).unwrap(),
        0.1
    );
    // the 3-vs-3 separated oracle case reaches it
    let x = Sample::new(&[1.0, 2.0, 3.0]).unwrap();
    let y = Sample::new(&[4.0, 5.0, 6.0]).unwrap();
    let r = mann_whitney(&x, &y, Alternative::TwoSided, MwuMethod::Auto).unwrap();
    close(r.p, 0.1, 1e-15, 0.0, "3v3");
}

// ---------------------------------------------------------------------------------------------

fn check_hl_interval(got: &HlInterval, want: &Value, what: &str) {
    assert_eq!(got.k as u64, uint(&want["k"]), "{what} k");
    exact(got.lower, num(&want["lower"]), &format!("{what} lower"));
    exact(got.upper, num(&want["upper"]), &format!("{what} upper"));
}

#[test]
fn hodges_lehmann_oracle() {
    let doc = load("hodges_lehmann.json");
    let mut checked = 0;
    for c in cases(&doc) {
        let name = c["name"].as_str().unwrap();
        let conf = num(&c["conf_level"]);
        let what = format!("{name} @ {conf}");
        let base_raw = nums(&c["base"]);
        let head_raw = nums(&c["head"]);
        let res = match c["transform"].as_str().unwrap() {
            "none" => hodges_lehmann(
                &Sample::new(&base_raw).unwrap(),
                &Sample::new(&head_raw).unwrap(),
                conf,
            )
            .unwrap(),
            "log" => {
                let r = hodges_lehmann_log(
                    &LogSample::new(&base_raw).unwrap(),
                    &LogSample::new(&head_raw).unwrap(),
                    conf,
                )
                .unwrap();
                close(
                    r.ratio_estimate,
                    num(&c["ratio_estimate"]),
                    1e-14,
                    0.0,
                    &what,
                );
                let ex = r.exact_ratio.expect("exact ratio interval");
                close(ex.lower, num(&c["exact"]["ratio_lower"]), 1e-14, 0.0, &what);
                close(ex.upper, num(&c["exact"]["ratio_upper"]), 1e-14, 0.0, &what);
                r.log
            }
            other => panic!("unknown transform {other}"),
        };
        assert_eq!(res.n_diffs as u64, uint(&c["n_diffs"]), "{what}");
        exact(
            res.estimate,
            num(&c["estimate"]),
            &format!("{what} estimate"),
        );
        let ex = res
            .exact
            .expect("exact interval available for oracle sizes");
        check_hl_interval(&ex, &c["exact"], &format!("{what} exact"));
        close(
            ex.achieved_conf_level.unwrap(),
            num(&c["exact"]["achieved_conf_level"]),
            1e-12,
            1e-15,
            &format!("{what} achieved"),
        );
        check_hl_interval(
            &res.asymptotic,
            &c["asymptotic"],
            &format!("{what} asymptotic"),
        );
        assert!(res.asymptotic.achieved_conf_level.is_none());
        checked += 1;
    }
    assert_eq!(checked, 71);
}

// ---------------------------------------------------------------------------------------------

#[test]
fn fisher_exact_oracle() {
    let doc = load("fisher_exact.json");
    let mut checked = 0;
    for c in cases(&doc) {
        let t = c["table"].as_array().unwrap();
        let (a, b) = (uint(&t[0][0]), uint(&t[0][1]));
        let (cc, d) = (uint(&t[1][0]), uint(&t[1][1]));
        let what = format!("[[{a},{b}],[{cc},{d}]]");
        let r = fisher_exact(a, b, cc, d);
        let want_or = num(&c["odds_ratio"]);
        if want_or.is_nan() {
            assert!(r.odds_ratio.is_nan(), "{what} odds ratio");
        } else {
            close(
                r.odds_ratio,
                want_or,
                1e-15,
                0.0,
                &format!("{what} odds ratio"),
            );
        }
        let pv = &c["pvalue"];
        close(
            r.p_two_sided,
            num(&pv["two-sided"]),
            REL_EXACT,
            0.0,
            &format!("{what} two-sided"),
        );
        close(
            r.p_less,
            num(&pv["less"]),
            REL_EXACT,
            0.0,
            &format!("{what} less"),
        );
        close(
            r.p_greater,
            num(&pv["greater"]),
            REL_EXACT,
            0.0,
            &format!("{what} greater"),
        );
        checked += 1;
    }
    assert_eq!(checked, 23);
}

#[test]
fn two_proportion_z_oracle() {
    let doc = load("two_proportion_z.json");
    let mut checked = 0;
    for c in cases(&doc) {
        let (k1, n1, k2, n2) = (
            uint(&c["k1"]),
            uint(&c["n1"]),
            uint(&c["k2"]),
            uint(&c["n2"]),
        );
        let what = format!("{k1}/{n1} vs {k2}/{n2}");
        let r = two_proportion_z(k1, n1, k2, n2).unwrap();
        let z_want = num(&c["two-sided"]["z"]);
        if z_want.is_nan() {
            // pooled proportion 0 or 1: statsmodels NaN, engine policy z = None, p = 1
            assert!(r.z.is_none(), "{what}");
            assert_eq!([r.p_two_sided, r.p_less, r.p_greater], [1.0; 3], "{what}");
        } else {
            let z = r.z.expect("z defined");
            for key in ["two-sided", "less", "greater"] {
                close(z, num(&c[key]["z"]), REL_CLOSED, 0.0, &format!("{what} z"));
            }
            close(
                r.p_two_sided,
                num(&c["two-sided"]["pvalue"]),
                REL_CLOSED,
                ABS_NEAR_ZERO,
                &what,
            );
            close(
                r.p_less,
                num(&c["less"]["pvalue"]),
                REL_CLOSED,
                ABS_NEAR_ZERO,
                &what,
            );
            close(
                r.p_greater,
                num(&c["greater"]["pvalue"]),
                REL_CLOSED,
                ABS_NEAR_ZERO,
                &what,
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 8);
}

// ---------------------------------------------------------------------------------------------

fn kn_conf(c: &Value) -> (u64, u64, f64, String) {
    let (k, n, conf) = (uint(&c["k"]), uint(&c["n"]), num(&c["conf_level"]));
    (k, n, conf, format!("k={k} n={n} conf={conf}"))
}

fn beta_rel(n: u64) -> f64 {
    if n >= 1_000_000 {
        REL_HUGE_N
    } else {
        REL_EXACT
    }
}

#[test]
fn wilson_oracle() {
    let doc = load("wilson.json");
    let mut checked = 0;
    for c in cases(&doc) {
        let (k, n, conf, what) = kn_conf(c);
        let w = wilson(k, n, conf).unwrap();
        close(
            w.lower,
            num(&c["lower"]),
            REL_CLOSED,
            ABS_NEAR_ZERO,
            &format!("{what} lower"),
        );
        close(
            w.upper,
            num(&c["upper"]),
            REL_CLOSED,
            ABS_NEAR_ZERO,
            &format!("{what} upper"),
        );
        let cc = wilson_cc(k, n, conf).unwrap();
        close(
            cc.lower,
            num(&c["cc_lower"]),
            REL_CLOSED,
            ABS_NEAR_ZERO,
            &format!("{what} cc_lower"),
        );
        close(
            cc.upper,
            num(&c["cc_upper"]),
            REL_CLOSED,
            ABS_NEAR_ZERO,
            &format!("{what} cc_upper"),
        );
        checked += 1;
    }
    assert_eq!(checked, 78);
}

#[test]
fn jeffreys_oracle() {
    let doc = load("jeffreys.json");
    let mut checked = 0;
    for c in cases(&doc) {
        let (k, n, conf, what) = kn_conf(c);
        let rel = beta_rel(n);
        let j = jeffreys(k, n, conf).unwrap();
        close(
            j.lower,
            num(&c["lower"]),
            rel,
            0.0,
            &format!("{what} lower"),
        );
        close(
            j.upper,
            num(&c["upper"]),
            rel,
            0.0,
            &format!("{what} upper"),
        );
        let m = jeffreys_modified(k, n, conf).unwrap();
        close(
            m.lower,
            num(&c["lower_modified"]),
            rel,
            0.0,
            &format!("{what} lower_mod"),
        );
        close(
            m.upper,
            num(&c["upper_modified"]),
            rel,
            0.0,
            &format!("{what} upper_mod"),
        );
        let post = BetaPosterior::jeffreys_prior()
            .update(RunCounts {
                failures: k as f64,
                runs: n as f64,
            })
            .unwrap();
        close(
            post.mean(),
            num(&c["posterior_mean"]),
            1e-15,
            0.0,
            &format!("{what} mean"),
        );
        checked += 1;
    }
    assert_eq!(checked, 78);
}

#[test]
fn clopper_pearson_oracle() {
    let doc = load("clopper_pearson.json");
    let mut checked = 0;
    for c in cases(&doc) {
        let (k, n, conf, what) = kn_conf(c);
        let rel = beta_rel(n);
        let iv = clopper_pearson(k, n, conf).unwrap();
        let tail = (1.0 - conf) / 2.0;
        if k == 1 {
            // Beta(1, n) has the closed-form quantile 1 − (1 − α/2)^{1/n}. For k = 1, n = 10⁶,
            // conf = 0.99 the oracle (scipy's root finder, absolute xtol ≈ 2e-12) is off by
            // 4.6e-5 relative (5.01231e-9 vs the exact 5.01254e-9, confirmed with mpmath), so
            // this end is checked against the closed form and against the oracle only to 2e-12
            // absolute.
            let closed = -((-tail).ln_1p() / n as f64).exp_m1();
            close(
                iv.lower,
                closed,
                1e-12,
                0.0,
                &format!("{what} lower (closed form)"),
            );
            close(
                iv.lower,
                num(&c["lower"]),
                rel,
                2e-12,
                &format!("{what} lower"),
            );
        } else {
            close(
                iv.lower,
                num(&c["lower"]),
                rel,
                0.0,
                &format!("{what} lower"),
            );
        }
        if k + 1 == n {
            // Beta(n, 1): upper = (1 − α/2)^{1/n}
            let closed = ((-tail).ln_1p() / n as f64).exp();
            close(
                iv.upper,
                closed,
                1e-12,
                0.0,
                &format!("{what} upper (closed form)"),
            );
        }
        close(
            iv.upper,
            num(&c["upper"]),
            rel,
            0.0,
            &format!("{what} upper"),
        );
        checked += 1;
    }
    assert_eq!(checked, 78);
}

#[test]
fn rate_functions_reject_zero_trials() {
    assert_eq!(wilson(0, 0, 0.95), Err(StatsError::ZeroTrials));
    assert_eq!(jeffreys(0, 0, 0.95), Err(StatsError::ZeroTrials));
    assert_eq!(clopper_pearson(0, 0, 0.95), Err(StatsError::ZeroTrials));
    assert!(matches!(
        wilson(3, 2, 0.95),
        Err(StatsError::CountExceedsTrials { .. })
    ));
    assert!(matches!(
        wilson(1, 2, 1.0),
        Err(StatsError::InvalidConfidence(_))
    ));
}

// ---------------------------------------------------------------------------------------------

#[test]
fn beta_posterior_oracle() {
    let doc = load("beta_posterior.json");
    let mut checked = 0;
    for c in cases(&doc) {
        let (pa, pb) = (num(&c["prior_a"]), num(&c["prior_b"]));
        let (k, n) = (num(&c["failures"]), num(&c["runs"]));
        let what = format!("Beta({pa},{pb}) + {k}/{n}");
        let post = BetaPosterior::from_prior(
            pa,
            pb,
            RunCounts {
                failures: k,
                runs: n,
            },
        )
        .unwrap();
        exact(post.a, num(&c["post_a"]), &format!("{what} a"));
        exact(post.b, num(&c["post_b"]), &format!("{what} b"));
        close(
            post.mean(),
            num(&c["mean"]),
            1e-15,
            0.0,
            &format!("{what} mean"),
        );
        close(
            post.median(),
            num(&c["median"]),
            REL_EXACT,
            0.0,
            &format!("{what} median"),
        );
        let ci = post.interval(0.95).unwrap();
        close(
            ci.lower,
            num(&c["ci95_lower"]),
            REL_EXACT,
            0.0,
            &format!("{what} lower"),
        );
        close(
            ci.upper,
            num(&c["ci95_upper"]),
            REL_EXACT,
            0.0,
            &format!("{what} upper"),
        );
        for (theta, want) in c["prob_p_greater"].as_object().unwrap() {
            let t: f64 = theta.parse().unwrap();
            close(
                post.prob_greater(t),
                num(want),
                REL_EXACT,
                1e-300,
                &format!("{what} P(>{t})"),
            );
        }
        for (r, want) in c["predictive_next_r"].as_object().unwrap() {
            let r: u64 = r.parse().unwrap();
            let w = &want["p_all_pass"];
            close(
                post.predictive_all_pass(r),
                num(w),
                1e-12,
                0.0,
                &format!("{what} pass {r}"),
            );
            let w = &want["p_all_fail"];
            close(
                post.predictive_all_fail(r),
                num(w),
                1e-12,
                0.0,
                &format!("{what} fail {r}"),
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 40);
}

#[test]
fn reruns_oracle() {
    let doc = load("reruns.json");
    let mut checked = 0;
    for c in cases(&doc) {
        let (alpha, p) = (num(&c["alpha"]), num(&c["p"]));
        let what = format!("alpha={alpha} p={p}");
        assert_eq!(
            reruns_to_reject_flaky(p, alpha).unwrap(),
            uint(&c["reruns_all_fail_to_reject_flaky_p_le"]),
            "{what} all-fail"
        );
        assert_eq!(
            reruns_to_bound_failure_rate(p, alpha).unwrap(),
            uint(&c["reruns_all_pass_to_bound_fail_rate_le"]),
            "{what} all-pass"
        );
        assert_eq!(
            reruns_to_observe_failure(p, alpha).unwrap(),
            uint(&c["reruns_to_see_a_failure_with_prob_1_minus_alpha"]),
            "{what} observe"
        );
        checked += 1;
    }
    assert_eq!(checked, 27);
}

// ---------------------------------------------------------------------------------------------

fn check_welch(r: &WelchResult, sign: f64, results: &Value, what: &str) {
    // sign = −1 when our test runs (b, a) instead of the oracle's (a, b).
    for key in ["two-sided", "less", "greater"] {
        let o = &results[key];
        let w = format!("{what} {key}");
        close(sign * r.t, num(&o["t"]), REL_CLOSED, 0.0, &format!("{w} t"));
        close(r.df, num(&o["df"]), REL_WELCH_DF, 0.0, &format!("{w} df"));
        // our alternative seen from the oracle's side
        let (p, ci) = match (key, sign > 0.0) {
            ("two-sided", _) => (r.p_two_sided, r.ci_two_sided),
            ("less", true) => (r.p_less, r.ci_less),
            ("greater", true) => (r.p_greater, r.ci_greater),
            ("less", false) => (r.p_greater, r.ci_greater),
            ("greater", false) => (r.p_less, r.ci_less),
            _ => unreachable!(),
        };
        close(
            p,
            num(&o["pvalue"]),
            REL_CLOSED,
            ABS_NEAR_ZERO,
            &format!("{w} p"),
        );
        let (lo, hi) = if sign > 0.0 {
            (ci.lower, ci.upper)
        } else {
            (-ci.upper, -ci.lower)
        };
        close(
            lo,
            num(&o["ci95_low"]),
            REL_WELCH_DF,
            0.0,
            &format!("{w} ci low"),
        );
        close(
            hi,
            num(&o["ci95_high"]),
            REL_WELCH_DF,
            0.0,
            &format!("{w} ci high"),
        );
    }
}

#[test]
fn welch_t_oracle() {
    let doc = load("welch_t.json");
    let mut checked = 0;
    for c in cases(&doc) {
        let name = c["name"].as_str().unwrap();
        let a_raw = nums(&c["a"]);
        let b_raw = nums(&c["b"]);
        let log = c["transform"].as_str().unwrap() == "log";
        let (a, b) = if log {
            (
                LogSample::new(&a_raw).unwrap().logs().clone(),
                LogSample::new(&b_raw).unwrap().logs().clone(),
            )
        } else {
            (Sample::new(&a_raw).unwrap(), Sample::new(&b_raw).unwrap())
        };
        close(
            a.mean(),
            num(&c["mean_a"]),
            1e-14,
            0.0,
            &format!("{name} mean_a"),
        );
        close(
            b.mean(),
            num(&c["mean_b"]),
            1e-14,
            0.0,
            &format!("{name} mean_b"),
        );
        let results = &c["results"];
        if a.len() < 2 || b.len() < 2 {
            // scipy: NaN everywhere (df reported as 1); engine: an error, no NaN.
            assert!(num(&c["var_a"]).is_nan() || num(&c["var_b"]).is_nan());
            assert!(num(&results["two-sided"]["t"]).is_nan());
            assert!(matches!(
                welch_t(&a, &b, 0.95),
                Err(StatsError::TooFewObservations { needed: 2, .. })
            ));
            checked += 1;
            continue;
        }
        close(
            a.variance().unwrap(),
            num(&c["var_a"]),
            1e-12,
            1e-300,
            &format!("{name} var_a"),
        );
        close(
            b.variance().unwrap(),
            num(&c["var_b"]),
            1e-12,
            1e-300,
            &format!("{name} var_b"),
        );
        match welch_t(&a, &b, 0.95).unwrap() {
            WelchOutcome::Tested(r) => check_welch(&r, 1.0, results, name),
            WelchOutcome::NoNoiseInformation { mean_diff } => {
                // scipy: t NaN (equal means) or ±∞ with p = 0; engine: no noise information.
                assert_eq!(num(&c["var_a"]), 0.0);
                assert_eq!(num(&c["var_b"]), 0.0);
                let t = num(&results["two-sided"]["t"]);
                assert!(t.is_nan() || t.is_infinite(), "{name}");
                exact(mean_diff, num(&c["mean_a"]) - num(&c["mean_b"]), name);
            }
        }
        if log {
            let base = LogSample::new(&a_raw).unwrap();
            let head = LogSample::new(&b_raw).unwrap();
            match welch_log_ratio(&base, &head, 0.95).unwrap() {
                WelchLogOutcome::Tested(r) => {
                    check_welch(&r.test, -1.0, results, &format!("{name} (log ratio)"));
                    close(
                        r.ratio,
                        num(&c["ratio_b_over_a_estimate"]),
                        1e-13,
                        0.0,
                        name,
                    );
                    let ci = nums(&c["ratio_ci95_from_two_sided"]);
                    close(r.ratio_ci.lower, ci[0], REL_WELCH_DF, 0.0, name);
                    close(r.ratio_ci.upper, ci[1], REL_WELCH_DF, 0.0, name);
                }
                WelchLogOutcome::NoNoiseInformation { .. } => panic!("{name}: unexpected"),
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 14);
}

// ---------------------------------------------------------------------------------------------

#[test]
fn multiple_testing_oracle() {
    let doc = load("benjamini_hochberg.json");
    let mut checked = 0;
    type Adjust = fn(&[f64]) -> Result<Vec<f64>, StatsError>;
    let methods: [(&str, &str, Adjust); 5] = [
        ("bh", "fdr_bh", benjamini_hochberg),
        ("by", "fdr_by", benjamini_yekutieli),
        ("bonferroni", "bonferroni", bonferroni),
        ("holm", "holm", holm),
        ("hommel", "hommel", hommel),
    ];
    for c in cases(&doc) {
        let name = c["name"].as_str().unwrap();
        let p = nums(&c["p"]);
        for (key, reject_key, f) in methods {
            let got = f(&p).unwrap();
            let want = nums(&c[key]);
            assert_eq!(got.len(), want.len());
            let rejects = c["reject_at_0.05"][reject_key].as_array().unwrap();
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                close(
                    *g,
                    *w,
                    REL_CLOSED,
                    ABS_NEAR_ZERO,
                    &format!("{name} {key}[{i}]"),
                );
                assert_eq!(
                    *g <= 0.05,
                    rejects[i].as_bool().unwrap(),
                    "{name} {key}[{i}] reject decision (adjusted {g})"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 9);
}

#[test]
fn mann_kendall_matches_pymannkendall_and_scipy() {
    let o = load("mann_kendall.json");
    for c in o["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let x = nums(&c["x"]);
        let mk = regdiff::stats::trend::mann_kendall(&x).unwrap();
        assert_eq!(mk.s, num(&c["S"]) as i64, "{name}: S");
        close(
            mk.var_s,
            num(&c["var_S"]),
            1e-12,
            1e-12,
            &format!("{name}: var_S"),
        );
        close(
            mk.z,
            num(&c["z_cc"]),
            1e-12,
            1e-12,
            &format!("{name}: z_cc"),
        );
        close(
            mk.p_asymptotic,
            num(&c["p_two_sided_cc"]),
            1e-9,
            1e-300,
            &format!("{name}: p_cc"),
        );
        close(
            mk.tau_a,
            num(&c["tau_a"]),
            1e-12,
            1e-12,
            &format!("{name}: tau_a"),
        );
        // scipy's exact Kendall p (no ties), for every case that has one.
        if let Some(want) = c["scipy_kendalltau_p_exact"]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok())
        {
            let got = regdiff::stats::trend::kendall_exact_p(x.len(), mk.s);
            close(got, want, 1e-9, 1e-15, &format!("{name}: exact p"));
            if x.len() <= 10 {
                assert_eq!(mk.p_exact, Some(got), "{name}: exact p used for n <= 10");
            }
        }
    }
}

#[test]
fn theil_sen_matches_scipy_theilslopes() {
    let o = load("theil_sen.json");
    for c in o["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let y = nums(&c["y"]);
        let x = nums(&c["x"]);
        for conf in ["0.9", "0.95"] {
            let want = &c[format!("separate_{conf}").as_str()];
            let got =
                regdiff::stats::trend::theil_sen(&y, Some(&x), conf.parse().unwrap()).unwrap();
            let what = |k: &str| format!("{name} {conf}: {k}");
            close(got.slope, num(&want["slope"]), 1e-12, 1e-12, &what("slope"));
            close(
                got.intercept,
                num(&want["intercept"]),
                1e-12,
                1e-12,
                &what("intercept"),
            );
            close(got.low, num(&want["low_slope"]), 1e-12, 1e-12, &what("low"));
            close(
                got.high,
                num(&want["high_slope"]),
                1e-12,
                1e-12,
                &what("high"),
            );
        }
    }
}

#[test]
fn e_divisive_qhat_and_best_split_match_the_reference() {
    let o = load("e_divisive.json");
    for c in o["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let series = nums(&c["series"]);
        let q = regdiff::stats::edivisive::qhat_whole(&series).unwrap();
        let want = nums(&c["qhat_kappa_N"]["qhat"]);
        assert_eq!(q.len(), want.len(), "{name}");
        for (i, (g, w)) in q.iter().zip(&want).enumerate() {
            close(
                *g,
                *w,
                1e-9,
                1e-9,
                &format!("{name}: qhat at tau {}", i + 1),
            );
        }
        let argmax = q
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |b, (i, v)| {
                if *v > b.1 { (i + 1, *v) } else { b }
            });
        assert_eq!(
            argmax.0 as u64,
            uint(&c["qhat_kappa_N"]["argmax_tau"]),
            "{name}: argmax"
        );
        let cand = &c["otava_candidate_max_over_tau_kappa"];
        let (tau, _, qv) = regdiff::stats::edivisive::best_split(&series, 1)
            .unwrap()
            .unwrap();
        assert_eq!(
            tau as u64,
            uint(&cand["index"]),
            "{name}: Otava's candidate index"
        );
        close(
            qv,
            num(&cand["qhat"]),
            1e-9,
            1e-9,
            &format!("{name}: candidate qhat"),
        );
    }
}

#[test]
fn e_divisive_change_points_match_otava() {
    let o = load("e_divisive.json");
    let mut checked = 0;
    for c in o["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let series = nums(&c["series"]);
        for (key, want) in c["otava_compute_change_points"].as_object().unwrap() {
            let mut params = regdiff::stats::edivisive::Params::default();
            for kv in key.split(',') {
                let (k, v) = kv.split_once('=').unwrap();
                match k {
                    "window_len" => params.window_len = v.parse().unwrap(),
                    "max_pvalue" => params.max_pvalue = v.parse().unwrap(),
                    "min_magnitude" => params.min_magnitude = v.parse().unwrap(),
                    other => panic!("unknown parameter {other}"),
                }
            }
            let got = regdiff::stats::edivisive::change_points(&series, params).unwrap();
            let want = want.as_array().unwrap();
            let idx: Vec<usize> = got.iter().map(|c| c.index).collect();
            let want_idx: Vec<usize> = want.iter().map(|w| uint(&w["index"]) as usize).collect();
            assert_eq!(idx, want_idx, "{name} {key}");
            for (g, w) in got.iter().zip(want) {
                let what = |k: &str| format!("{name} {key} at {}: {k}", g.index);
                close(g.p, num(&w["pvalue"]), 1e-6, 1e-300, &what("p"));
                close(
                    g.mean_before,
                    num(&w["mean_before"]),
                    1e-12,
                    1e-12,
                    &what("mean before"),
                );
                close(
                    g.mean_after,
                    num(&w["mean_after"]),
                    1e-12,
                    1e-12,
                    &what("mean after"),
                );
                close(
                    g.forward_rel_change(),
                    num(&w["forward_rel_change"]),
                    1e-9,
                    1e-12,
                    &what("relative change"),
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 18, "6 series x 3 parameter sets");
}
