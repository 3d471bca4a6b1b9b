/*
 * loadgen: the client side of bench/compare-echo.sh. One thread and one epoll set drive every
 * connection, so that the client costs one core at most, and little of it (it reports how much).
 *
 *     loadgen --port P --conns N --size S --duration SECONDS --warmup SECONDS [--rate R]
 *             [--server-pid PID]
 *     loadgen --idle --port P --conns N [--size S] --duration SECONDS
 *
 * Ping-pong: each of N connections to 127.0.0.1:P sends one message of S bytes, reads until all S bytes
 * have come back, checks them, and sends the next. With --rate, R messages a second in all are spread
 * evenly over the connections: message k of connection c is due at start + (k*N + c)/R seconds, and a
 * connection sends it once the previous one has come back and that time has come. Latency is measured
 * from the due time, not from the actual send, so a server that falls behind cannot hide its queue by
 * slowing the client down (coordinated omission).
 *
 * Connections are opened a few at a time (each proven with one echo before the next opens) so that no
 * server's accept queue overflows; then the warm-up runs, then the measured window, then every message
 * still out is awaited (at most DRAIN_SECONDS) and the connections are closed. Only messages that come
 * back inside the window count, and their latencies go into a log-linear histogram (64 steps per power
 * of two, under 1.6% error), from which p50 and p99 are read.
 *
 * Prints one JSON line on stdout: messages per second, latency percentiles in microseconds, message
 * counts, errors, and CPU time per message of this process (getrusage) and, with --server-pid, of the
 * server (utime + stime from /proc/PID/stat, with the stime part on its own: the kernel's work on the
 * server's behalf), both taken at the edges of the measured window.
 *
 * --idle opens N connections the same way (each echoes one message, so the server has accepted and
 * served it), prints {"idle_conns": N, ...}, then holds them until --duration has passed or SIGTERM or
 * SIGINT arrives, and exits 0: memory per idle connection is measured meanwhile by whoever started it.
 * With --duration 0 it is a probe: "is an echo server answering on this port".
 *
 * Any failure (refused or broken connection, echoed bytes that differ from those sent, a message not
 * back in time) is reported on stderr and the exit status is 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SEC 1000000000ull
#define MAX_EVENTS 512
/* Connections not yet proven by an echo: fewer than asyncio's default listen backlog of 100. */
#define RAMP_WINDOW 64
#define RAMP_SECONDS 60
#define DRAIN_SECONDS 5
#define MAX_REPORTED_ERRORS 10

enum state { CONNECTING, IDLE, BUSY, DEAD };

struct conn {
    int fd;
    enum state state;
    uint32_t id;
    uint32_t seq;       /* messages sent on this connection */
    int wants_out;      /* EPOLLOUT is in its interest set: a send was only partly taken */
    size_t sent, got;   /* bytes of the current message sent, and received back */
    uint64_t due_ns;    /* when the current message was due: latency is measured from here */
    uint64_t next_k;    /* --rate: index of this connection's next slot */
    unsigned char *out, *in;
};

/* Options. */
static int port, nconns, idle_mode;
static size_t size = 64;
static double duration = -1, warmup = 0, rate = 0;
static long server_pid;

static struct conn *conns;
static int epfd;
static int opened, proven, busy, alive;
static uint64_t errors, total_messages, measured_messages;
static int measuring, draining;
static uint64_t t0; /* --rate: start of the schedule */

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t seconds_ns(double s)
{
    return (uint64_t)(s * 1e9);
}

/* ---- latency histogram ------------------------------------------------------------------------- */

#define SUB_BITS 6
#define SUB (1u << SUB_BITS)
#define BUCKETS ((64 - SUB_BITS + 1) * SUB)

static uint64_t hist[BUCKETS];
static uint64_t hist_count, hist_max;

static size_t bucket_of(uint64_t v)
{
    if (v < SUB)
        return (size_t)v;
    int e = 63 - __builtin_clzll(v);
    return (size_t)(e - SUB_BITS + 1) * SUB + ((v >> (e - SUB_BITS)) & (SUB - 1));
}

