//! What one run tells about a metric ([`RunStats`]), and the metrics to compare, aligned by
//! id across the runs of both sides ([`inputs`]).

use super::*;

/// What one run tells about a metric, in cost space (see the module doc). It borrows the
/// run's samples (the rank test needs them for the few metrics a call could be made on)
/// rather than keeping a copy of every run's.
///
/// A run of one positive duration (a test's, where lower is better) is 32 bytes: its value
/// and that value's log, which is each of its locations. A base side of 200 runs of 10,000
/// tests holds two million of them; as a whole [`Full`] each they were 272 MB. Every other
/// run keeps its statistics in a box.
#[derive(Debug, Clone)]
pub struct RunStats<'a> {
    /// The run's samples in the metric's unit (empty for a summary).
    raw: &'a [f64],
    /// A single positive duration's log (its median, minimum and lower quartile); unused
    /// when `full` is given.
    log: f64,
    /// The statistics of any other run.
    full: Option<Box<Full<'a>>>,
}

/// The statistics of a run other than a single positive duration.
#[derive(Debug, Clone, Default)]
struct Full<'a> {
    samples: u64,
    median_value: Option<f64>,
    /// Each statistic's log location (cost space), by [`Stat`] index, where `has` says so
    /// (see [`RunStats::value`]).
    values: [f64; 4],
    /// Each statistic's within-run standard error (log scale), where `has` says so.
    ses: [f64; 4],
    /// Bit i: `values[i]` is given; bit 4 + i: `ses[i]` is given.
    has: u8,
    cpu_raw: &'a [f64],
    sign: f64,
}

impl PartialEq for RunStats<'_> {
    /// Same figures, however they are held.
    fn eq(&self, o: &Self) -> bool {
        self.samples() == o.samples()
            && self.median_value() == o.median_value()
            && self.values() == o.values()
            && Stat::ALL.iter().all(|&s| self.se(s) == o.se(s))
            && self.raw == o.raw
            && self.cpu_raw() == o.cpu_raw()
            && self.sign() == o.sign()
    }
}

/// Buffers [`RunStats::of`] reuses from run to run.
#[derive(Debug, Default)]
pub struct Scratch {
    logs: Vec<f64>,
    work: Vec<f64>,
}

impl<'a> RunStats<'a> {
    /// The statistics of one run of `m`.
    pub fn of(m: &'a Metric, buf: &mut Scratch) -> RunStats<'a> {
        let sign = m.better.cost_sign();
        let mut r = Full {
            samples: m.sample_count(),
            sign,
            ..Full::default()
        };
        let mut raw: &'a [f64] = &[];
        let loc = if !m.samples.is_empty() {
            if m.samples.iter().any(|x| *x <= 0.0) {
                r.median_value = m.location();
                return RunStats::boxed(raw, r);
            }
            raw = &m.samples;
            Some(r.sample_locations(&m.samples, buf))
        } else {
            r.median_value = m.location();
            m.summary.as_ref().and_then(|s| {
                let ln = |x: f64| (x > 0.0).then(|| sign * x.ln());
                // For a throughput the lower cost envelope is the upper value envelope.
                let (lo, q25, q75) = match m.better {
                    Better::Lower => (Some(s.min), s.q1, s.q3),
                    Better::Higher => (s.max, s.q3, s.q1),
                };
                let median = ln(s.median)?;
                let mut l = Locations::from_summary(
                    s.n,
                    lo.and_then(ln).unwrap_or(f64::NAN),
                    q25.and_then(ln).unwrap_or(f64::NAN),
                    median,
                    q75.and_then(ln),
                );
                if l.q25.is_nan() {
                    l.se_q25 = None;
                    l.se_min = None;
                    l.se_median = None;
                }
                Some(l)
            })
        };
        if let Some(l) = loc {
            r.set_locations(&l);
        }
        // CPU time is a time: only lower-is-better metrics carry it.
        if let (Some(c), Better::Lower) = (&m.cpu, m.better) {
            if !c.samples.is_empty() && c.samples.iter().all(|x| *x > 0.0) {
                r.cpu_raw = &c.samples;
                buf.logs.clear();
                buf.logs.extend(c.samples.iter().map(|x| x.ln()));
                buf.logs.sort_unstable_by(f64::total_cmp);
                r.set_value(
                    Stat::Cpu,
                    Some(crate::stats::robust::quantile_sorted(&buf.logs, 0.5)),
                );
                r.set_se(Stat::Cpu, median_se_sorted(&buf.logs, &mut buf.work));
            } else if let Some(mean) = c.mean.filter(|x| *x > 0.0) {
                r.set_value(Stat::Cpu, Some(mean.ln()));
            }
        }
        RunStats::boxed(raw, r)
    }

    fn boxed(raw: &'a [f64], full: Full<'a>) -> RunStats<'a> {
        RunStats {
            raw,
            log: 0.0,
            full: Some(Box::new(full)),
        }
    }

