/*
 * epoll_echo: the reference echo server of bench/compare-echo.sh: what one thread can echo over TCP on
 * Linux with nothing but non-blocking sockets and epoll (no io_uring, no busy polling, no batching across
 * connections). Every other server is measured against it.
 *
 *     epoll_echo PORT
 *
 * Listens on 127.0.0.1:PORT. One thread, non-blocking sockets, level-triggered epoll: a readable
 * connection is read once into one shared buffer and what was read is written straight back. A write
 * the kernel only partly takes leaves its rest with the connection, which then waits for EPOLLOUT
 * instead of EPOLLIN: it reads nothing more until its backlog is written, so a client that does not
 * read cannot make the server buffer without bound. SIGINT or SIGTERM closes everything and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKLOG 4096
#define READ_SIZE 65536
#define MAX_EVENTS 256

struct conn {
    int fd;
    char *pending;      /* bytes read but not yet written back, or NULL */
    size_t pending_len;
    size_t pending_off;
};

/* Connections by file descriptor, so that shutdown can close every one. */
static struct conn **conns;
static size_t conns_cap;
static int epfd;
static char buffer[READ_SIZE];

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void track(struct conn *c)
{
    if ((size_t)c->fd >= conns_cap) {
        size_t cap = conns_cap ? conns_cap : 1024;
        while (cap <= (size_t)c->fd)
            cap *= 2;
        conns = realloc(conns, cap * sizeof *conns);
        if (!conns)
            die("realloc");
        memset(conns + conns_cap, 0, (cap - conns_cap) * sizeof *conns);
        conns_cap = cap;
    }
    conns[c->fd] = c;
}

static void close_conn(struct conn *c)
{
    conns[c->fd] = NULL;
    close(c->fd); /* also removes it from the epoll set */
    free(c->pending);
    free(c);
}

static void watch(struct conn *c, int op, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    if (epoll_ctl(epfd, op, c->fd, &ev) < 0)
        die("epoll_ctl");
}

static void accept_all(int listener)
{
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            /* Out of descriptors or memory: leave the rest queued and keep serving. */
            perror("accept4");
            return;
        }
        /* Replies are written whole as soon as they are read; Nagle's delay would only add latency. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c)
            die("calloc");
        c->fd = fd;
        track(c);
        watch(c, EPOLL_CTL_ADD, EPOLLIN);
    }
}

/* Writes data back; keeps what the kernel did not take and waits for EPOLLOUT. Returns -1 on error. */
static int write_back(struct conn *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -1;
            break;
        }
        data += n;
        len -= (size_t)n;
    }
    if (len == 0)
        return 0;
    if (c->pending == NULL) {
        c->pending = malloc(READ_SIZE);
        if (!c->pending)
            die("malloc");
    }
    /* Only called with nothing pending (reads stop while something is), so this is a fresh backlog. */
    memcpy(c->pending, data, len);
    c->pending_len = len;
    c->pending_off = 0;
    watch(c, EPOLL_CTL_MOD, EPOLLOUT);
    return 0;
}

static void on_readable(struct conn *c)
{
    ssize_t n = recv(c->fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0 || write_back(c, buffer, (size_t)n) < 0)
        close_conn(c); /* end of stream or a broken connection */
}

static void on_writable(struct conn *c)
{
    while (c->pending_off < c->pending_len) {
        ssize_t n = send(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            close_conn(c);
            return;
        }
        c->pending_off += (size_t)n;
    }
    c->pending_len = c->pending_off = 0;
    watch(c, EPOLL_CTL_MOD, EPOLLIN);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: epoll_echo PORT\n");
        return 2;
    }
    int port = atoi(argv[1]);
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "epoll_echo: bad port %s\n", argv[1]);
        return 2;
    }

    /* Signals arrive as a readable descriptor in the same epoll set: no handler, no race with epoll_wait. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &stop_signals, NULL) < 0)
        die("sigprocmask");
    int sigfd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0)
        die("signalfd");

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener < 0)
        die("socket");
    int one = 1;
    if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        die("setsockopt");
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0)
        die("bind");
    if (listen(listener, BACKLOG) < 0)
        die("listen");

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1");
    /* The listener and the signal descriptor are told apart from connections by these two markers. */
    static int listener_marker, signal_marker;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener_marker };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev) < 0)
        die("epoll_ctl");
    ev.data.ptr = &signal_marker;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &ev) < 0)
        die("epoll_ctl");

    struct epoll_event events[MAX_EVENTS];
    for (int running = 1; running;) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            void *p = events[i].data.ptr;
            if (p == &listener_marker) {
                accept_all(listener);
            } else if (p == &signal_marker) {
                running = 0;
            } else {
                /* Only a connection's own event closes it, and epoll reports each at most once per
                   batch: c is live here. */
                struct conn *c = p;
                if (c->pending_len > 0)
                    on_writable(c);
                else
                    on_readable(c);
            }
        }
    }

    for (size_t fd = 0; fd < conns_cap; fd++) {
        if (conns[fd])
            close_conn(conns[fd]);
    }
    free(conns);
    close(listener);
    close(sigfd);
    close(epfd);
    return 0;
}
