//! A control group per sandbox, so that the kernel bounds the memory (swap
//! included), the processes and the CPU of all its processes together, however many
//! there are. Both layouts are served: cgroup v1 (a hierarchy per controller) and v2
//! (one hierarchy), whichever holds each controller on this machine.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::Limits;

/// The controllers a sandbox needs: what each bounds.
const CONTROLLERS: [&str; 3] = ["memory", "pids", "cpu"];

/// Processes of the sandbox's own machinery (bubblewrap, its init in the sandbox,
/// the watcher) counted in `pids.max` on top of the caller's limit, which counts the
/// program and all it starts.
const MACHINERY_PROCESSES: u64 = 3;

/// The CPU bandwidth period, in microseconds.
const CPU_PERIOD_US: u64 = 100_000;

/// Every sandbox's cgroup is named after this, the server's pid and a counter, so
/// that a leftover of a process that died can be told apart.
const PREFIX: &str = "aviato-";

/// How long the processes of a cgroup being removed may take to go.
const REMOVE_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    V1,
    V2,
}

/// Where the sandboxes' cgroups are made: one parent per hierarchy.
#[derive(Debug)]
struct Support {
    /// (layout, parent directory, the controllers it holds).
    parents: Vec<(Layout, PathBuf, Vec<&'static str>)>,
}

/// Which limits the kernel enforces per sandbox, or why it cannot, asked once.
fn support() -> &'static Result<Support, String> {
    static SUPPORT: OnceLock<Result<Support, String>> = OnceLock::new();
    SUPPORT.get_or_init(|| {
        let mounts = std::fs::read_to_string("/proc/self/mounts")
            .map_err(|err| format!("cannot read /proc/self/mounts: {err}"))?;
        let own = std::fs::read_to_string("/proc/self/cgroup")
            .map_err(|err| format!("cannot read /proc/self/cgroup: {err}"))?;
        let support = detect(&mounts, &own)?;
        for (_, parent, _) in &support.parents {
            clear_leftovers(parent);
        }
        Ok(support)
    })
}

/// The parents of the sandboxes' cgroups, from `/proc/self/mounts` and
/// `/proc/self/cgroup`: each controller where it is mounted, below this process's
/// own cgroup in that hierarchy.
fn detect(mounts: &str, own: &str) -> Result<Support, String> {
    let own_path = |wanted: Option<&str>| {
        own.lines().find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            let matches = match wanted {
                None => controllers.is_empty(),
                Some(name) => controllers.split(',').any(|c| c == name),
            };
            matches.then(|| path.trim_start_matches('/').to_owned())
        })
    };
    let mut parents: Vec<(Layout, PathBuf, Vec<&'static str>)> = Vec::new();
    let mut missing = Vec::new();
    for controller in CONTROLLERS {
        let v1 = mounts.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            (fields.len() > 3
                && fields[2] == "cgroup"
                && fields[3].split(',').any(|option| option == controller))
            .then(|| PathBuf::from(fields[1]))
        });
        let v2 = mounts.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            (fields.len() > 2 && fields[2] == "cgroup2").then(|| PathBuf::from(fields[1]))
        });
        let found = match (v1, v2) {
            (Some(mount), _) => own_path(Some(controller)).map(|own| (Layout::V1, mount.join(own))),
            (None, Some(mount)) => own_path(None)
                .map(|own| mount.join(own))
                .filter(|dir| enable_v2(dir, controller))
                .map(|dir| (Layout::V2, dir)),
            (None, None) => None,
        };
        match found {
            Some((layout, dir)) => match parents.iter_mut().find(|(_, d, _)| *d == dir) {
                Some((_, _, names)) => names.push(controller),
                None => parents.push((layout, dir, vec![controller])),
            },
            None => missing.push(controller),
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "no cgroup {} controller this process may use",
            missing.join(", ")
        ));
    }
    for (_, dir, _) in &parents {
        let probe = dir.join(format!("{PREFIX}probe-{}", std::process::id()));
        std::fs::create_dir(&probe)
            .and_then(|()| std::fs::remove_dir(&probe))
            .map_err(|err| format!("cannot make a cgroup in {}: {err}", dir.display()))?;
    }
    Ok(Support { parents })
}

