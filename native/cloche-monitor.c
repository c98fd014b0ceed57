/*
 * cloche-monitor: a per-process monitor for Garden processes run with `runtime exec --detach`.
 *
 *   cloche-monitor [--tty ROWSxCOLS] [--owner UID:GID] DIR -- RUNTIME_ARGV...
 *
 * Why it exists: after `runc exec --detach` returns, the process is re-parented to the nearest host-side
 * subreaper. Without one, PID 1 reaps it and the exit code is lost; if the daemon were the subreaper, a daemon
 * crash would lose it too. This small process outlives the daemon, is the subreaper, and keeps every
 * result in files under DIR (see docs/process-monitor.md for the full contract):
 *
 *   monitor.pid   this monitor's pid (atomic)         pid       written by the runtime (--pid-file)
 *   stdout        process stdout (TTY: the pty)        stderr    process stderr (TTY: stays empty)
 *   stdin         FIFO, relayed to the process (pipe)  ctl       FIFO: "close-stdin", "resize ROWS COLS"
 *   exit          decimal exit code, 128+sig (atomic)  console.sock  TTY only, removed on exit
 *
 * The launching process prints exactly one line on stdout: "<host pid>\n" (exit 0) or "error: ...\n" (exit 1).
 * libc only, static: gcc -static -O2 -Wall -Wextra -o cloche-monitor cloche-monitor.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define NOFILE_SOFT 1024

static const char *dir;          /* the per-process directory, absolute */
static int report_fd = -1;       /* write end of the pipe to the first process; -1 once reported */
static int tty_rows, tty_cols;   /* 0 = no TTY */
static int has_owner;            /* --owner given: the process's stdio files belong to its host uid/gid */
static uid_t owner_uid;
static gid_t owner_gid;

/* Builds DIR/name into buf; exits if it does not fit (paths are our contract, so this is a usage error). */
static char *path_of(char *buf, size_t len, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= len) {
        fprintf(stderr, "cloche-monitor: path too long: %s/%s\n", dir, name);
        exit(1);
    }
    return buf;
}

/* Writes all of buf, retrying on EINTR and short writes. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends the one result line to the first process, once. Later calls are no-ops. */
static void report(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    if (report_fd < 0)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    (void)write_all(report_fd, line, (size_t)n); /* the launcher may be dead: then nobody reads it anyway */
    close(report_fd);
    report_fd = -1;
}

/* Reports an error (if not yet reported) and exits; used for failures before the process is known. */
static void fail(const char *what)
{
    char sock[PATH_MAX];
    report("error: %s: %s", what, strerror(errno));
    if (tty_rows)
        unlink(path_of(sock, sizeof sock, "console.sock"));
    exit(1);
}

