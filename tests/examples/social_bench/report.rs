//! How figures are printed: milliseconds, medians and percentiles of measured durations, and the machine's
//! load next to each (other work on this machine moves every figure).

use std::time::Duration;

/// The 1-, 5- and 15-minute load averages, as `uptime` shows them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

pub fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1e3)
}

pub fn median(durations: &mut [Duration]) -> Duration {
    percentile(durations, 50.0)
}

/// The `p`-th percentile (nearest rank) of `durations`, which it sorts.
pub fn percentile(durations: &mut [Duration], p: f64) -> Duration {
    if durations.is_empty() {
        return Duration::ZERO;
    }
    durations.sort_unstable();
    let rank = ((p / 100.0) * durations.len() as f64).ceil() as usize;
    durations[rank.clamp(1, durations.len()) - 1]
}