/* The middle of bucket i: every value in it is within half a step of this. */
static double bucket_middle(size_t i)
{
    if (i < SUB)
        return (double)i;
    int e = (int)(i / SUB) + SUB_BITS - 1;
    uint64_t low = (uint64_t)(SUB + i % SUB) << (e - SUB_BITS);
    uint64_t width = 1ull << (e - SUB_BITS);
    return (double)low + (double)(width - 1) / 2;
}

static void hist_record(uint64_t v)
{
    hist[bucket_of(v)]++;
    hist_count++;
    if (v > hist_max)
        hist_max = v;
}

static double hist_percentile_us(double p)
{
    if (hist_count == 0)
        return 0;
    uint64_t rank = (uint64_t)(p * (double)hist_count + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < BUCKETS; i++) {
        seen += hist[i];
        if (seen >= rank)
            return bucket_middle(i) / 1000;
    }
    return (double)hist_max / 1000;
}

/* ---- CPU time -------------------------------------------------------------------------------- */

static double self_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* utime + stime of every thread of the server, from /proc/PID/stat, in microseconds; the stime part
 * (time in the kernel on the server's behalf) through *system_us. */
static double server_cpu_us(double *system_us)
{
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", server_pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "loadgen: cannot read %s: %s\n", path, strerror(errno));
        exit(1);
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses; fields are counted after its last ')'. */
    char *p = strrchr(text, ')');
    unsigned long long utime = 0, stime = 0;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) {
        fprintf(stderr, "loadgen: cannot parse %s\n", path);
        exit(1);
    }
    double tick_us = 1e6 / (double)sysconf(_SC_CLK_TCK);
    *system_us = (double)stime * tick_us;
    return (double)(utime + stime) * tick_us;
}

/* ---- connections ------------------------------------------------------------------------------ */

static void fail(struct conn *c, const char *fmt, ...)
{
    if (errors < MAX_REPORTED_ERRORS) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "loadgen: connection %" PRIu32 ": ", c->id);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    errors++;
    if (c->state == BUSY)
        busy--;
    if (c->state != CONNECTING)
        alive--;
    close(c->fd);
    c->state = DEAD;
}

static void watch(struct conn *c, int op, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    if (epoll_ctl(epfd, op, c->fd, &ev) < 0)
        die("epoll_ctl");
}

static unsigned char *byte_ramp; /* byte_ramp[j] == j mod 256, size + 256 bytes: any message body is one copy */

/* A message names its connection and number in its first 8 bytes; every byte depends on both and on
   its position, so a byte lost, repeated, shifted or from another message is caught. */
static void fill(struct conn *c)
{
    /* Byte i is base + i (mod 256): a copy from byte_ramp, so that filling a message costs the load
       generator a memcpy, not a loop over its bytes, and its own CPU stays out of the figures. */
    unsigned char base = (unsigned char)(c->seq * 7u + c->id * 131u);
    memcpy(c->out, byte_ramp + base, size);
    if (size >= 8) {
        memcpy(c->out, &c->id, 4);
        memcpy(c->out + 4, &c->seq, 4);
    }
}

static void flush_send(struct conn *c)
{
    while (c->sent < size) {
        ssize_t n = send(c->fd, c->out + c->sent, size - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            fail(c, "send: %s", strerror(errno));
            return;
        }
        c->sent += (size_t)n;
    }
    int wants_out = c->sent < size;
    if (wants_out != c->wants_out) {
        c->wants_out = wants_out;
        watch(c, EPOLL_CTL_MOD, wants_out ? EPOLLIN | EPOLLOUT : EPOLLIN);
    }
}

static void send_message(struct conn *c, uint64_t due)
{
    c->seq++;
    fill(c);
    c->sent = c->got = 0;
    c->due_ns = due;
    c->state = BUSY;
    busy++;
    flush_send(c);
}

