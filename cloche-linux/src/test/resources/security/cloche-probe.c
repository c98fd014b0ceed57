/*
 * cloche-probe: what the security ITs run inside a container to ask the kernel directly (SecurityDefaultsIT).
 * Static, libc only; the test compiles it with gcc -static and bind-mounts it read-only into the container.
 *
 *   cloche-probe syscall NAME...   makes each syscall and prints "NAME ok" or "NAME errno=N"
 *   cloche-probe fds               prints "FD TARGET" for every open fd but the listing's own, then "cwd TARGET"
 *   cloche-probe exe-attack SECS   CVE-2019-5736: for SECS seconds, finds every process whose executable is not one
 *                                  of the container's own (the runtime entering the container) and tries to open
 *                                  that executable for writing through /proc/PID/exe, as the exploit did. It never
 *                                  changes a byte: it writes back the byte it read. Prints one line per process.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void result(const char *name, long r)
{
    if (r < 0)
        printf("%s errno=%d\n", name, errno);
    else
        printf("%s ok\n", name);
}

/* A child made by a raw clone or clone3 returns 0 here: it must leave at once. */
static long reap_child(long r)
{
    if (r == 0)
        _exit(0);
    if (r > 0)
        waitpid((pid_t)r, NULL, 0);
    return r;
}

static int do_syscall(const char *name)
{
    long r;
    if (strcmp(name, "getpid") == 0) {
        r = syscall(SYS_getpid);
    } else if (strcmp(name, "unshare-user") == 0) {
        r = syscall(SYS_unshare, CLONE_NEWUSER);
    } else if (strcmp(name, "keyctl") == 0) {
        r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
    } else if (strcmp(name, "personality-linux") == 0) {
        r = syscall(SYS_personality, PER_LINUX);
    } else if (strcmp(name, "personality-no-randomize") == 0) {
        r = syscall(SYS_personality, PER_LINUX | ADDR_NO_RANDOMIZE);
    } else if (strcmp(name, "clone-fork") == 0) {
        r = reap_child(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
    } else if (strcmp(name, "clone-newuser") == 0) {
        r = reap_child(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
    } else if (strcmp(name, "clone3") == 0) {
        struct clone_args a;
        memset(&a, 0, sizeof a);
        a.exit_signal = SIGCHLD;
        r = reap_child(syscall(SYS_clone3, &a, sizeof a));
    } else if (strcmp(name, "chroot") == 0) {
        r = syscall(SYS_chroot, "/");
    } else {
        fprintf(stderr, "unknown syscall probe %s\n", name);
        return 2;
    }
    result(name, r);
    return 0;
}

static int fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        perror("opendir /proc/self/fd");
        return 1;
    }
    struct dirent *e;
    char link[300], target[4096];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
            continue;
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n < 0 ? 0 : n] = '\0';
        printf("%s %s\n", e->d_name, target);
    }
    closedir(d);
    ssize_t n = readlink("/proc/self/cwd", target, sizeof target - 1);
    target[n < 0 ? 0 : n] = '\0';
    printf("cwd %s\n", target);
    return 0;
}

/* The container's own executables: everything else that runs here came from the host (the runtime). */
static int own_executable(const char *exe)
{
    return strcmp(exe, "/bin/busybox") == 0 || strcmp(exe, "/tmp/garden-init") == 0 ||
           strcmp(exe, "/tmp/busybox-garden") == 0 || strstr(exe, "cloche-probe") != NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Tries the exploit on one process: hold its executable, then reopen it for writing once the runtime let it go. */
static void attack(int pid, const char *comm, const char *exe)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    int held = open(path, O_PATH | O_CLOEXEC);
    if (held < 0) {
        printf("pid=%d comm=%s exe=%s hold errno=%d\n", pid, comm, exe, errno);
        return;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", held);
    int w = -1, err = 0;
    double until = now() + 2;
    do {
        w = open(path, O_WRONLY | O_CLOEXEC);
        err = errno;
        if (w < 0 && err == ETXTBSY)
            usleep(1000);
    } while (w < 0 && err == ETXTBSY && now() < until);
    if (w < 0) {
        printf("pid=%d comm=%s exe=%s open-for-write errno=%d\n", pid, comm, exe, err);
    } else {
        char byte;
        int rd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t got = rd < 0 ? -1 : pread(rd, &byte, 1, 0);
        ssize_t put = got == 1 ? pwrite(w, &byte, 1, 0) : -1;
        printf("pid=%d comm=%s exe=%s open-for-write ok %s errno=%d\n", pid, comm, exe,
               put == 1 ? "WROTE" : "write-failed", put == 1 ? 0 : errno);
        if (rd >= 0)
            close(rd);
        close(w);
    }
    close(held);
}

static int exe_attack(int seconds)
{
    static char tried[1 << 16];
    double until = now() + seconds;
    int self = getpid();
    printf("ready\n");
    fflush(stdout);
    while (now() < until) {
        DIR *d = opendir("/proc");
        if (!d)
            return 1;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            int pid = atoi(e->d_name);
            if (pid <= 1 || pid == self || pid >= (int)sizeof tried || tried[pid])
                continue;
            char path[64], exe[4096], comm[64] = "";
            snprintf(path, sizeof path, "/proc/%d/exe", pid);
            ssize_t n = readlink(path, exe, sizeof exe - 1);
            if (n < 0) {
                if (errno == ENOENT)
                    continue;
                snprintf(exe, sizeof exe, "unreadable(errno=%d)", errno);
            } else {
                exe[n] = '\0';
            }
            if (own_executable(exe))
                continue;
            tried[pid] = 1;
            snprintf(path, sizeof path, "/proc/%d/comm", pid);
            FILE *f = fopen(path, "re");
            if (f) {
                if (fgets(comm, sizeof comm, f))
                    comm[strcspn(comm, "\n")] = '\0';
                fclose(f);
            }
            attack(pid, comm, exe);
            fflush(stdout);
        }
        closedir(d);
    }
    printf("done\n");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && strcmp(argv[1], "syscall") == 0) {
        for (int i = 2; i < argc; i++)
            if (do_syscall(argv[i]) != 0)
                return 2;
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "fds") == 0)
        return fds();
    if (argc == 3 && strcmp(argv[1], "exe-attack") == 0)
        return exe_attack(atoi(argv[2]));
    fprintf(stderr, "usage: cloche-probe syscall NAME... | fds | exe-attack SECONDS\n");
    return 2;
}