/// Whether `controller` is, or can be made, available to the children of the v2
/// cgroup `dir` (not when `dir` holds processes itself, other than the root).
fn enable_v2(dir: &Path, controller: &str) -> bool {
    let listed = |file: &str| {
        std::fs::read_to_string(dir.join(file))
            .is_ok_and(|names| names.split_whitespace().any(|name| name == controller))
    };
    listed("cgroup.subtree_control")
        || (listed("cgroup.controllers")
            && std::fs::write(dir.join("cgroup.subtree_control"), format!("+{controller}")).is_ok())
}

/// Empty cgroups of sandboxes whose server is gone (it was killed before it could
/// remove them).
fn clear_leftovers(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// The cgroups of sandboxes that process `pid` made and has not removed yet.
pub fn cgroups_left_by(pid: u32) -> Vec<PathBuf> {
    let Ok(support) = support() else {
        return Vec::new();
    };
    let prefix = format!("{PREFIX}{pid}-");
    support
        .parents
        .iter()
        .filter_map(|(_, parent, _)| std::fs::read_dir(parent).ok())
        .flat_map(|entries| entries.flatten())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
        .map(|entry| entry.path())
        .collect()
}

/// Whether the kernel can bound every sandbox's memory, processes and CPU here, or
/// why not.
pub fn cgroup_support() -> Result<(), String> {
    support().as_ref().map(|_| ()).map_err(Clone::clone)
}

/// One sandbox's cgroup: every process started with [`Cgroup::join_paths`] in the
/// pre-exec step belongs to it, and so do their descendants. Removed (its processes
/// killed first) by [`Cgroup::remove`], or when dropped.
#[derive(Debug)]
pub struct Cgroup {
    dirs: Vec<(Layout, PathBuf)>,
    memory: PathBuf,
    removed: AtomicBool,
}

impl Cgroup {
    /// A new cgroup with the memory (swap included), process and CPU bandwidth limits
    /// of `limits`.
    pub fn create(limits: &Limits) -> Result<Cgroup, String> {
        let support = support().as_ref().map_err(Clone::clone)?;
        Cgroup::create_in(support, limits)
    }

    /// The same below the parents `support` names.
    fn create_in(support: &Support, limits: &Limits) -> Result<Cgroup, String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut cgroup = Cgroup {
            dirs: Vec::new(),
            memory: PathBuf::new(),
            removed: AtomicBool::new(false),
        };
        for (layout, parent, controllers) in &support.parents {
            let dir = parent.join(&name);
            std::fs::create_dir(&dir)
                .map_err(|err| format!("cannot make the cgroup {}: {err}", dir.display()))?;
            cgroup.dirs.push((*layout, dir.clone()));
            for controller in controllers {
                if *controller == "memory" {
                    cgroup.memory = dir.clone();
                }
                set_limit(*layout, &dir, controller, limits)?;
            }
        }
        Ok(cgroup)
    }

    /// The `cgroup.procs` files a new process writes `0` to, to join.
    pub(crate) fn join_paths(&self) -> Vec<CString> {
        self.dirs
            .iter()
            .map(|(_, dir)| {
                CString::new(dir.join("cgroup.procs").as_os_str().as_bytes())
                    .expect("a cgroup path has no NUL byte")
            })
            .collect()
    }

    /// How many times the kernel has killed a process of this cgroup for memory.
    pub(crate) fn oom_kills(&self) -> u64 {
        ["memory.events", "memory.oom_control"]
            .iter()
            .filter_map(|file| std::fs::read_to_string(self.memory.join(file)).ok())
            .flat_map(|text| {
                text.lines()
                    .filter_map(|line| line.strip_prefix("oom_kill "))
                    .filter_map(|count| count.trim().parse::<u64>().ok())
                    .collect::<Vec<_>>()
            })
            .next()
            .unwrap_or(0)
    }

    /// Kills every process in it, once. Blocks only for the reading.
    pub(crate) fn kill_all(&self) -> usize {
        for (layout, dir) in &self.dirs {
            if *layout == Layout::V2 && std::fs::write(dir.join("cgroup.kill"), "1").is_ok() {
                return 0;
            }
        }
        let Some((_, dir)) = self.dirs.first() else {
            return 0;
        };
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        let pids: Vec<libc::pid_t> = procs.lines().filter_map(|l| l.parse().ok()).collect();
        for &pid in &pids {
            // SAFETY: kill has no memory effects; the pid is in this sandbox's cgroup.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        pids.len()
    }

    /// Kills its processes, waits for them to go, and removes it. Blocks.
    pub fn remove(&self) -> Result<(), String> {
        self.removed.store(true, Ordering::Relaxed);
        remove_dirs(self, Instant::now() + REMOVE_WAIT)
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        if self.removed.load(Ordering::Relaxed) {
            return;
        }
        // Not removed by its owner (a run dropped mid-way): on a thread of its own,
        // since its processes may take a moment to go.
        let cgroup = Cgroup {
            dirs: std::mem::take(&mut self.dirs),
            memory: std::mem::take(&mut self.memory),
            removed: AtomicBool::new(true),
        };
        std::thread::spawn(move || remove_dirs(&cgroup, Instant::now() + REMOVE_WAIT));
    }
}

fn remove_dirs(cgroup: &Cgroup, deadline: Instant) -> Result<(), String> {
    loop {
        cgroup.kill_all();
        let mut left = Vec::new();
        for (_, dir) in &cgroup.dirs {
            match std::fs::remove_dir(dir) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => left.push((dir, err)),
            }
        }
        let Some((dir, err)) = left.first() else {
            return Ok(());
        };
        if Instant::now() >= deadline {
            return Err(format!("cannot remove the cgroup {}: {err}", dir.display()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn set_limit(layout: Layout, dir: &Path, controller: &str, limits: &Limits) -> Result<(), String> {
    let write = |file: &str, value: String| {
        std::fs::write(dir.join(file), &value)
            .map_err(|err| format!("cannot set {file} to {value} in {}: {err}", dir.display()))
    };
    let optional = |file: &str, value: String| {
        if dir.join(file).exists() {
            write(file, value)
        } else {
            Ok(())
        }
    };
    let memory = limits.memory_bytes.to_string();
    let pids = limits
        .processes
        .saturating_add(MACHINERY_PROCESSES)
        .to_string();
    let quota = limits.cpu_millis.saturating_mul(CPU_PERIOD_US) / 1000;
    match (layout, controller) {
        (Layout::V1, "memory") => {
            write("memory.limit_in_bytes", memory.clone())?;
            // Memory and swap together: no more swap than nothing.
            optional("memory.memsw.limit_in_bytes", memory)
        }
        (Layout::V2, "memory") => {
            write("memory.max", memory)?;
            optional("memory.swap.max", "0".to_owned())?;
            // One process over the limit ends all of them.
            optional("memory.oom.group", "1".to_owned())
        }
        (_, "pids") => write("pids.max", pids),
        (Layout::V1, "cpu") => {
            write("cpu.cfs_period_us", CPU_PERIOD_US.to_string())?;
            write("cpu.cfs_quota_us", quota.to_string())
        }
        (Layout::V2, "cpu") => write("cpu.max", format!("{quota} {CPU_PERIOD_US}")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    //! The kernel's cgroup files are plain files to these functions: a directory
    //! tree laid out as a cgroup v1 or v2 mount stands in for the real one, whose
    //! v2 controllers a hybrid host (v1 `memory`, `pids` and `cpu`, an empty v2
    //! hierarchy) cannot give.

    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    /// A fake cgroup2 mount at `root` with this process's cgroup `own` in it,
    /// offering `controllers` to it.
    fn fake_v2(root: &Path, own: &str, controllers: &str) -> (String, String) {
        let dir = root.join(own);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cgroup.controllers"), controllers).unwrap();
        std::fs::write(dir.join("cgroup.subtree_control"), "").unwrap();
        let mounts = format!(
            "tmpfs /run tmpfs rw 0 0\ncgroup2 {} cgroup2 rw,nsdelegate 0 0\n",
            root.display()
        );
        (mounts, format!("0::/{own}\n"))
    }

    #[test]
    fn each_controller_is_found_in_its_own_layout() {
        let mounts = "\
tmpfs /sys/fs/cgroup tmpfs rw 0 0
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,relatime,cpu,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0
";
        let own = "4:memory:/a/b\n2:cpu,cpuacct:/\n0::/\n";
        // pids is in neither: v2 here lists no controllers.
        let err = detect(mounts, own).unwrap_err();
        assert!(err.contains("pids"), "{err}");
    }

    #[test]
    fn v2_controllers_are_handed_to_the_sandboxes_parent() {
        let root = tempfile::tempdir().unwrap();
        let (mounts, own) = fake_v2(root.path(), "svc/server", "cpuset cpu io memory pids");
        let support = detect(&mounts, &own).unwrap();
        let parent = root.path().join("svc/server");
        assert_eq!(
            support.parents,
            [(Layout::V2, parent.clone(), vec!["memory", "pids", "cpu"])]
        );
        // Each controller was asked for in turn (the kernel adds them up; a plain
        // file keeps the last).
        assert_eq!(read(&parent.join("cgroup.subtree_control")), "+cpu");
    }

    #[test]
    fn v2_controllers_already_handed_down_are_not_asked_for_again() {
        let root = tempfile::tempdir().unwrap();
        let (mounts, own) = fake_v2(root.path(), "server", "memory pids cpu");
        let control = root.path().join("server/cgroup.subtree_control");
        std::fs::write(&control, "cpu memory pids\n").unwrap();
        detect(&mounts, &own).unwrap();
        assert_eq!(read(&control), "cpu memory pids\n");
    }

    #[test]
    fn a_v2_controller_the_parent_is_not_offered_fails_closed() {
        let root = tempfile::tempdir().unwrap();
        let (mounts, own) = fake_v2(root.path(), "server", "cpu memory");
        let err = detect(&mounts, &own).unwrap_err();
        assert!(err.contains("no cgroup pids controller"), "{err}");
    }

    #[test]
    fn a_hybrid_host_uses_v1_for_what_v1_holds() {
        let root = tempfile::tempdir().unwrap();
        let v1 = |name: &str| {
            let dir = root.path().join(name);
            std::fs::create_dir_all(dir.join("jobs")).unwrap();
            format!("cgroup {} cgroup rw,{name} 0 0\n", dir.display())
        };
        let unified = root.path().join("unified");
        std::fs::create_dir_all(&unified).unwrap();
        std::fs::write(unified.join("cgroup.controllers"), "hugetlb").unwrap();
        let mounts = format!(
            "{}{}{}cgroup2 {} cgroup2 rw 0 0\n",
            v1("memory"),
            v1("pids"),
            v1("cpu"),
            unified.display()
        );
        let own = "8:pids:/jobs\n4:memory:/jobs\n1:cpu:/jobs\n0::/\n";
        let support = detect(&mounts, own).unwrap();
        let layouts: Vec<(Layout, PathBuf)> = support
            .parents
            .iter()
            .map(|(layout, dir, _)| (*layout, dir.clone()))
            .collect();
        assert_eq!(
            layouts,
            ["memory", "pids", "cpu"].map(|name| (Layout::V1, root.path().join(name).join("jobs")))
        );
    }

    #[test]
    fn a_v2_sandbox_cgroup_gets_its_limits_and_is_joined_watched_killed_and_removed() {
        let root = tempfile::tempdir().unwrap();
        let (mounts, own) = fake_v2(root.path(), "server", "memory pids cpu");
        let support = detect(&mounts, &own).unwrap();
        let limits = Limits {
            memory_bytes: 256 * 1024 * 1024,
            processes: 10,
            cpu_millis: 500,
            ..Limits::default()
        };
        let cgroup = Cgroup::create_in(&support, &limits).unwrap();
        let [(Layout::V2, dir)] = cgroup.dirs.as_slice() else {
            panic!("{:?}", cgroup.dirs);
        };
        let dir = dir.clone();
        assert!(dir.starts_with(root.path().join("server")));
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(&format!("aviato-{}-", std::process::id())));
        assert_eq!(read(&dir.join("memory.max")), "268435456");
        assert_eq!(read(&dir.join("pids.max")), "13");
        assert_eq!(read(&dir.join("cpu.max")), "50000 100000");
        // Nothing written where the kernel offers no file (no swap accounting).
        assert!(!dir.join("memory.swap.max").exists());
        let procs = CString::new(dir.join("cgroup.procs").as_os_str().as_bytes()).unwrap();
        assert_eq!(cgroup.join_paths(), [procs]);

        assert_eq!(cgroup.oom_kills(), 0);
        std::fs::write(
            dir.join("memory.events"),
            "low 0\nhigh 0\nmax 9\noom 3\noom_kill 2\noom_group_kill 1\n",
        )
        .unwrap();
        assert_eq!(cgroup.oom_kills(), 2);

        // v2 kills every process at once through cgroup.kill.
        std::fs::write(dir.join("cgroup.kill"), "").unwrap();
        assert_eq!(cgroup.kill_all(), 0);
        assert_eq!(read(&dir.join("cgroup.kill")), "1");

        // A cgroup that still holds something is not removed, past the deadline.
        let err = remove_dirs(&cgroup, Instant::now()).unwrap_err();
        assert!(err.contains("cannot remove the cgroup"), "{err}");
        assert!(dir.exists());
        // One the kernel has removed already counts as removed.
        std::fs::remove_dir_all(&dir).unwrap();
        cgroup.remove().unwrap();
    }

    #[test]
    fn v2_memory_swap_and_group_kill_are_set_where_the_kernel_offers_them() {
        let dir = tempfile::tempdir().unwrap();
        for file in ["memory.swap.max", "memory.oom.group"] {
            std::fs::write(dir.path().join(file), "max").unwrap();
        }
        let limits = Limits::default();
        set_limit(Layout::V2, dir.path(), "memory", &limits).unwrap();
        assert_eq!(
            read(&dir.path().join("memory.max")),
            limits.memory_bytes.to_string()
        );
        assert_eq!(read(&dir.path().join("memory.swap.max")), "0");
        assert_eq!(read(&dir.path().join("memory.oom.group")), "1");
    }

    #[test]
    fn a_limit_that_cannot_be_written_fails_the_cgroup() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone");
        let err = set_limit(Layout::V2, &missing, "pids", &Limits::default()).unwrap_err();
        assert!(err.contains("cannot set pids.max"), "{err}");
    }

    #[test]
    fn v1_kills_each_process_it_lists() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        std::fs::write(dir.path().join("cgroup.procs"), format!("{}\n", child.id())).unwrap();
        let cgroup = Cgroup {
            dirs: vec![(Layout::V1, dir.path().to_owned())],
            memory: dir.path().to_owned(),
            removed: AtomicBool::new(true),
        };
        assert_eq!(cgroup.kill_all(), 1);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
        std::fs::write(
            dir.path().join("memory.oom_control"),
            "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n",
        )
        .unwrap();
        assert_eq!(cgroup.oom_kills(), 4);
    }
}