    /// One value measured once: a test's duration, borrowed from the test (no copy: a
    /// base side of 200 runs holds 200 of these a test). The same figures as [`RunStats::of`]
    /// gives a lower-is-better metric of that one sample.
    pub fn single(value: &'a f64, buf: &mut Scratch) -> RunStats<'a> {
        let raw = std::slice::from_ref(value);
        if *value > 0.0 && value.is_finite() {
            return RunStats {
                raw,
                log: value.ln(),
                full: None,
            };
        }
        let mut full = Full {
            samples: 1,
            sign: Better::Lower.cost_sign(),
            ..Full::default()
        };
        if *value <= 0.0 {
            full.median_value = Some(*value);
        } else {
            let l = full.sample_locations(raw, buf);
            full.set_locations(&l);
        }
        RunStats::boxed(raw, full)
    }

    /// Samples in the run.
    pub fn samples(&self) -> u64 {
        self.full.as_ref().map_or(1, |f| f.samples)
    }

    /// The run's median in the metric's unit.
    pub fn median_value(&self) -> Option<f64> {
        match &self.full {
            Some(f) => f.median_value,
            None => Some(self.raw[0]),
        }
    }

    /// CPU time per sample, when the harness gives it.
    pub fn cpu_raw(&self) -> &'a [f64] {
        self.full.as_ref().map_or(&[], |f| f.cpu_raw)
    }

    /// Cost space is ln(value) (1) or −ln(value) (−1).
    pub fn sign(&self) -> f64 {
        self.full
            .as_ref()
            .map_or(Better::Lower.cost_sign(), |f| f.sign)
    }

    /// A statistic's log location (cost space); `None` when the run cannot give it (a
    /// summary without quartiles, no CPU time, a value ≤ 0).
    pub fn value(&self, s: Stat) -> Option<f64> {
        match &self.full {
            Some(f) => (f.has & (1 << s.index()) != 0).then(|| f.values[s.index()]),
            None => (s != Stat::Cpu).then_some(self.log),
        }
    }

    /// A statistic's within-run standard error (log scale).
    pub fn se(&self, s: Stat) -> Option<f64> {
        let f = self.full.as_ref()?;
        (f.has & (1 << (4 + s.index())) != 0).then(|| f.ses[s.index()])
    }

    /// Every statistic's log location, by [`Stat`] index.
    pub fn values(&self) -> [Option<f64>; 4] {
        let mut v = [None; 4];
        for s in Stat::ALL {
            v[s.index()] = self.value(s);
        }
        v
    }

    /// Sorted cost-space logs of the samples (or of the CPU times).
    pub(super) fn sorted_logs(&self, cpu: bool) -> Vec<f64> {
        let mut v: Vec<f64> = if cpu {
            self.cpu_raw().iter().map(|x| x.ln()).collect()
        } else {
            let sign = self.sign();
            self.raw.iter().map(|x| sign * x.ln()).collect()
        };
        v.sort_unstable_by(f64::total_cmp);
        v
    }
}

impl<'a> Full<'a> {
    /// Sorts `samples` (all > 0) once: the median of the values themselves, then their logs
    /// in cost order, whose locations it returns.
    fn sample_locations(&mut self, samples: &'a [f64], buf: &mut Scratch) -> Locations {
        // Sorted once: the median of the values themselves (of the two middle ones when
        // even), then their logs, in cost order.
        buf.work.clear();
        buf.work.extend_from_slice(samples);
        buf.work.sort_unstable_by(f64::total_cmp);
        let n = buf.work.len();
        self.median_value = Some(if n % 2 == 1 {
            buf.work[n / 2]
        } else {
            0.5 * (buf.work[n / 2 - 1] + buf.work[n / 2])
        });
        buf.logs.clear();
        if self.sign > 0.0 {
            buf.logs.extend(buf.work.iter().map(|x| x.ln()));
        } else {
            buf.logs.extend(buf.work.iter().rev().map(|x| -x.ln()));
        }
        Locations::from_sorted_logs(&buf.logs, &mut buf.work)
    }

    /// Sets the statistics' values and standard errors from the run's locations.
    fn set_locations(&mut self, l: &Locations) {
        let finite = |x: f64| x.is_finite().then_some(x);
        self.set_value(Stat::Median, finite(l.median));
        self.set_value(Stat::Min, finite(l.min));
        self.set_value(Stat::Q25, finite(l.q25));
        self.set_se(Stat::Median, l.se_median);
        self.set_se(Stat::Min, l.se_min.filter(|_| l.min.is_finite()));
        self.set_se(Stat::Q25, l.se_q25.filter(|_| l.q25.is_finite()));
    }

