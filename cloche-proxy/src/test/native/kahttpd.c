/*
 * kahttpd: a minimal HTTP/1.1 server with keep-alive, for the proxy's tests and benchmark (busybox httpd closes
 * every connection and listens with a backlog of 9, so it measures its own accept queue more than a proxy).
 * Usage: kahttpd PORT [ADDR [MAX]]. Listens on PORT (and ADDR, default all), one child per connection; every request gets a fixed 200 page whose
 * body also says how many requests this connection has carried ("request N on this connection"), so a test can
 * tell a reused upstream connection from a new one. A request body (Content-Length) is read and discarded;
 * "Connection: close" or HTTP/1.0 closes after the answer. An optional MAX closes a connection silently after MAX
 * answers (as a server whose keep-alive timeout ends an idle connection). Static, libc only:
 *   gcc -static -O2 -o kahttpd kahttpd.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w <= 0) return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static long max_requests;

static void serve(int c)
{
    static char buf[65536];
    size_t have = 0;
    long served = 0;
    for (;;) {
        char *end;
        while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
            if (have == sizeof buf) return; /* head too large */
            ssize_t r = read(c, buf + have, sizeof buf - have);
            if (r <= 0) return;
            have += (size_t)r;
        }
        size_t head = (size_t)(end - buf) + 4;
        buf[head - 2] = '\0'; /* the head as one string, for the header scan below */
        int close_after = strstr(buf, " HTTP/1.0\r\n") != NULL || strcasestr(buf, "\nConnection: close") != NULL;
        long length = 0;
        char *cl = strcasestr(buf, "\nContent-Length:");
        if (cl) length = atol(cl + 16);
        served++;
        /* discard the body: what is buffered, then the rest from the socket */
        size_t buffered = have - head;
        size_t skip = (size_t)length < buffered ? (size_t)length : buffered;
        memmove(buf, buf + head + skip, buffered - skip);
        have = buffered - skip;
        for (long left = length - (long)skip; left > 0;) {
            char sink[65536];
            ssize_t r = read(c, sink, left < (long)sizeof sink ? (size_t)left : sizeof sink);
            if (r <= 0) return;
            left -= r;
        }
        char body[128], out[512];
        int bn = snprintf(body, sizeof body, "<h1>kahttpd</h1><p>request %ld on this connection</p>\n", served);
        int on = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n%s\r\n%s",
                          bn, close_after ? "Connection: close\r\n" : "", body);
        if (write_all(c, out, (size_t)on) < 0 || close_after) return;
        if (max_requests > 0 && served >= max_requests) return;
    }
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 8080;
    in_addr_t addr = argc > 2 ? inet_addr(argv[2]) : htonl(INADDR_ANY);
    max_requests = argc > 3 ? atol(argv[3]) : 0;
    signal(SIGCHLD, SIG_IGN);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = addr};
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1024) < 0) { perror("kahttpd"); return 1; }
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (fork() == 0) { close(s); serve(c); _exit(0); }
        close(c);
    }
}