/* Atomically publishes DIR/name = text via DIR/name.tmp + rename, so readers never see a partial file. */
static int write_atomic(const char *name, const char *text)
{
    char tmp[PATH_MAX], final[PATH_MAX], tname[64];
    snprintf(tname, sizeof tname, "%s.tmp", name);
    path_of(tmp, sizeof tmp, tname);
    path_of(final, sizeof final, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (write_all(fd, text, strlen(text)) < 0) {
        close(fd);
        return -1;
    }
    if (close(fd) < 0)
        return -1;
    return rename(tmp, final);
}

/* Creates DIR/name as a FIFO unless it already is one. */
static void make_fifo(const char *name)
{
    char p[PATH_MAX];
    struct stat st;
    path_of(p, sizeof p, name);
    if (mkfifo(p, 0600) == 0)
        return;
    if (errno != EEXIST)
        fail("mkfifo");
    if (stat(p, &st) < 0)
        fail("stat fifo");
    if (!S_ISFIFO(st.st_mode)) {
        errno = EEXIST;
        fail("not a FIFO");
    }
}

/* The last non-empty line of the tail of DIR/name, escapes and all, into out ("" if none). */
static void last_line(const char *name, char *out, size_t len)
{
    char p[PATH_MAX], buf[4096];
    out[0] = '\0';
    int fd = open(path_of(p, sizeof p, name), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (n <= 0)
        return;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    char *start = strrchr(buf, '\n');
    start = start ? start + 1 : buf;
    size_t l = strlen(start);
    if (l >= len)
        l = len - 1;
    memcpy(out, start, l);
    out[l] = '\0';
}

/*
 * What the runtime said about its failure, so the daemon sees e.g. "executable file `x` not found" instead of a bare
 * exit status: the last `"msg":"..."` of an error line in DIR/runtime.log (runc's and crun's --log-format json), else
 * the log's last line if it is plain text (a runtime or wrapper that logs so), else the last line the runtime wrote to its
 * stderr, which is DIR/stderr without a TTY (the process never started, so only the runtime wrote there).
 */
static void runtime_error(char *out, size_t len)
{
    char p[PATH_MAX], buf[16384];
    out[0] = '\0';
    int fd = open(path_of(p, sizeof p, "runtime.log"), O_RDONLY | O_CLOEXEC);
    ssize_t n = -1;
    if (fd >= 0) {
        off_t size = lseek(fd, 0, SEEK_END);
        off_t from = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
        n = pread(fd, buf, sizeof buf - 1, from);
        close(fd);
    }
    char *best = NULL;
    if (n > 0) {
        buf[n] = '\0';
        for (char *line = buf; line && *line;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            char *m = strstr(line, "\"msg\":\"");
            if (m && (strstr(line, "\"level\":\"error\"") || strstr(line, "\"level\":\"fatal\"")))
                best = m + 7;
            line = nl ? nl + 1 : NULL;
        }
    }
    if (!best) {
        last_line("runtime.log", out, len);
        if (out[0] == '{')
            out[0] = '\0'; /* a JSON line that is not an error says nothing about the failure */
        if (!out[0] && !tty_rows)
            last_line("stderr", out, len);
        return;
    }
    size_t i = 0;
    for (char *c = best; *c && i + 1 < len; c++) {
        if (*c == '"' && c[-1] != '\\')
            break;
        out[i++] = *c;
    }
    out[i] = '\0';
}

/* Receives one fd sent with SCM_RIGHTS (the runtime's pty master) on a connected socket. */
static int recv_fd(int sock)
{
    char data[256];
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {data, sizeof data};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof ctl.buf;
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
        errno = EPROTO;
        return -1;
    }
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

static int set_winsize(int master, int rows, int cols)
{
    struct winsize ws = {0};
    ws.ws_row = (unsigned short)rows;
    ws.ws_col = (unsigned short)cols;
    return ioctl(master, TIOCSWINSZ, &ws);
}

/* ---- the monitor proper: runs in the daemonized child ---- */

static int master = -1;           /* TTY: pty master, -1 before it arrives and after EIO */
static int stdin_w = -1;          /* our write end of DIR/stdin: keeps the process from seeing EOF */
static int stdin_r = -1;          /* our read end of DIR/stdin, relayed to the master (TTY) or to stdin_pipe */
static int stdin_pipe = -1;       /* non-TTY: write end of the pipe that is the process's fd 0 */
static pid_t cpid;                /* host pid of the container process */
static int cpid_done, exit_code;
static int pending_sig;           /* TERM/INT/QUIT received before cpid was known */
static int eot_pending;           /* TTY: close-stdin received; EOT goes out once stdin written before it is relayed */

/* Handles one ctl line. Unknown commands are ignored: the daemon is the only writer. */
static void ctl_command(char *line)
{
    int r, c;
    if (strcmp(line, "close-stdin") == 0) {
        if (tty_rows) {
            /*
             * A pty has no EOF of its own: VEOF (^D) at the start of a line makes read() return 0. The daemon wrote
             * its last stdin bytes into the FIFO before this line, so the EOT waits until the FIFO is drained into
             * the master (the event loop sends it): otherwise the process could see EOF before its input.
             */
            eot_pending = 1;
        } else if (stdin_w >= 0) {
            /* The FIFO reads EOF once the daemon's writer is closed too; the relay then closes the pipe (EOF). */
            close(stdin_w);
            stdin_w = -1;
        }
    } else if (sscanf(line, "resize %d %d", &r, &c) == 2) {
        if (master >= 0 && r > 0 && c > 0 && r < 65536 && c < 65536 && set_winsize(master, r, c) < 0)
            perror("cloche-monitor: TIOCSWINSZ");
    }
}

/* Reaps every child that has exited: the container process and any orphan handed to us as subreaper. */
static void reap(void)
{
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == cpid && !cpid_done) {
            cpid_done = 1;
            exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
        }
    }
    if (p < 0 && errno != ECHILD)
        perror("cloche-monitor: waitpid");
}

