package dev.cloche.linux.oci;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * The seccomp profiles of Cloche's containers, kept as data. Source: Guardian's default profile of unprivileged
 * containers ({@code guardiancmd/seccomp_linux.go} in cloudfoundry/guardian, as of 2025): an allow-list in filter
 * mode whose default action is {@code SCMP_ACT_ERRNO} without an errno, so any syscall it does not name fails with
 * EPERM. Guardian gives privileged containers no seccomp filter at all (they run as real root with every capability,
 * where a filter would be no boundary), and so does Cloche. docs/security.md explains every entry that is not a plain
 * allow.
 */
public final class SeccompProfiles {
    private SeccompProfiles() {}

    /** The architectures the filter is built for: a 64-bit process cannot dodge it through the 32-bit ABIs. */
    static final List<String> ARCHITECTURES = List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");

    /** Syscalls allowed with any arguments (names of x86_64 and of 32-bit x86 alike), Guardian's list in its order. */
    static final List<String> ALLOWED = words("""
            accept accept4 access alarm bind brk capget capset chdir chmod chown chown32 clock_getres clock_gettime
            clock_nanosleep close connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl
            epoll_ctl_old epoll_pwait epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit exit_group
            faccessat fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat
            fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64
            fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futimesat getcpu getcwd getdents getdents64 getegid
            getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
            getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list
            getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr
            inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents
            ioprio_get ioprio_set io_setup io_submit ipc kill lchown lchown32 lgetxattr link linkat listen listxattr
            llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise memfd_create mincore mkdir mkdirat
            mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
            mq_timedsend mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap nanosleep
            newfstatat _newselect open openat openat2 pause pipe pipe2 poll ppoll prctl pread64 preadv preadv2
            prlimit64 pselect6 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom
            recvmmsg recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rt_sigaction
            rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo
            sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
            sched_getscheduler sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam sched_setscheduler
            sched_yield seccomp select semctl semget semop semtimedop send sendfile sendfile64 sendmmsg sendmsg sendto
            setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid
            setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit
            set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl
            shmdt shmget shutdown sigaltstack signalfd signalfd4 sigreturn socket socketcall socketpair splice stat
            stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo syslog tee tgkill time
            timer_create timer_delete timerfd_create timerfd_gettime timerfd_settime timer_getoverrun timer_gettime
            timer_settime times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat
            utimes vfork vmsplice wait4 waitid waitpid write writev arch_prctl modify_ldt chroot ptrace
            """);

    /** personality(2) only for these personas: PER_LINUX, PER_LINUX32 and the query 0xffffffff. */
    static final List<Long> PERSONALITIES = List.of(0L, 8L, 0xffffffffL);

    /**
     * clone(2) only without a namespace flag: (flags & mask) == 0, mask = NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
     * (0x7c020000). So a process can fork and make threads, but not new namespaces.
     */
    static final long CLONE_NAMESPACE_FLAGS = 0x7c020000L;

    /** clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to the checked clone. */
    static final long ENOSYS = 38;

    private static final String ALLOW = "SCMP_ACT_ALLOW";

    /** Guardian's default profile: what every unprivileged container, its init and each of its processes run under. */
    public static Seccomp unprivileged() {
        List<Seccomp.Rule> rules = new ArrayList<>();
        for (String name : ALLOWED) rules.add(allow(name));
        for (long persona : PERSONALITIES) {
            rules.add(new Seccomp.Rule(List.of("personality"), ALLOW, OptionalLong.empty(),
                    List.of(new Seccomp.Arg(0, persona, 0, "SCMP_CMP_EQ"))));
        }
        rules.add(new Seccomp.Rule(List.of("clone"), ALLOW, OptionalLong.empty(),
                List.of(new Seccomp.Arg(0, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ"))));
        rules.add(new Seccomp.Rule(List.of("clone3"), "SCMP_ACT_ERRNO", OptionalLong.of(ENOSYS), List.of()));
        return new Seccomp("SCMP_ACT_ERRNO", ARCHITECTURES, rules);
    }

    private static Seccomp.Rule allow(String name) {
        return new Seccomp.Rule(List.of(name), ALLOW, OptionalLong.empty(), List.of());
    }

    private static List<String> words(String text) {
        return Arrays.stream(text.strip().split("\\s+")).toList();
    }
}
