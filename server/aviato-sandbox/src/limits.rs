//! Resource limits of one run.

use std::time::Duration;

/// What one run may use. Every limit is enforced by the backend, not by the user's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time, from start to the last process of the sandbox.
    pub timeout: Duration,
    /// CPU time of each process (`RLIMIT_CPU`), in seconds.
    pub cpu_seconds: u64,
    /// CPU bandwidth of the whole sandbox (its cgroup), in thousandths of a CPU.
    pub cpu_millis: u64,
    /// Memory of the whole sandbox, swap and tmpfs files included (its cgroup), and
    /// the address space of each process (`RLIMIT_AS`), in bytes.
    pub memory_bytes: u64,
    /// Processes and threads of the whole sandbox (its cgroup); without a cgroup,
    /// those of the sandbox's user (`RLIMIT_NPROC`).
    pub processes: u64,
    /// Size of any one file written (`RLIMIT_FSIZE`), in bytes.
    pub file_size_bytes: u64,
    /// Size of each private tmpfs (`/tmp`, `temp_dir`, `/dev/shm`), in bytes.
    pub tmpfs_bytes: u64,
    /// Files, directories and links of each private tmpfs of a run (`/tmp`,
    /// `temp_dir`, `/dev/shm`).
    pub tmpfs_inodes: u64,
    /// What is kept of stdout, and of stderr; the rest is read and dropped.
    pub output_bytes: usize,
}

const MIB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            cpu_seconds: 60,
            cpu_millis: 1000,
            memory_bytes: 2048 * MIB,
            processes: 256,
            file_size_bytes: 64 * MIB,
            tmpfs_bytes: 256 * MIB,
            tmpfs_inodes: 131_072,
            output_bytes: MIB as usize,
        }
    }
}
