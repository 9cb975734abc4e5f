//! Named behaviours of an entity: rules over its features, checked in a fixed precedence.
//!
//! Owns [`Behaviour`] and [`classify`]. A rule compares an entity's raw feature values with fixed
//! floors (so a quiet network does not turn its busiest host into an attacker) and with the
//! population's medians (so a busy network does not turn everyone into one). The first rule that
//! matches names the entity; a rule whose inputs the schema lacks never matches. This file does
//! not score: the isolation forest decides what is anomalous, these rules only say what it looks
//! like. Precedence, most specific first:
//!
//! 1. **port scan** — at least 20 distinct destination ports and 5× the median; with an action
//!    column at least half rejected, without one a new port in at least every other session.
//! 2. **host sweep** — at least 20 distinct destination addresses and 5× the median, on few ports
//!    (at most max(5, a fifth of the addresses): a server's replies go to as many ephemeral ports),
//!    reached quickly (at least one new address per active minute) or mostly refused (at least
//!    half rejected), each address tried at most twice on average: a server that calls thousands
//!    of storage addresses over and over is not sweeping.
//! 3. **brute force** — at least 20 sessions to remote-login/database ports, at least half of all
//!    sessions to them, at least 5× the median session count, and (when durations are known) at
//!    least half of the sessions short (≤ 60 s) with a median of at most 10 s: a login guess is
//!    over in seconds, an app server's database calls over a day are not guessing.
//! 4. **exfiltration** — a large one-way transfer to few addresses: the larger byte total at least
//!    1 MB and 10× its median, the larger direction at least 10× the other, at most 3 destinations
//!    (when destinations are known).
//! 5. **beaconing** — at least 10 sessions over at least 10 minutes whose inter-arrival times vary
//!    by at most 10 % (coefficient of variation ≤ 0.1).
//! 6. **DDoS source** — at least 60 sessions per active minute, 20× the median, and at least 100
//!    sessions.

use super::features::{EntityFeature as F, EntityFeatures};
use serde::Serialize;
use std::fmt;

/// What an entity's traffic looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    PortScan,
    HostSweep,
    BruteForce,
    Exfiltration,
    Beaconing,
    DdosSource,
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Behaviour::PortScan => "port scan",
            Behaviour::HostSweep => "host sweep",
            Behaviour::BruteForce => "brute force",
            Behaviour::Exfiltration => "exfiltration",
            Behaviour::Beaconing => "beaconing",
            Behaviour::DdosSource => "DDoS source",
        })
    }
}

/// One entity's raw values with the population medians, read by name.
struct View<'a> {
    features: &'a EntityFeatures,
    medians: &'a [f64],
    entity: usize,
}

impl View<'_> {
    /// The entity's value (NaN when the feature is unavailable or undefined).
    fn v(&self, f: F) -> f64 {
        self.features
            .get(f)
            .and_then(|c| c.get(self.entity).copied())
            .unwrap_or(f64::NAN)
    }
    /// The population median (NaN when unavailable).
    fn m(&self, f: F) -> f64 {
        self.features
            .available
            .iter()
            .position(|a| *a == f)
            .and_then(|i| self.medians.get(i).copied())
            .unwrap_or(f64::NAN)
    }
    fn has(&self, f: F) -> bool {
        self.features.get(f).is_some()
    }
    /// At least `floor` and at least `times` × the median (NaN comparisons are false).
    fn high(&self, f: F, floor: f64, times: f64) -> bool {
        let (v, m) = (self.v(f), self.m(f));
        v >= floor && (m.is_nan() || v >= times * m)
    }
}

/// The raw-feature medians over all entities (NaN values skipped), one per available feature.
pub fn medians(features: &EntityFeatures) -> Vec<f64> {
    features
        .values
        .iter()
        .map(|c| {
            let mut v: Vec<f64> = c.iter().copied().filter(|x| !x.is_nan()).collect();
            super::features::median(&mut v)
        })
        .collect()
}