static void open_conn(struct conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    /* A message is one send; Nagle's delay would only add latency. */
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    c->state = CONNECTING;
    opened++;
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
        fail(c, "connect to 127.0.0.1:%d: %s", port, strerror(errno));
        return;
    }
    watch(c, EPOLL_CTL_ADD, EPOLLOUT);
}

static void ramp(void)
{
    while (opened < nconns && opened - proven < RAMP_WINDOW && errors == 0)
        open_conn(&conns[opened]);
}

static uint64_t slot_time(uint64_t slot)
{
    return t0 + (uint64_t)((double)slot * 1e9 / rate);
}

/* The connection's message came back whole and intact at `now`: record it and send the next, if due. */
static void completed(struct conn *c, uint64_t now)
{
    busy--;
    c->state = IDLE;
    total_messages++;
    if (proven < nconns) {
        proven++; /* its first echo: the connection is open and served */
        ramp();
        return;
    }
    if (measuring && !draining) {
        hist_record(now - c->due_ns);
        measured_messages++;
    }
    if (draining)
        return;
    if (rate <= 0) {
        send_message(c, now);
        return;
    }
    /* Behind schedule: the overdue message goes at once, its latency counted from when it was due. */
    uint64_t due = slot_time(c->next_k * (uint64_t)nconns + c->id);
    if (due <= now) {
        c->next_k++;
        send_message(c, due);
    }
}

static void on_event(struct conn *c, uint32_t events, uint64_t now)
{
    if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            fail(c, "connect to 127.0.0.1:%d: %s", port, strerror(err));
            return;
        }
        c->state = IDLE;
        alive++;
        watch(c, EPOLL_CTL_MOD, EPOLLIN);
        send_message(c, now);
        return;
    }
    if ((events & EPOLLOUT) && c->state == BUSY && c->sent < size) {
        flush_send(c);
        if (c->state == DEAD)
            return;
    }
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        return;
    if (c->state != BUSY) {
        /* Nothing is out, so nothing may come back. */
        unsigned char scratch[256];
        ssize_t n = recv(c->fd, scratch, sizeof scratch, 0);
        if (n > 0)
            fail(c, "%zd bytes received with no message outstanding", n);
        else if (n == 0)
            fail(c, "closed by the server");
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail(c, "recv: %s", strerror(errno));
        return;
    }
    ssize_t n = recv(c->fd, c->in + c->got, size - c->got, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail(c, "recv: %s", strerror(errno));
        return;
    }
    if (n == 0) {
        fail(c, "closed by the server with %zu of %zu bytes echoed", c->got, size);
        return;
    }
    c->got += (size_t)n;
    if (c->got > c->sent) {
        fail(c, "%zu bytes echoed, only %zu sent", c->got, c->sent);
        return;
    }
    if (c->got < size)
        return;
    if (memcmp(c->in, c->out, size) != 0) {
        size_t i = 0;
        while (c->in[i] == c->out[i])
            i++;
        fail(c, "message %" PRIu32 ": echoed byte %zu is %u, sent %u", c->seq, i, c->in[i], c->out[i]);
        return;
    }
    completed(c, now);
}