static void forward(int sig)
{
    if (!cpid) {
        pending_sig = sig;
        return;
    }
    /* Safe against pid reuse: an unreaped child's pid cannot be recycled. */
    if (!cpid_done && kill(cpid, sig) < 0)
        perror("cloche-monitor: kill");
}

/* Runs the runtime with the process's stdio (non-TTY) or /dev/null (TTY) and returns its pid. */
static pid_t spawn_runtime(char **argv, int in, int out, int err)
{
    pid_t p = fork();
    if (p != 0)
        return p;
    /* Ignored dispositions and the mask survive exec into the process: hand it a clean slate, not ours. */
    signal(SIGPIPE, SIG_DFL);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(127);
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
        _exit(127);
    /* A JVM raises its soft open-files limit to the hard one (20000 here) and we inherit it. Hand the runtime the
     * conventional soft 1024 instead (hard unchanged, a spec's rlimits still apply): crun measured 3-4 ms slower per
     * exec with the high soft limit, and under crun the process gets what a login shell would. (runc is a Go program:
     * Go raises the soft limit again at start-up, so under runc the process still sees the hard limit.) */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur > NOFILE_SOFT) {
        nofile.rlim_cur = NOFILE_SOFT;
        (void)setrlimit(RLIMIT_NOFILE, &nofile);
    }
    execv(argv[0], argv);
    _exit(127);
}

