//! The group model: per statistic, the common shift and the spread of a group of comparable
//! metrics, each metric's deviation and p, the rank-test veto, and whether the environment is
//! shown to have moved.

use super::*;

/// One statistic's model of a group, before it is written into the facts.
struct StatModel {
    stat: Stat,
    /// (position in the group, metric index, index of the statistic in its facts)
    members: Vec<(usize, usize, usize)>,
    change: Vec<f64>,
    by_spread: Vec<bool>,
    grouped: bool,
    has_controls: bool,
    whole_shift: Option<f64>,
    whole_spread: Option<Heterogeneity>,
    /// Per member: the shift and the spread it is judged against (leave-one-out).
    per_metric: Vec<(Option<f64>, Option<Heterogeneity>)>,
}

fn stat_model(
    facts: &[Box<MetricFacts<'_>>],
    idx: &[usize],
    is_control: &[bool],
    s: Stat,
) -> Option<StatModel> {
    let members: Vec<(usize, usize, usize)> = idx
        .iter()
        .enumerate()
        .filter_map(|(p, &i)| {
            facts[i]
                .stats
                .iter()
                .position(|x| x.stat == s)
                .map(|k| (p, i, k))
        })
        .collect();
    let m = members.len();
    if m == 0 {
        return None;
    }
    let change: Vec<f64> = members
        .iter()
        .map(|&(_, i, k)| facts[i].stats[k].change)
        .collect();
    let by_spread: Vec<bool> = members
        .iter()
        .map(|&(_, i, _)| matches!(facts[i].noise, NoiseModel::None | NoiseModel::Spread { .. }))
        .collect();
    let own: Vec<f64> = members
        .iter()
        .map(|&(_, i, k)| facts[i].stats[k].own_se.unwrap_or(0.0))
        .collect();
    let controls: Vec<usize> = (0..m).filter(|&j| is_control[members[j].0]).collect();
    let grouped = m >= MIN_SPREAD_METRICS;
    // The shift a metric is judged against: the controls' median, else the others'.
    let shift_for = |j: Option<usize>| -> Option<f64> {
        if !controls.is_empty() {
            let mut v: Vec<f64> = controls
                .iter()
                .filter(|&&c| Some(c) != j || controls.len() == 1)
                .map(|&c| change[c])
                .collect();
            return Some(median_select(&mut v));
        }
        grouped.then(|| {
            let mut v: Vec<f64> = (0..m)
                .filter(|&x| Some(x) != j)
                .map(|x| change[x])
                .collect();
            median_select(&mut v)
        })
    };
    let spread_for = |j: Option<usize>, shift: f64, scratch: &mut Vec<f64>| {
        grouped.then(|| {
            let (d, e): (Vec<f64>, Vec<f64>) = (0..m)
                .filter(|&x| Some(x) != j)
                .map(|x| (change[x] - shift, own[x]))
                .unzip();
            heterogeneity(&d, &e, scratch)
        })
    };
    let mut scratch = Vec::new();
    let whole_shift = shift_for(None);
    let whole_spread = whole_shift.and_then(|c| spread_for(None, c, &mut scratch));
    let per_metric: Vec<(Option<f64>, Option<Heterogeneity>)> = if m <= LOO_MAX {
        (0..m)
            .into_par_iter()
            .map_init(Vec::new, |scratch, j| {
                let c = shift_for(Some(j));
                (c, c.and_then(|c| spread_for(Some(j), c, scratch)))
            })
            .collect()
    } else {
        vec![(whole_shift, whole_spread); m]
    };
    Some(StatModel {
        stat: s,
        members,
        change,
        by_spread,
        grouped,
        has_controls: !controls.is_empty(),
        whole_shift,
        whole_spread,
        per_metric,
    })
}

/// Per statistic over the group: the common shift, the spread, each metric's deviation,
/// noise and p. Returns each statistic's group-wide shift and spread.
///
/// * At least 5 metrics: the shift is the leave-one-out median of the others' changes (the
///   controls' median when there are controls), and the spread τ the others' robust
///   heterogeneity beyond their own noise (leave-one-out, see [`heterogeneity`]). A metric is
///   judged against √(τ² + own²): for the spread model its within-run error is a floor whose
///   samples never carry a call alone (the degrees of freedom are the group's); for runs and
///   history its own noise is the run-to-run noise itself (Satterthwaite degrees of freedom).
/// * Fewer: no spread model, and no shift from so few (one changed metric of four moves their
///   median). Controls still give the shift. Runs and history judge the raw change by their own
///   noise — a history-judged statistic only while the head run's common shift does not stand
///   out from the stored runs' (else the environment moved and nothing separates it).
pub(super) fn group_pass(
    facts: &mut [Box<MetricFacts<'_>>],
    idx: &[usize],
    is_control: &[bool],
    history: &[Option<HistoryShift>; 4],
) -> Vec<GroupStat> {
    // The statistics are modelled in parallel (reading the facts), then written back.
    let models: Vec<StatModel> = Stat::ALL
        .par_iter()
        .filter_map(|&s| stat_model(facts, idx, is_control, s))
        .collect();
    let mut out = Vec::new();
    for model in models {
        let StatModel {
            stat: s,
            members,
            change,
            by_spread,
            grouped,
            has_controls,
            whole_shift,
            whole_spread,
            per_metric,
        } = model;
        let m = members.len();
        let thr = idx
            .iter()
            .map(|&i| facts[i].log_threshold())
            .fold(f64::INFINITY, f64::min);
        // A small group judged by history: its head run's shift must not stand out.
        let history_open =
            !grouped && !has_controls && history[s.index()].is_some_and(|h| h.stands_out(thr));
        for (j, &(_, i, k)) in members.iter().enumerate() {
            let (shift, het) = per_metric[j];
            let f = &mut facts[i];
            if by_spread[j] {
                f.noise = match het {
                    Some(_) => NoiseModel::Spread { metrics: m - 1 },
                    None => NoiseModel::None,
                };
            }
            let st = &mut f.stats[k];
            st.shift = shift;
            st.deviation = st.change - shift.unwrap_or(0.0);
            st.spread = het.map(|h| h.tau);
            let own_se = st.own_se.unwrap_or(0.0);
            let (noise, df) = match (het, by_spread[j]) {
                // The others' spread beyond their own noise, and the metric's own error: a
                // floor, which can veto but never carries a call alone, so the yardstick's
                // reliability is the group's, not the samples'.
                (Some(h), true) => ((h.tau * h.tau + own_se * own_se).sqrt(), Some(h.df)),
                (Some(h), false) => (
                    (h.tau * h.tau + own_se * own_se).sqrt(),
                    satterthwaite(&[
                        (h.tau * h.tau, h.df),
                        (own_se * own_se, st.df.unwrap_or(f64::INFINITY)),
                    ]),
                ),
                (None, true) => (0.0, None),
                (None, false) if matches!(f.noise, NoiseModel::History { .. }) && history_open => {
                    (0.0, None)
                }
                (None, false) => (own_se, st.df),
            };
            st.noise = (noise > 0.0).then_some(noise);
            st.df = df.map(|d| d.max(1.0));
            // The p of a statistic the verdict tests (the others' deviations are shown).
            st.p = match (st.noise, st.df, st.role) {
                (Some(n), Some(df), Role::Code) => Some(two_sided_p(st.deviation.abs() / n, df)),
                _ => None,
            };
        }
        let mut all = change.clone();
        let cost_shift = whole_shift.unwrap_or_else(|| median_select(&mut all));
        out.push(GroupStat {
            stat: s,
            metrics: m,
            shift_ratio: (facts[idx[0]].input.better.cost_sign() * cost_shift).exp(),
            spread: whole_spread.map(|h| h.tau.exp() - 1.0),
        });
    }
    out
}

/// The rank-test veto, for the metrics a call could be made on: every code statistic's
/// deviation beyond the threshold in one direction. A change the samples do not show is never
/// called.
pub(super) fn rank_pass(facts: &mut [Box<MetricFacts<'_>>], idx: &[usize], alpha: f64) {
    idx.par_iter()
        .map(|&i| {
            let f = &facts[i];
            let thr = f.log_threshold();
            let mut code = f.code_stats().peekable();
            let up = code.peek().map(|s| s.deviation > 0.0);
            let candidate = up.is_some()
                && f.code_stats()
                    .all(|s| s.deviation.abs() > thr && (s.deviation > 0.0) == up.unwrap_or(true));
            if !candidate {
                return (i, Vec::new());
            }
            let by_runs = matches!(f.noise, NoiseModel::Runs);
            let rank: Vec<(Stat, Option<f64>)> = f
                .code_stats()
                .map(|st| {
                    let shift = st.shift.unwrap_or(0.0);
                    let r = if by_runs {
                        let sorted = |runs: &[RunStats<'_>]| {
                            let mut v: Vec<f64> =
                                runs.iter().filter_map(|r| r.value(st.stat)).collect();
                            v.sort_by(f64::total_cmp);
                            v
                        };
                        rank_shift_test(&sorted(&f.input.base), &sorted(&f.input.head), shift)
                    } else {
                        let pick = |r: &RunStats<'_>| r.sorted_logs(st.stat == Stat::Cpu);
                        let (b, h) = (
                            f.input.base.first().map(pick).unwrap_or_default(),
                            pick(&f.input.head[0]),
                        );
                        // Under the null the head sits at the base level plus the shift. The
                        // samples are one run a side: the base run may sit off the level (a
                        // history's, or the median of a side's several runs), and so may the
                        // head run off the head side's median.
                        let base_run = f
                            .input
                            .base
                            .first()
                            .and_then(|r| r.value(st.stat))
                            .unwrap_or(st.base);
                        let head_off = f
                            .input
                            .head
                            .first()
                            .and_then(|r| r.value(st.stat))
                            .map_or(0.0, |v| v - st.head);
                        rank_shift_test(&b, &h, shift + st.base - base_run + head_off)
                    };
                    let p = r.filter(|r| r.min_attainable <= alpha).map(|r| {
                        if r.head_higher == (st.deviation > 0.0) {
                            r.p
                        } else {
                            1.0
                        }
                    });
                    (st.stat, p)
                })
                .collect();
            (i, rank)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .for_each(|(i, rank)| {
            for (s, p) in rank {
                if let Some(st) = facts[i].stats.iter_mut().find(|x| x.stat == s) {
                    st.rank_p = p;
                }
            }
        });
}

/// The group's common shift and whether the environment is shown to have moved.
pub(super) fn group_shift(
    name: &str,
    facts: &[Box<MetricFacts<'_>>],
    idx: &[usize],
    is_control: &[bool],
    stats: Vec<GroupStat>,
    history: Option<HistoryShift>,
) -> GroupShift {
    let better = facts[idx[0]].input.better;
    let to_ratio = |x: f64| (better.cost_sign() * x).exp();
    let threshold = idx
        .iter()
        .map(|&i| facts[i].input.threshold)
        .fold(f64::INFINITY, f64::min);
    let thr = (1.0 + threshold).ln();
    let mut changes: Vec<f64> = idx
        .iter()
        .filter_map(|&i| facts[i].stat(Stat::Median).map(|s| s.change))
        .collect();
    changes.sort_by(f64::total_cmp);
    let m = changes.len();
    let (moved_by_environment, moved_evidence) =
        environment_moved_stats(facts, idx, thr, &to_ratio);
    let controls: Vec<usize> = idx
        .iter()
        .zip(is_control)
        .filter(|(_, c)| **c)
        .map(|(&i, _)| i)
        .collect();
    let mut ci = None;
    let mut level = None;
    let mut evidence = String::new();
    let mut significant = false;
    let pct = |x: f64| crate::units::fmt_pct(to_ratio(x));
    if !controls.is_empty() {
        let mut c: Vec<f64> = controls
            .iter()
            .filter_map(|&i| facts[i].stat(Stat::Median).map(|s| s.change))
            .collect();
        if !c.is_empty() {
            let shift = median_select(&mut c);
            significant = shift.abs() > thr;
            evidence = format!(
                "control metric(s) moved {} ({}the {}% threshold)",
                pct(shift),
                if significant { "beyond " } else { "within " },
                crate::units::fixed(100.0 * threshold, 0, false)
            );
        }
    } else if let Some(h) = &history {
        let beyond = (h.head - h.center).abs();
        significant = h.head.abs() > thr && beyond > 3.0 * h.spread;
        evidence = format!(
            "the head run's common shift of the medians is {} against the base levels, while the {} base runs' own shifts spread by {}%{}",
            pct(h.head),
            h.runs,
            crate::units::fixed(100.0 * (h.spread.exp() - 1.0), 1, false),
            if significant {
                ": the environment moved"
            } else {
                ""
            }
        );
    } else if m >= MIN_SPREAD_METRICS {
        if let Some((lo, hi, c)) = median_interval_sorted(&changes, 0.95) {
            ci = Some([lo, hi]);
            level = Some(c);
            significant = lo > thr || hi < -thr;
            evidence = format!(
                "the median of the {m} metrics' median changes lies in {} to {} ({}% distribution-free interval){}",
                pct(lo),
                pct(hi),
                crate::units::fixed(100.0 * c, 1, false),
                if significant {
                    ", beyond the threshold: the environment moved"
                } else {
                    ""
                }
            );
        }
    } else {
        evidence = format!(
            "too few metrics to show a common shift ({} needed) and no history or control metric",
            MIN_SPREAD_METRICS
        );
    }
    let shift_ratio = stats
        .iter()
        .find(|g| g.stat == Stat::Median)
        .map(|g| g.shift_ratio);
    let (geomean_ratio, geomean_ci) = if m == 0 {
        (None, None)
    } else {
        let n = m as f64;
        let mean = changes.iter().sum::<f64>() / n;
        let ci = (m >= 2).then(|| {
            let sd = (changes.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let h = t_quantile(0.975, n - 1.0) * sd / n.sqrt();
            let (a, b) = (to_ratio(mean - h), to_ratio(mean + h));
            [a.min(b), a.max(b)]
        });
        (Some(to_ratio(mean)), ci)
    };
    let ci = ci.map(|[a, b]: [f64; 2]| {
        let (x, y) = (to_ratio(a), to_ratio(b));
        [x.min(y), x.max(y)]
    });
    GroupShift {
        group: name.to_string(),
        metrics: idx.len(),
        better,
        geomean_ratio,
        geomean_ci,
        shift_ratio,
        shift_ci: ci,
        shift_ci_level: level,
        significant,
        evidence,
        stats,
        controls: controls
            .iter()
            .map(|&i| facts[i].input.id.clone())
            .collect(),
        threshold,
        moved_by_environment,
        moved_evidence,
    }
}

/// The code statistics the environment is shown to have moved more than the least-moved one
/// (see [`GroupShift::moved_by_environment`]).
fn environment_moved_stats(
    facts: &[Box<MetricFacts<'_>>],
    idx: &[usize],
    thr: f64,
    to_ratio: &dyn Fn(f64) -> f64,
) -> (Vec<Stat>, Vec<String>) {
    let code = [Stat::Min, Stat::Q25, Stat::Cpu];
    let change_of = |i: usize, s: Stat| {
        facts[i]
            .stat(s)
            .filter(|x| x.role == Role::Code)
            .map(|x| x.change)
    };
    // The least-moved code statistic of the group: the smallest median change.
    let mut shifts: Vec<(Stat, f64)> = code
        .iter()
        .filter_map(|&s| {
            let mut v: Vec<f64> = idx.iter().filter_map(|&i| change_of(i, s)).collect();
            (v.len() >= MIN_SPREAD_METRICS).then(|| (s, median_select(&mut v)))
        })
        .collect();
    shifts.sort_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
    let Some(&(reference, _)) = shifts.first() else {
        return (Vec::new(), Vec::new());
    };
    let mut moved = Vec::new();
    let mut words = Vec::new();
    for &(s, _) in &shifts[1..] {
        let mut d: Vec<f64> = idx
            .iter()
            .filter_map(|&i| Some(change_of(i, s)? - change_of(i, reference)?))
            .collect();
        if d.len() < MIN_SPREAD_METRICS {
            continue;
        }
        d.sort_by(f64::total_cmp);
        if let Some((lo, hi, level)) = median_interval_sorted(&d, 0.95)
            && (lo > thr || hi < -thr)
        {
            let better = facts[idx[0]].input.better;
            moved.push(s);
            words.push(format!(
                "{} moved {} to {} beyond the {} across the group ({}% distribution-free interval of the median): the environment reached it",
                s.name(better),
                crate::units::fmt_pct(to_ratio(lo.min(hi))),
                crate::units::fmt_pct(to_ratio(lo.max(hi))),
                reference.name(better),
                crate::units::fixed(100.0 * level, 1, false)
            ));
        }
    }
    (moved, words)
}
