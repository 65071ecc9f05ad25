//! The standard `process_*` series (CPU time, memory, file descriptors, start time) that
//! Prometheus client libraries export, read from `/proc/self` at scrape time. prometheus-client
//! has no process collector, and the ones on crates.io pull in a C binding for what four small
//! files say.
//!
//! Linux only: elsewhere, and when `/proc` cannot be read, the series are left out rather than
//! reported as zero. Never writes; never fails a scrape.

use std::path::Path;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Clock ticks per second in `/proc/<pid>/stat`: the kernel's `USER_HZ`, 100 on every Linux
/// architecture's ABI (`sysconf(_SC_CLK_TCK)` answers the same).
const TICKS_PER_SECOND: f64 = 100.0;

/// What `/proc` says about one process.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Process {
    cpu_seconds: f64,
    start_time_seconds: f64,
    virtual_memory_bytes: u64,
    resident_memory_bytes: u64,
    open_fds: u64,
    max_fds: Option<u64>,
}

impl Process {
    /// This process, or `None` where `/proc/self` is not Linux's.
    fn read(proc: &Path) -> Option<Self> {
        let stat = std::fs::read_to_string(proc.join("self/stat")).ok()?;
        let status = std::fs::read_to_string(proc.join("self/status")).ok()?;
        let boot = std::fs::read_to_string(proc.join("stat")).ok()?;
        let open_fds = std::fs::read_dir(proc.join("self/fd")).ok()?.count();
        let limits = std::fs::read_to_string(proc.join("self/limits")).unwrap_or_default();
        Self::parse(&stat, &status, &boot, open_fds, &limits)
    }

    /// Parses `/proc/self/stat`, `/proc/self/status`, `/proc/stat` and `/proc/self/limits`.
    fn parse(stat: &str, status: &str, boot: &str, open_fds: usize, limits: &str) -> Option<Self> {
        // The command name, in parentheses, may hold spaces and parentheses itself: the fields
        // start after the last `)`. Field 3 (state) is the first one after it.
        let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
        let ticks = field(14)? + field(15)?;
        let started_after_boot = field(22)?;
        let boot_time = boot
            .lines()
            .find_map(|line| line.strip_prefix("btime "))?
            .trim()
            .parse::<u64>()
            .ok()?;
        let resident_kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()?;
        let max_fds = limits
            .lines()
            .find_map(|line| line.strip_prefix("Max open files"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok());
        #[allow(clippy::cast_precision_loss)] // Seconds of CPU and uptime fit an f64's mantissa.
        Some(Self {
            cpu_seconds: ticks as f64 / TICKS_PER_SECOND,
            start_time_seconds: boot_time as f64 + started_after_boot as f64 / TICKS_PER_SECOND,
            virtual_memory_bytes: field(23)?,
            resident_memory_bytes: resident_kib * 1024,
            open_fds: u64::try_from(open_fds).ok()?,
            max_fds,
        })
    }
}

/// Reads `/proc/self` at each scrape.
#[derive(Debug)]
pub(super) struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(process) = Process::read(Path::new("/proc")) else {
            return Ok(());
        };
        let cpu = ConstCounter::new(process.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            None,
            cpu.metric_type(),
        )?)?;
        let gauges = [
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                process.start_time_seconds,
            ),
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                to_f64(process.resident_memory_bytes),
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                to_f64(process.virtual_memory_bytes),
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                to_f64(process.open_fds),
            ),
        ];
        let max = process.max_fds.map(|max| {
            (
                "process_max_fds",
                "Maximum number of open file descriptors.",
                to_f64(max),
            )
        });
        for (name, help, value) in gauges.into_iter().chain(max) {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

#[allow(clippy::cast_precision_loss)] // Byte and descriptor counts stay far below 2^53.
fn to_f64(n: u64) -> f64 {
    n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_and_survives_a_command_name_with_parentheses() {
        let stat = "4242 (key (share) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 12000 123456789 2500 18446744073709551615";
        let status = "Name:\tkeyshare\nVmRSS:\t   10240 kB\nThreads:\t9\n";
        let boot = "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n";
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 524288               files     \n";
        let process = Process::parse(stat, status, boot, 12, limits).unwrap();
        assert_eq!(
            process,
            Process {
                cpu_seconds: 3.0,
                start_time_seconds: 1_700_000_120.0,
                virtual_memory_bytes: 123_456_789,
                resident_memory_bytes: 10_485_760,
                open_fds: 12,
                max_fds: Some(1024),
            }
        );
        assert_eq!(Process::parse("garbage", status, boot, 1, limits), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_this_process() {
        let process = Process::read(Path::new("/proc")).expect("Linux has /proc/self");
        assert!(process.resident_memory_bytes > 0 && process.open_fds > 0);
        assert!(process.start_time_seconds > 1_600_000_000.0);
    }
}