    fn set_value(&mut self, s: Stat, v: Option<f64>) {
        self.values[s.index()] = v.unwrap_or(0.0);
        self.mark(s.index(), v.is_some());
    }

    fn set_se(&mut self, s: Stat, v: Option<f64>) {
        self.ses[s.index()] = v.unwrap_or(0.0);
        self.mark(4 + s.index(), v.is_some());
    }

    /// Sets or clears bit `bit` of `has`.
    fn mark(&mut self, bit: usize, given: bool) {
        if given {
            self.has |= 1 << bit;
        } else {
            self.has &= !(1 << bit);
        }
    }
}

/// The metrics to compare: every metric of the runs, aligned by id, and the durations of
/// tests that passed on every run of both sides.
pub fn inputs<'a>(
    base: &[Run<'a>],
    head: &[Run<'a>],
    comparisons: &[TestComparison<'a>],
    mc: &MetricsConfig,
) -> Vec<MetricInput<'a>> {
    let threshold_globs: Vec<(GlobSet, f64)> = mc
        .thresholds
        .iter()
        .map(|(p, t)| (globs(std::slice::from_ref(p)), *t))
        .collect();
    let threshold_of = |id: &str| {
        threshold_globs
            .iter()
            .find(|(g, _)| g.is_match(id))
            .map(|(_, t)| *t)
            .unwrap_or(mc.threshold)
    };
    struct Acc<'s> {
        unit: &'s str,
        better: Better,
        tags: &'s [String],
        base: Vec<&'s Metric>,
        head: Vec<&'s Metric>,
        problem: Option<String>,
        head_unit: Option<&'s str>,
    }
    let mut order: Vec<&str> = Vec::new();
    let mut acc: hashbrown::HashMap<&str, Acc<'a>> = hashbrown::HashMap::new();
    for (is_head, side) in [(false, base), (true, head)] {
        for run in side.iter() {
            for m in &run.snapshot.metrics {
                let a = acc.entry(m.id.as_str()).or_insert_with(|| {
                    order.push(m.id.as_str());
                    Acc {
                        unit: &m.unit,
                        better: m.better,
                        tags: &m.tags,
                        base: Vec::with_capacity(1),
                        head: Vec::with_capacity(1),
                        problem: None,
                        head_unit: None,
                    }
                });
                if is_head && m.unit != a.unit && a.head_unit.is_none() {
                    a.head_unit = Some(&m.unit);
                }
                if m.unit != a.unit && a.problem.is_none() {
                    a.problem = Some(format!(
                        "measured in `{}` in {} but in `{}` elsewhere: units differ, so the values are not compared",
                        m.unit, run.id, a.unit
                    ));
                }
                if is_head {
                    a.head.push(m);
                } else {
                    a.base.push(m);
                }
            }
        }
    }
    let accs: Vec<(&str, Acc<'a>)> = order
        .into_iter()
        .filter_map(|id| acc.remove(id).map(|a| (id, a)))
        .collect();
    // Each run's statistics (a sort and a few quantiles of its samples) in parallel.
    let mut out: Vec<MetricInput<'a>> = accs
        .into_par_iter()
        .map_init(Scratch::default, |scratch, (id, a)| {
            let runs =
                |ms: &[&'a Metric], scratch: &mut Scratch| -> (Vec<RunStats<'a>>, u64, bool) {
                    let mut stats = Vec::with_capacity(ms.len());
                    let (mut samples, mut summaries) = (0, false);
                    for m in ms {
                        let r = RunStats::of(m, scratch);
                        if r.median_value().is_none() {
                            continue;
                        }
                        summaries |= m.summary.is_some() && m.samples.is_empty();
                        samples += m.sample_count();
                        stats.push(r);
                    }
                    (stats, samples, summaries)
                };
            let (rb, base_samples, sb) = runs(&a.base, scratch);
            let (rh, head_samples, sh) = runs(&a.head, scratch);
            // Every sample of every run the same value, on each side: a size, a count.
            let constant = |ms: &[&Metric], n: u64| {
                let mut values = ms.iter().flat_map(|m| m.samples.iter());
                match values.next() {
                    Some(first) => n >= 2 && values.all(|v| v == first),
                    None => false,
                }
            };
            let deterministic =
                !(sb || sh) && constant(&a.base, base_samples) && constant(&a.head, head_samples);
            // Snapshots of older versions may still hold Google Benchmark's CPU time apart.
            let kind = if id.ends_with(":cpu_time") {
                " (CPU time)"
            } else {
                ""
            };
            MetricInput {
                id: id.to_string(),
                unit: a.unit.to_string(),
                better: a.better,
                tags: a.tags.to_vec(),
                group: format!("{}{kind}", group_name(a.unit)),
                base: rb,
                head: rh,
                base_samples,
                head_samples,
                deterministic,
                threshold: threshold_of(id),
                problem: a.problem,
                head_unit: a.head_unit.map(str::to_string),
            }
        })
        .collect();
    if mc.test_durations {
        // Each test's runs (two sides of up to hundreds of runs each) in parallel, kept in
        // test order.
        let durations = comparisons
            .par_iter()
            .map_init(Scratch::default, |scratch, c| {
                if c.change != Change::Passing
                    || c.base.passed != c.base.runs
                    || c.head.passed != c.head.runs
                {
                    return None;
                }
                let durations = |obs: &[crate::align::Observation<'a>]| -> Option<Vec<&'a f64>> {
                    obs.iter().map(|o| o.duration_s.as_ref()).collect()
                };
                let (Some(b), Some(h)) = (durations(c.base_obs), durations(c.head_obs)) else {
                    return None;
                };
                if b.iter().chain(&h).any(|d| **d < mc.duration_min_s) {
                    return None;
                }
                let id = format!("duration: {}", c.id);
                let mut runs = |d: &[&'a f64]| -> Vec<RunStats<'a>> {
                    d.iter().map(|&x| RunStats::single(x, scratch)).collect()
                };
                let (rb, rh) = (runs(&b), runs(&h));
                Some(MetricInput {
                    threshold: threshold_of(&id).max(mc.duration_threshold),
                    id,
                    unit: "s".into(),
                    better: Better::Lower,
                    tags: Vec::new(),
                    group: "test duration (s)".into(),
                    base_samples: b.len() as u64,
                    head_samples: h.len() as u64,
                    base: rb,
                    head: rh,
                    deterministic: false,
                    problem: None,
                    head_unit: None,
                })
            });
        out.par_extend(durations.flatten());
    }
    out
}

/// The name of a group of comparable metrics: a kind of figure and its unit.
fn group_name(unit: &str) -> String {
    match unit {
        "s" => "time (s)".to_string(),
        "B" => "size (B)".to_string(),
        "B/s" => "throughput (B/s)".to_string(),
        u if u.starts_with("s/") => format!("time ({u})"),
        u if u.starts_with("B/") => format!("size ({u})"),
        u => format!("unit {u}"),
    }
}

/// A glob set of `patterns` (validated when the configuration was read).
pub fn globs(patterns: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        // Validated when the configuration was read.
        if let Ok(g) = Glob::new(p) {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A test's duration held compactly gives the figures a one-sample lower-is-better
    /// metric gives through the whole path.
    fn same_as_whole(x: f64) {
        let m = Metric::new("d", "s", Better::Lower, vec![x]);
        let mut buf = Scratch::default();
        let whole = RunStats::of(&m, &mut buf);
        let single = RunStats::single(&m.samples[0], &mut buf);
        assert!(whole.full.is_some());
        assert_eq!(single.full.is_none(), x > 0.0 && x.is_finite(), "{x}");
        assert_eq!(single.samples(), whole.samples());
        // Bit for bit (NaN included).
        let bits = |v: Option<f64>| v.map(f64::to_bits);
        assert_eq!(
            bits(single.median_value()),
            bits(whole.median_value()),
            "{x}"
        );
        for s in Stat::ALL {
            assert_eq!(bits(single.value(s)), bits(whole.value(s)), "{x} {s:?}");
            assert_eq!(single.se(s), whole.se(s), "{x} {s:?}");
        }
        assert_eq!(single.cpu_raw(), whole.cpu_raw());
        assert_eq!(single.sign(), whole.sign());
        // A duration is always the run's sample; `of` keeps no samples when one is ≤ 0.
        assert_eq!(single.raw.len(), 1);
        assert_eq!(single.raw[0].to_bits(), x.to_bits());
        if x > 0.0 || x.is_nan() {
            let logs = |r: &RunStats<'_>| {
                let l = r.sorted_logs(false);
                l.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            };
            assert_eq!(logs(&single), logs(&whole));
        }
        if x > 0.0 {
            assert_eq!(single, whole);
        }
    }

    #[test]
    fn a_single_duration_at_the_edges() {
        for x in [
            0.0,
            -0.0,
            -1.0,
            f64::MIN_POSITIVE,
            5e-324,
            1e-9,
            1.0,
            3.717,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            same_as_whole(x);
        }
    }

    proptest! {
        #[test]
        fn a_single_duration_is_its_whole_run(x in proptest::num::f64::ANY) {
            same_as_whole(x);
        }
    }

    #[test]
    fn a_single_duration_is_small() {
        assert!(std::mem::size_of::<RunStats<'_>>() <= 32);
    }
}