static void monitor(char **rt_argv)
{
    char p[PATH_MAX], line[256], buf[65536];
    sigset_t mask;

    /* All signals we care about arrive on one fd, so the loop is a single poll() with no races. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGQUIT);
    sigaddset(&mask, SIGHUP);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        fail("signalfd");

    snprintf(line, sizeof line, "%d\n", (int)getpid());
    if (write_atomic("monitor.pid", line) < 0)
        fail("write monitor.pid");

    /* ctl: opened O_RDWR so we are our own writer and never see EOF/POLLHUP when the daemon closes it. */
    make_fifo("ctl");
    int ctl = open(path_of(p, sizeof p, "ctl"), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (ctl < 0)
        fail("open ctl");

    /*
     * stdin: open the read end non-blocking (succeeds with no writer), then our write end (succeeds because a
     * reader exists). Non-TTY: the read end becomes the process's fd 0 and we drop it, so once the process has
     * gone, daemon writes fail with EPIPE instead of filling a pipe nobody reads.
     */
    make_fifo("stdin");
    path_of(p, sizeof p, "stdin");
    int in_r = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (in_r < 0)
        fail("open stdin");
    stdin_w = open(p, O_WRONLY | O_CLOEXEC);
    if (stdin_w < 0)
        fail("open stdin writer");

    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0)
        fail("open /dev/null");

    int out = -1, err = -1, lsock = -1, pipe_r = -1;
    if (tty_rows) {
        stdin_r = in_r; /* we relay it; it stays non-blocking */
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        path_of(p, sizeof p, "console.sock");
        if (strlen(p) >= sizeof sa.sun_path) {
            errno = ENAMETOOLONG;
            fail("console.sock");
        }
        strcpy(sa.sun_path, p);
        unlink(p);
        lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lsock < 0 || bind(lsock, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lsock, 1) < 0)
            fail("console socket");
        /* stderr stays empty in TTY mode, but create it so the directory looks the same in both modes */
        out = open(path_of(p, sizeof p, "stdout"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        err = open(path_of(p, sizeof p, "stderr"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (out < 0 || err < 0)
            fail("open stdout/stderr");
        close(err);
        err = -1;
    } else {
        /*
         * The process's stdin is a pipe we feed from the FIFO, not the FIFO itself: /dev/stdin reopens fd 0, and
         * reopening a FIFO blocks in open() once its writers are gone (`echo x | cat /dev/stdin` hung when the input
         * had been closed before cat opened it); reopening a pipe does not. Its read end blocks, as programs expect.
         */
        int sp[2];
        if (pipe2(sp, O_CLOEXEC) < 0)
            fail("pipe stdin");
        pipe_r = sp[0];
        stdin_pipe = sp[1];
        int fl = fcntl(stdin_pipe, F_GETFL);
        if (fl < 0 || fcntl(stdin_pipe, F_SETFL, fl | O_NONBLOCK) < 0)
            fail("fcntl stdin pipe");
        stdin_r = in_r; /* we relay it; it stays non-blocking */
        out = open(path_of(p, sizeof p, "stdout"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        err = open(path_of(p, sizeof p, "stderr"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (out < 0 || err < 0)
            fail("open stdout/stderr");
        /*
         * The process's own user must be able to reopen its stdio through /proc/self/fd (/dev/stdout, /dev/stdin):
         * the kernel checks the inode's owner and mode then, and a 0600 file of host root denies every other user.
         */
        if (has_owner && (fchown(pipe_r, owner_uid, owner_gid) < 0 || fchown(out, owner_uid, owner_gid) < 0 ||
                          fchown(err, owner_uid, owner_gid) < 0))
            fail("chown stdio");
    }

    pid_t rt = tty_rows ? spawn_runtime(rt_argv, devnull, devnull, devnull)
                        : spawn_runtime(rt_argv, pipe_r, out, err);
    if (rt < 0)
        fail("fork runtime");
    if (!tty_rows) {
        close(pipe_r); /* the process holds the only read end of its stdin now */
        close(out);    /* zero copy: the process writes the files itself */
        close(err);
    }

    /* Wait for `exec --detach` to finish: by then the pid file exists and the process is our child. */
    int st;
    while (waitpid(rt, &st, 0) < 0)
        if (errno != EINTR)
            fail("waitpid runtime");
    /*
     * Own session only now: no job-control or hang-up signals from the daemon's session for the rest of our life.
     * Not earlier, because with sched autogroup a new session is a new CPU group, and the runtime running in a fresh
     * group was measured 27 ms slower (54.5 vs 27.8 ms median) on a loaded 2-vCPU VM. Meanwhile the signals that
     * could reach us are blocked into the signalfd, and runc sets up its own session for the process anyway.
     */
    if (setsid() < 0)
        fail("setsid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char msg[1024];
        runtime_error(msg, sizeof msg);
        errno = 0;
        report("error: runtime failed (%s %d)%s%s", WIFEXITED(st) ? "exit" : "signal",
               WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), msg[0] ? ": " : "", msg);
        if (lsock >= 0)
            unlink(path_of(p, sizeof p, "console.sock"));
        exit(1);
    }
    int pfd = open(path_of(p, sizeof p, "pid"), O_RDONLY | O_CLOEXEC);
    ssize_t n = pfd < 0 ? -1 : read(pfd, line, sizeof line - 1);
    if (pfd >= 0)
        close(pfd);
    if (n <= 0 || (line[n] = '\0', cpid = (pid_t)atoi(line)) <= 0) {
        errno = n < 0 ? errno : EINVAL;
        fail("read pid file");
    }

    if (tty_rows) {
        /* The runtime sent the master before it exited, so the connection is already queued: no blocking. */
        int fl = fcntl(lsock, F_GETFL);
        if (fl < 0 || fcntl(lsock, F_SETFL, fl | O_NONBLOCK) < 0)
            fail("fcntl console socket");
        int c = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            fail("accept console socket");
        master = recv_fd(c);
        if (master < 0)
            fail("receive pty master");
        close(c);
        close(lsock);
        fl = fcntl(master, F_GETFL);
        if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0)
            fail("fcntl master");
        if (set_winsize(master, tty_rows, tty_cols) < 0)
            fail("TIOCSWINSZ");
    }
    close(devnull);

    report("%d", (int)cpid);
    if (pending_sig)
        forward(pending_sig);
    reap(); /* the process may already be a zombie handed to us; do not depend on how SIGCHLDs coalesced */

    /*
     * Event loop. Done when the process is reaped and, with a TTY, the master has been drained to EIO
     * (all slave fds closed), so DIR/stdout is complete before DIR/exit appears.
     */
    char pend[4096];
    size_t pend_len = 0, pend_off = 0, ctl_len = 0;
    char ctlbuf[512];
    for (;;) {
        if (cpid_done && master < 0)
            break;
        struct pollfd fds[4];
        int nf = 0, i_sig = -1, i_ctl = -1, i_mas = -1, i_in = -1, i_pipe = -1;
        fds[i_sig = nf++] = (struct pollfd){sfd, POLLIN, 0};
        fds[i_ctl = nf++] = (struct pollfd){ctl, POLLIN, 0};
        if (master >= 0)
            fds[i_mas = nf++] = (struct pollfd){master, (short)(POLLIN | (pend_len ? POLLOUT : 0)), 0};
        if (stdin_pipe >= 0 && pend_len)
            fds[i_pipe = nf++] = (struct pollfd){stdin_pipe, POLLOUT, 0};
        if ((master >= 0 || stdin_pipe >= 0) && stdin_r >= 0 && !pend_len && !cpid_done)
            fds[i_in = nf++] = (struct pollfd){stdin_r, POLLIN, 0};
        /* an EOT waiting for the stdin FIFO to drain must not wait for the next event */
        int timeout = (eot_pending && master >= 0) ? 10 : -1;
        if (poll(fds, (nfds_t)nf, timeout) < 0) {
            if (errno == EINTR)
                continue;
            perror("cloche-monitor: poll");
            break;
        }
        if (fds[i_sig].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGQUIT)
                    forward((int)si.ssi_signo);
                /* SIGHUP: ignored, we have no terminal and must not die and orphan the process */
            }
            reap(); /* SIGCHLD coalesces, so always reap everything */
        }
        if (fds[i_ctl].revents & POLLIN) {
            ssize_t r = read(ctl, ctlbuf + ctl_len, sizeof ctlbuf - 1 - ctl_len);
            if (r > 0) {
                ctl_len += (size_t)r;
                char *nl;
                while ((nl = memchr(ctlbuf, '\n', ctl_len)) != NULL) {
                    *nl = '\0';
                    ctl_command(ctlbuf);
                    ctl_len -= (size_t)(nl + 1 - ctlbuf);
                    memmove(ctlbuf, nl + 1, ctl_len);
                }
                if (ctl_len == sizeof ctlbuf - 1)
                    ctl_len = 0; /* an over-long line is garbage: drop it */
            }
        }
        if (i_mas >= 0 && (fds[i_mas].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(master, buf, sizeof buf);
            if (r > 0) {
                if (write_all(out, buf, (size_t)r) < 0)
                    perror("cloche-monitor: write stdout");
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(master); /* EIO: every slave fd is closed, nothing more can come */
                master = -1;
                continue;
            }
        }
        if (i_mas >= 0 && master >= 0 && pend_len && (fds[i_mas].revents & POLLOUT)) {
            ssize_t w = write(master, pend + pend_off, pend_len);
            if (w > 0) {
                pend_off += (size_t)w;
                pend_len -= (size_t)w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                pend_len = 0; /* the slave side is gone: input is moot */
            }
            if (!pend_len)
                pend_off = 0;
        }
        if (i_pipe >= 0 && (fds[i_pipe].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(stdin_pipe, pend + pend_off, pend_len);
            if (w > 0) {
                pend_off += (size_t)w;
                pend_len -= (size_t)w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                /* EPIPE: the process closed its stdin. Drop our reader too, so the daemon's writes get EPIPE. */
                pend_len = 0;
                close(stdin_pipe);
                stdin_pipe = -1;
                close(stdin_r);
                stdin_r = -1;
            }
            if (!pend_len)
                pend_off = 0;
        }
        if (i_in >= 0 && (fds[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(stdin_r, pend, sizeof pend);
            if (r > 0) {
                pend_len = (size_t)r;
            } else if (r == 0 && stdin_pipe >= 0) {
                close(stdin_r); /* every writer is gone (close-stdin): EOF, once the pipe has the rest */
                stdin_r = -1;
            }
        }
        if (stdin_pipe >= 0 && stdin_r < 0 && !pend_len) {
            close(stdin_pipe);
            stdin_pipe = -1;
        }
        if (eot_pending && master >= 0 && !pend_len) {
            /* everything relayed: is anything still in the FIFO? (it is non-blocking, and we hold a writer) */
            ssize_t r = stdin_r >= 0 ? read(stdin_r, pend, sizeof pend) : -1;
            if (r > 0) {
                pend_len = (size_t)r;
            } else {
                eot_pending = 0;
                if (write_all(master, "\x04", 1) < 0 && errno != EAGAIN)
                    perror("cloche-monitor: write EOT");
            }
        } else if (eot_pending && master < 0) {
            eot_pending = 0;
        }
    }

    /* Publish the exit code only now: every output byte is in DIR/stdout and DIR/stderr. */
    snprintf(line, sizeof line, "%d", exit_code);
    if (write_atomic("exit", line) < 0)
        perror("cloche-monitor: write exit");
    if (tty_rows)
        unlink(path_of(p, sizeof p, "console.sock"));
    reap(); /* last orphans, if any */
    exit(0);
}

static void usage(void)
{
    fprintf(stderr, "usage: cloche-monitor [--tty ROWSxCOLS] [--owner UID:GID] DIR -- RUNTIME_ARGV...\n");
    printf("error: usage\n");
    exit(1);
}

int main(int argc, char **argv)
{
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--tty") == 0) {
        char x;
        if (sscanf(argv[i + 1], "%dx%d%c", &tty_rows, &tty_cols, &x) != 2 || tty_rows <= 0 || tty_cols <= 0 ||
            tty_rows > 65535 || tty_cols > 65535)
            usage();
        i += 2;
    }
    if (i + 1 < argc && strcmp(argv[i], "--owner") == 0) {
        unsigned long u, g;
        char x;
        /* ids up to 2^32-2: (uid_t)-1 would mean "unchanged" to fchown */
        if (sscanf(argv[i + 1], "%lu:%lu%c", &u, &g, &x) != 2 || u >= 0xffffffffUL || g >= 0xffffffffUL)
            usage();
        has_owner = 1;
        owner_uid = (uid_t)u;
        owner_gid = (gid_t)g;
        i += 2;
    }
    if (i + 2 >= argc || argv[i][0] != '/' || strcmp(argv[i + 1], "--") != 0)
        usage();
    dir = argv[i];
    char **rt_argv = argv + i + 2;
    if (rt_argv[0][0] != '/')
        usage();

    char sock[PATH_MAX];
    path_of(sock, sizeof sock, "console.sock");
    if (tty_rows && strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        printf("error: DIR too long for console.sock\n");
        return 1;
    }
    for (char **a = rt_argv; *a; a++)
        if (strcmp(*a, "@CONSOLE@") == 0)
            *a = sock;

    /* Drop whatever the daemon leaked to us beyond stdio: the monitor outlives it and must not pin its fds. */
    if (close_range(3, ~0U, 0) < 0) {
        printf("error: close_range: %s\n", strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN); /* a vanished reader must give EPIPE, not kill the monitor */
    /* An ignored disposition inherited from the daemon would discard these before the signalfd sees them;
     * an ignored SIGCHLD would even auto-reap the process and lose its exit code. */
    int handled[] = {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP};
    for (size_t k = 0; k < sizeof handled / sizeof handled[0]; k++)
        signal(handled[k], SIG_DFL);

    int pp[2];
    if (pipe2(pp, O_CLOEXEC) < 0) {
        printf("error: pipe: %s\n", strerror(errno));
        return 1;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        printf("error: fork: %s\n", strerror(errno));
        return 1;
    }
    if (child > 0) {
        /* The first process: relay the child's one line, then exit so the daemon's spawn completes. */
        char line[2048];
        size_t len = 0;
        close(pp[1]);
        for (;;) {
            ssize_t n = read(pp[0], line + len, sizeof line - 1 - len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0 || (len += (size_t)n) == sizeof line - 1)
                break;
        }
        if (len == 0) {
            printf("error: monitor died before reporting\n");
            return 1;
        }
        line[len] = '\0';
        fputs(line, stdout);
        if (fflush(stdout) != 0)
            return 1;
        return strncmp(line, "error:", 6) == 0 ? 1 : 0;
    }

    /* The monitor: subreaper, quiet stdio; its own session follows once the runtime is done (see monitor()). */
    close(pp[0]);
    report_fd = pp[1];
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        fail("PR_SET_CHILD_SUBREAPER");
    int nul = open("/dev/null", O_RDWR);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
        fail("/dev/null");
    if (nul > 2)
        close(nul);

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGQUIT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
        fail("sigprocmask");
    monitor(rt_argv);
    return 0;
}
