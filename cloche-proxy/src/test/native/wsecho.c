/*
 * wsecho: a minimal websocket echo server for the proxy's tests (busybox has none). Listens on PORT, answers the
 * RFC 6455 handshake of each connection (one child per connection) and echoes every text/binary frame back
 * unmasked; answers ping with pong and close with close. Static, libc only:
 *   gcc -static -O2 -o wsecho wsecho.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1(const unsigned char *msg, size_t len, unsigned char out[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t total = ((len + 8) / 64 + 1) * 64;
    unsigned char *m = calloc(total, 1);
    memcpy(m, msg, len);
    m[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) m[total - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)m[off + 4 * i] << 24 | (uint32_t)m[off + 4 * i + 1] << 16 | (uint32_t)m[off + 4 * i + 2] << 8 | m[off + 4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d; d = c; c = rol(b, 30); b = a; a = t;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    free(m);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
}

static void base64(const unsigned char *in, size_t len, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < len ? t[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? t[v & 63] : '=';
    }
    out[o] = 0;
}

static int read_full(int fd, unsigned char *b, size_t n)
{
    while (n) {
        ssize_t r = read(fd, b, n);
        if (r <= 0) return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *b, size_t n)
{
    const char *p = b;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void serve(int fd)
{
    char req[8192];
    size_t got = 0;
    while (got < sizeof req - 1) {
        ssize_t r = read(fd, req + got, sizeof req - 1 - got);
        if (r <= 0) return;
        got += (size_t)r;
        req[got] = 0;
        if (strstr(req, "\r\n\r\n")) break;
    }
    char *k = strcasestr(req, "\nSec-WebSocket-Key:");
    if (!k) {
        const char *no = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        write_full(fd, no, strlen(no));
        return;
    }
    k += strlen("\nSec-WebSocket-Key:");
    while (*k == ' ') k++;
    char key[128];
    size_t kl = strcspn(k, "\r\n");
    if (kl > 60) return;
    memcpy(key, k, kl);
    strcpy(key + kl, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    unsigned char digest[20];
    sha1((unsigned char *)key, strlen(key), digest);
    char accept[64], resp[256];
    base64(digest, 20, accept);
    int n = snprintf(resp, sizeof resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    if (write_full(fd, resp, (size_t)n) < 0) return;
    for (;;) {
        unsigned char hdr[2], ext[8], mask[4];
        if (read_full(fd, hdr, 2) < 0) return;
        int op = hdr[0] & 15;
        uint64_t len = hdr[1] & 127;
        if (len == 126) { if (read_full(fd, ext, 2) < 0) return; len = (uint64_t)ext[0] << 8 | ext[1]; }
        else if (len == 127) { if (read_full(fd, ext, 8) < 0) return; len = 0; for (int i = 0; i < 8; i++) len = len << 8 | ext[i]; }
        if (len > (1 << 24)) return;
        int masked = hdr[1] & 128;
        if (masked && read_full(fd, mask, 4) < 0) return;
        unsigned char *p = malloc(len + 1);
        if (len && read_full(fd, p, len) < 0) { free(p); return; }
        if (masked) for (uint64_t i = 0; i < len; i++) p[i] ^= mask[i % 4];
        int out_op = op == 9 ? 10 : op;          /* ping -> pong; close, text, binary, continuation as they came */
        unsigned char oh[10];
        size_t ol = 0;
        oh[ol++] = (unsigned char)(0x80 | out_op);
        if (len < 126) oh[ol++] = (unsigned char)len;
        else if (len < 65536) { oh[ol++] = 126; oh[ol++] = (unsigned char)(len >> 8); oh[ol++] = (unsigned char)len; }
        else { oh[ol++] = 127; for (int i = 7; i >= 0; i--) oh[ol++] = (unsigned char)(len >> (8 * i)); }
        if (op != 10) {
            if (write_full(fd, oh, ol) < 0 || write_full(fd, p, len) < 0) { free(p); return; }
        }
        free(p);
        if (op == 8) return;
    }
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 8081;
    /* an optional address: tests on the host bind loopback only; in a container, all its addresses */
    in_addr_t addr = argc > 2 ? inet_addr(argv[2]) : htonl(INADDR_ANY);
    signal(SIGCHLD, SIG_IGN);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = addr};
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0) { perror("wsecho"); return 1; }
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        if (fork() == 0) { close(s); serve(c); _exit(0); }
        close(c);
    }
}
