//! Change points on seeded synthetic series (issue 10's synthetic acceptance, for the
//! detector alone): log-normal noise of CV 3%, 200 series per case.
//!
//! * a +10% step over 60 points is found at its index (±1) in ≥ 95% of series;
//! * a flat series of 500 points gives a false change point in ≤ 2% of series;
//! * one outlier ×3 is never a change point.
//!
//! With Otava's own defaults the flat case is the problem (printed for comparison): the best
//! split of each window is tested as if it had not been chosen.

use regdiff::stats::SplitMix64;
use regdiff::stats::edivisive::{Params, change_points};

fn normal(r: &mut SplitMix64) -> f64 {
    let u1 = ((r.next_u64() >> 11) as f64 / (1u64 << 53) as f64).max(1e-300);
    let u2 = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn series(r: &mut SplitMix64, n: usize, step_at: Option<usize>, step: f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let level = if step_at.is_some_and(|a| i >= a) {
                1.0 + step
            } else {
                1.0
            };
            100.0 * level * (0.03 * normal(r)).exp()
        })
        .collect()
}

/// (share of series with any change point, share with one at the step ±1).
fn rates(params: Params, n: usize, step_at: Option<usize>, step: f64, outlier: bool) -> (f64, f64) {
    let mut r = SplitMix64::new(20261202);
    let trials = 200;
    let (mut any, mut hit) = (0, 0);
    for _ in 0..trials {
        let mut s = series(&mut r, n, step_at, step);
        if outlier {
            s[n / 2] *= 3.0;
        }
        let cps = change_points(&s, params).unwrap();
        any += usize::from(!cps.is_empty());
        hit += usize::from(step_at.is_some_and(|a| cps.iter().any(|c| c.index.abs_diff(a) <= 1)));
    }
    (any as f64 / trials as f64, hit as f64 / trials as f64)
}

#[test]
fn corrected_detector_finds_steps_and_few_false_points() {
    let p = Params::corrected();
    let (_, found) = rates(p, 60, Some(30), 0.10, false);
    let (false_flat, _) = rates(p, 500, None, 0.0, false);
    let (outlier, _) = rates(p, 60, None, 0.0, true);
    let (otava_flat, _) = rates(Params::default(), 500, None, 0.0, false);
    println!(
        "+10% step found {:.1}%; flat 500: false change point in {:.1}% (Otava's defaults: {:.1}%); outlier x3: {:.1}%",
        100.0 * found,
        100.0 * false_flat,
        100.0 * otava_flat,
        100.0 * outlier
    );
    assert!(found >= 0.95, "step found in {found}");
    assert!(
        false_flat <= 0.02,
        "flat series with a false point: {false_flat}"
    );
    assert_eq!(outlier, 0.0, "an outlier made a change point");
    assert!(
        otava_flat > false_flat,
        "the correction is what makes the difference"
    );
}

#[test]
fn a_step_in_a_long_series_is_one_change_point_with_its_levels() {
    let mut r = SplitMix64::new(3);
    let s = series(&mut r, 300, Some(150), 0.2);
    let cps = change_points(&s, Params::corrected()).unwrap();
    assert_eq!(cps.len(), 1, "{cps:?}");
    let c = cps[0];
    assert!(c.index.abs_diff(150) <= 1, "{c:?}");
    assert!((c.forward_rel_change() - 0.2).abs() < 0.02, "{c:?}");
    assert!(c.p < 1e-10, "{c:?}");
}
