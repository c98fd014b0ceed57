/* The container's pid 1: reaps every zombie, otherwise sleeps; exits on SIGTERM. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    /* Blocked signals stay pending for sigwait; pid 1 ignores unhandled ones, so TERM must be waited for. */
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGTERM) exit(0);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
    }
}