/// A behaviour's test.
type Rule = fn(&View<'_>) -> bool;

/// The behaviour entity `e` matches first, if any (`medians` from [`medians`]).
pub fn classify(features: &EntityFeatures, medians: &[f64], e: usize) -> Option<Behaviour> {
    let x = View {
        features,
        medians,
        entity: e,
    };
    let rules: [(Behaviour, Rule); 6] = [
        (Behaviour::PortScan, port_scan),
        (Behaviour::HostSweep, host_sweep),
        (Behaviour::BruteForce, brute_force),
        (Behaviour::Exfiltration, exfiltration),
        (Behaviour::Beaconing, |x| {
            x.v(F::Sessions) >= 10.0 && x.v(F::ActiveSpan) >= 600.0 && x.v(F::InterarrivalCv) <= 0.1
        }),
        (Behaviour::DdosSource, |x| {
            x.high(F::SessionsPerMinute, 60.0, 20.0) && x.v(F::Sessions) >= 100.0
        }),
    ];
    rules.into_iter().find(|(_, rule)| rule(&x)).map(|(b, _)| b)
}

fn port_scan(x: &View<'_>) -> bool {
    if !x.high(F::DistinctDstPorts, 20.0, 5.0) {
        return false;
    }
    if x.has(F::ShareRejected) {
        x.v(F::ShareRejected) >= 0.5
    } else {
        x.v(F::DistinctDstPorts) >= 0.5 * x.v(F::Sessions)
    }
}

/// Many destinations on few ports. A server's replies also reach many addresses, but on as many
/// ephemeral ports, so they are not a sweep.
fn host_sweep(x: &View<'_>) -> bool {
    let dsts = x.v(F::DistinctDstIps);
    let few_ports =
        !x.has(F::DistinctDstPorts) || x.v(F::DistinctDstPorts) <= (0.2 * dsts).max(5.0);
    let minutes = (x.v(F::ActiveSpan) / 60.0).max(1.0);
    let quick = !x.has(F::ActiveSpan) || dsts / minutes >= 1.0;
    let refused = x.has(F::ShareRejected) && x.v(F::ShareRejected) >= 0.5;
    let once_each = !x.has(F::Sessions) || x.v(F::Sessions) <= 2.0 * dsts;
    x.high(F::DistinctDstIps, 20.0, 5.0) && few_ports && once_each && (quick || refused)
}

fn brute_force(x: &View<'_>) -> bool {
    let sessions = x.v(F::Sessions);
    let share = x.v(F::ShareSensitivePorts);
    let short_enough = !x.has(F::ShareShort) || x.v(F::ShareShort) >= 0.5;
    let fast = !x.has(F::MedianDuration) || x.v(F::MedianDuration) <= 10.0;
    share * sessions >= 20.0
        && share >= 0.5
        && x.high(F::Sessions, 20.0, 5.0)
        && short_enough
        && fast
}

fn exfiltration(x: &View<'_>) -> bool {
    // Flow logs count only the bytes a flow sent: no reverse column means nothing came back in it.
    let i = x.v(F::BytesInTotal);
    let o = if x.has(F::BytesOutTotal) {
        x.v(F::BytesOutTotal)
    } else {
        0.0
    };
    if i.is_nan() || o.is_nan() {
        return false;
    }
    let (big, small, f) = if i >= o {
        (i, o, F::BytesInTotal)
    } else {
        (o, i, F::BytesOutTotal)
    };
    let few_destinations = !x.has(F::DistinctDstIps) || x.v(F::DistinctDstIps) <= 3.0;
    x.high(f, 1e6, 10.0) && big >= 10.0 * (small + 1.0) && few_destinations
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn table(rows: &[(F, Vec<f64>)]) -> EntityFeatures {
        EntityFeatures {
            available: rows.iter().map(|r| r.0).collect(),
            values: rows.iter().map(|r| r.1.clone()).collect(),
        }
    }

    #[test]
    fn steady_database_calls_are_no_brute_force_but_quick_login_attempts_are() {
        // 0–3: ordinary. 4: 1900 sessions of about 30 s, half to 5432, all day.
        // 5: 400 sessions of 2 s to 22.
        let t = table(&[
            (F::Sessions, vec![1.0, 2.0, 1.0, 3.0, 1900.0, 400.0]),
            (F::ShareSensitivePorts, vec![0.0, 0.0, 0.0, 0.0, 0.5, 1.0]),
            (F::ShareShort, vec![1.0; 6]),
            (F::MedianDuration, vec![30.0, 20.0, 40.0, 30.0, 29.0, 2.0]),
        ]);
        let m = medians(&t);
        let names: Vec<Option<Behaviour>> = (0..6).map(|e| classify(&t, &m, e)).collect();
        let brute = Some(Behaviour::BruteForce);
        assert_eq!(names, vec![None, None, None, None, None, brute]);
    }

    #[test]
    fn many_destinations_over_a_day_are_no_sweep_but_quick_or_refused_ones_are() {
        // 0–3: ordinary. 4: 470 addresses over a day (an app server calling storage).
        // 5: 254 addresses in 4 minutes. 6: 300 addresses over a day, 90% refused.
        let t = table(&[
            (F::Sessions, vec![1.0, 2.0, 1.0, 3.0, 1900.0, 254.0, 300.0]),
            (F::DistinctDstPorts, vec![1.0; 7]),
            (
                F::DistinctDstIps,
                vec![1.0, 1.0, 1.0, 2.0, 470.0, 254.0, 300.0],
            ),
            (F::ShareRejected, vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.9]),
            (
                F::ActiveSpan,
                vec![0.0, 30.0, 0.0, 90.0, 86_000.0, 240.0, 86_000.0],
            ),
        ]);
        let m = medians(&t);
        let names: Vec<Option<Behaviour>> = (0..7).map(|e| classify(&t, &m, e)).collect();
        let sweep = Some(Behaviour::HostSweep);
        assert_eq!(names, vec![None, None, None, None, None, sweep, sweep]);
    }

    #[test]
    fn rules_follow_their_precedence() {
        // Entity 0: ordinary. 1: scans ports (mostly rejected). 2: brute force on 22.
        // 3: exfiltration. 4: many ports but all accepted and few: nothing.
        let t = table(&[
            (F::Sessions, vec![10.0, 900.0, 400.0, 12.0, 30.0]),
            (F::DistinctDstPorts, vec![2.0, 880.0, 1.0, 1.0, 25.0]),
            (F::DistinctDstIps, vec![1.0, 1.0, 1.0, 1.0, 1.0]),
            (F::ShareRejected, vec![0.0, 0.95, 0.1, 0.0, 0.0]),
            (F::BytesInTotal, vec![1e4, 5e4, 4e5, 9e8, 1e4]),
            (F::BytesOutTotal, vec![2e4, 1e4, 4e5, 1e4, 2e4]),
            (F::ShareShort, vec![0.0, 1.0, 0.9, 0.0, 0.0]),
            (F::ShareSensitivePorts, vec![0.0, 0.01, 1.0, 0.0, 0.0]),
        ]);
        let m = medians(&t);
        let names: Vec<Option<Behaviour>> = (0..5).map(|e| classify(&t, &m, e)).collect();
        assert_eq!(
            names,
            vec![
                None,
                Some(Behaviour::PortScan),
                Some(Behaviour::BruteForce),
                Some(Behaviour::Exfiltration),
                None
            ]
        );
    }

    #[test]
    fn without_an_action_column_a_scan_is_a_new_port_per_session() {
        let t = table(&[
            (F::Sessions, vec![10.0, 30.0, 400.0, 8.0, 9.0, 7.0]),
            (F::DistinctDstPorts, vec![1.0, 30.0, 40.0, 1.0, 2.0, 1.0]),
        ]);
        let m = medians(&t);
        assert_eq!(classify(&t, &m, 1), Some(Behaviour::PortScan));
        assert_eq!(
            classify(&t, &m, 2),
            None,
            "40 ports over 400 sessions is a busy client"
        );
    }

    #[test]
    fn missing_inputs_never_match() {
        let t = table(&[(F::Sessions, vec![1.0, 1000.0])]);
        let m = medians(&t);
        assert_eq!(classify(&t, &m, 1), None);
    }

    #[test]
    fn regular_sessions_are_beaconing() {
        let t = table(&[
            (F::Sessions, vec![50.0, 50.0]),
            (F::ActiveSpan, vec![3000.0, 3000.0]),
            (F::InterarrivalCv, vec![0.02, 1.5]),
        ]);
        let m = medians(&t);
        assert_eq!(classify(&t, &m, 0), Some(Behaviour::Beaconing));
        assert_eq!(classify(&t, &m, 1), None);
    }
}