/* ---- main ----------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen --port P --conns N --size S --duration SECONDS --warmup SECONDS [--rate R] [--server-pid PID]\n"
            "       loadgen --idle --port P --conns N [--size S] --duration SECONDS\n");
    exit(2);
}

static void parse_args(int argc, char **argv)
{
    static const struct option options[] = {
        { "port", required_argument, NULL, 'p' },     { "conns", required_argument, NULL, 'c' },
        { "size", required_argument, NULL, 's' },     { "duration", required_argument, NULL, 'd' },
        { "warmup", required_argument, NULL, 'w' },   { "rate", required_argument, NULL, 'r' },
        { "server-pid", required_argument, NULL, 'P' }, { "idle", no_argument, NULL, 'i' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'c': nconns = atoi(optarg); break;
        case 's': size = (size_t)atol(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'r': rate = atof(optarg); break;
        case 'P': server_pid = atol(optarg); break;
        case 'i': idle_mode = 1; break;
        default: usage();
        }
    }
    if (optind != argc || port <= 0 || port > 65535 || nconns <= 0 || size == 0 || size > (1u << 24)
        || duration < 0 || warmup < 0 || rate < 0 || (!idle_mode && duration <= 0))
        usage();
}

/* Enough descriptors for every connection: the soft limit raised as far as the hard one allows. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        die("getrlimit");
    rlim_t need = (rlim_t)nconns + 64;
    if (rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < need) {
        fprintf(stderr, "loadgen: %d connections need %llu descriptors; the limit is %llu (raise ulimit -n)\n",
                nconns, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    raise_fd_limit();
    /* Wake-ups of the --rate schedule come from epoll timeouts: no timer slack on top of them. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &stop_signals, NULL) < 0)
        die("sigprocmask");
    int sigfd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0)
        die("signalfd");
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1");
    static int signal_marker;
    struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &signal_marker };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &sev) < 0)
        die("epoll_ctl");

    byte_ramp = malloc(size + 256);
    if (byte_ramp == NULL)
        die("malloc");
    for (size_t j = 0; j < size + 256; j++)
        byte_ramp[j] = (unsigned char)j;
    conns = calloc((size_t)nconns, sizeof *conns);
    if (!conns)
        die("calloc");
    for (int i = 0; i < nconns; i++) {
        conns[i].id = (uint32_t)i;
        conns[i].fd = -1;
        conns[i].out = malloc(size);
        conns[i].in = malloc(size);
        if (!conns[i].out || !conns[i].in)
            die("malloc");
    }

    uint64_t start = now_ns();
    uint64_t ramp_deadline = start + RAMP_SECONDS * NS_PER_SEC;
    uint64_t measure_start = 0, measure_end = 0, run_end = 0, drain_deadline = 0;
    uint64_t next_slot = 0;
    double self_cpu_start = 0, self_cpu_end = 0, server_cpu_start = 0, server_cpu_end = 0;
    double server_sys_start = 0, server_sys_end = 0;
    int interrupted = 0, running = 0, holding = 0;
    uint64_t hold_end = 0;

    ramp();
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        uint64_t now = now_ns();

        if (!running && !holding && proven == nconns) {
            if (idle_mode) {
                printf("{\"idle_conns\": %d, \"size\": %zu, \"open_seconds\": %.3f}\n", nconns, size,
                       (double)(now - start) / 1e9);
                fflush(stdout);
                holding = 1;
                hold_end = now + seconds_ns(duration);
            } else {
                running = 1;
                t0 = now;
                measure_start = now + seconds_ns(warmup);
                run_end = measure_start + seconds_ns(duration);
                if (rate <= 0) {
                    for (int i = 0; i < nconns; i++)
                        send_message(&conns[i], now);
                }
            }
        }
        if (!running && !holding && (errors > 0 || interrupted || now >= ramp_deadline)) {
            if (interrupted)
                fprintf(stderr, "loadgen: interrupted while opening connections\n");
            else if (errors == 0)
                fprintf(stderr, "loadgen: only %d of %d connections served within %d s\n", proven, nconns,
                        RAMP_SECONDS);
            exit(1);
        }
        if (holding && (now >= hold_end || interrupted || errors > 0))
            break;

        if (running && !measuring && now >= measure_start) {
            measuring = 1;
            measure_start = now;
            self_cpu_start = self_cpu_us();
            if (server_pid)
                server_cpu_start = server_cpu_us(&server_sys_start);
        }
        if (running && !draining && (now >= run_end || alive == 0 || interrupted)) {
            draining = 1;
            measure_end = now;
            self_cpu_end = self_cpu_us();
            if (server_pid)
                server_cpu_end = server_cpu_us(&server_sys_end);
            drain_deadline = now + DRAIN_SECONDS * NS_PER_SEC;
        }
        if (draining && (busy == 0 || interrupted))
            break;
        if (draining && now >= drain_deadline) {
            fprintf(stderr, "loadgen: %d messages not echoed back within %d s of the end\n", busy, DRAIN_SECONDS);
            errors += (uint64_t)busy;
            break;
        }

        /* --rate: send every slot whose time has come to its connection, if that one is idle and this is
           its next slot; a busy connection sends an overdue slot itself when its echo comes back. */
        if (running && !draining && rate > 0) {
            while (slot_time(next_slot) <= now) {
                struct conn *c = &conns[next_slot % (uint64_t)nconns];
                uint64_t k = next_slot / (uint64_t)nconns;
                if (c->state == IDLE && c->next_k == k) {
                    c->next_k++;
                    send_message(c, slot_time(next_slot));
                }
                next_slot++;
            }
        }

        uint64_t deadline = UINT64_MAX;
        if (!running && !holding)
            deadline = ramp_deadline;
        if (holding)
            deadline = hold_end;
        if (running && !measuring)
            deadline = measure_start;
        else if (running && !draining)
            deadline = run_end;
        else if (draining)
            deadline = drain_deadline;
        if (running && !draining && rate > 0 && slot_time(next_slot) < deadline)
            deadline = slot_time(next_slot);
        uint64_t wait = deadline > now ? deadline - now : 0;
        struct timespec timeout = { .tv_sec = (time_t)(wait / NS_PER_SEC), .tv_nsec = (long)(wait % NS_PER_SEC) };

        int n = epoll_pwait2(epfd, events, MAX_EVENTS, &timeout, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_pwait2");
        }
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == &signal_marker) {
                interrupted = 1;
                continue;
            }
            /* Read the clock for each event (a vDSO call, tens of ns): a batch can take a while to serve,
               and its last echo would otherwise be timed as if it had come back with the first. */
            struct conn *c = events[i].data.ptr;
            if (c->state != DEAD)
                on_event(c, events[i].events, now_ns());
        }
    }

    for (int i = 0; i < nconns; i++) {
        if (conns[i].state != DEAD && conns[i].fd >= 0)
            close(conns[i].fd);
    }
    if (idle_mode)
        return errors > 0 ? 1 : 0;

    if (interrupted && errors == 0) {
        fprintf(stderr, "loadgen: interrupted\n");
        errors = 1;
    }
    double seconds = (double)(measure_end - measure_start) / 1e9;
    double self_cpu = self_cpu_end - self_cpu_start;
    double server_cpu = server_cpu_end - server_cpu_start;
    double per_msg = measured_messages ? 1.0 / (double)measured_messages : 0;
    printf("{\"conns\": %d, \"size\": %zu, \"rate\": %.0f, \"warmup_s\": %.3f, \"duration_s\": %.3f, "
           "\"messages\": %" PRIu64 ", \"total_messages\": %" PRIu64 ", \"errors\": %" PRIu64 ", "
           "\"msgs_per_sec\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, "
           "\"loadgen_cpu_us_per_msg\": %.3f, \"loadgen_cpu_util\": %.3f",
           nconns, size, rate, warmup, seconds, measured_messages, total_messages, errors,
           seconds > 0 ? (double)measured_messages / seconds : 0, hist_percentile_us(0.50),
           hist_percentile_us(0.99), hist_percentile_us(0.999), (double)hist_max / 1000, self_cpu * per_msg,
           seconds > 0 ? self_cpu / 1e6 / seconds : 0);
    if (server_pid)
        printf(", \"server_cpu_us_per_msg\": %.3f, \"server_sys_us_per_msg\": %.3f, \"server_cpu_util\": %.3f",
               server_cpu * per_msg, (server_sys_end - server_sys_start) * per_msg,
               seconds > 0 ? server_cpu / 1e6 / seconds : 0);
    printf("}\n");
    return errors > 0 ? 1 : 0;
}
