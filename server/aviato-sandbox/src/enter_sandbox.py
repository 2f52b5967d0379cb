# The start of every program in a local sandbox, the runner or a command: put in
# front of its source, run before it, and invisible to it.
#
# argv: processes (or -1, when the sandbox's cgroup counts them), uid to switch to (or -1), the number of writable directories,
# those directories, then the program's own arguments, which are all it sees.
#
# Kept compatible with Python 3.8, and running under -I -S as well.


def _enter_sandbox():
    import os
    import resource
    import sys

    # The watcher below kills every process it can see: only ever in a pid
    # namespace of the sandbox's own, whose first program bubblewrap starts as pid 2.
    if os.getpid() != 2:
        raise SystemExit("the sandbox entry runs only as the first program of its "
                         "own pid namespace")
    processes, uid, count = (int(arg) for arg in sys.argv[1:4])
    writable_dirs = sys.argv[4:4 + count]
    del sys.argv[1:4 + count]

    # A watcher stays behind, blocked on the result channel (descriptor 3), whose
    # other end only the host holds. If the host dies, even while bubblewrap is still
    # setting up (before its own parent-death signal is armed), the read returns and
    # the watcher kills everything in the sandbox. When the program ends, the end of
    # the pid namespace ends the watcher. It is not the program's child, so that a
    # program reaping all its children does not wait for it. Under a root host it
    # stays root, with the sandbox's few capabilities (to kill, to switch account):
    # out of the program's reach, and outside the process limit, which the `nobody`
    # processes of all sandboxes share.
    middle = os.fork()
    if middle == 0:
        status = 1
        try:
            if os.fork() == 0:
                try:
                    os.read(3, 1)
                finally:
                    os.kill(-1, 9)
            status = 0
        finally:
            os._exit(status)
    if os.waitpid(middle, 0)[1] != 0:
        raise OSError("cannot start the watcher of the sandbox")

    # The process limit is set here, inside the sandbox, and not on the host before
    # bubblewrap starts: a limit inherited by bubblewrap would also cap the host
    # user's own processes, which the kernel counts against the new user namespace.
    if processes >= 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    # Under a root host, the sandbox account, which ends every capability; the
    # private tmpfs mounts are root's until they are opened to everyone (mode 1777,
    # like /tmp).
    if uid >= 0:
        for path in writable_dirs:
            os.chmod(path, 0o1777)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)

_enter_sandbox()
del _enter_sandbox
