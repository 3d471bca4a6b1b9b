/*
 * pairgen: the client side of bench/ab-echo.sh, for comparing echo servers (or two builds of one)
 * more finely than a run of whole windows can. Every server gets its own N connections, all opened
 * at the start and kept; then the servers take turns, one window each, in the order 1..S, then S..1,
 * and so on (ABBA): in each window only that server's connections ping-pong, the others' sit idle.
 *
 *     pairgen --ports P1,P2,.. --server-pids PID1,PID2,.. --conns N --size S --window-ms W --pairs K
 *
 * The machine's slow spells last longer than a window, so a server and the reference (the first
 * port) measured in the same pair of windows meet the same conditions, and the ratio of the two is
 * steadier than ratios of whole runs. Before the measured pairs, two unmeasured ones warm everything.
 *
 * A window sends one message of S bytes on each of the server's connections; each echo that comes back
 * whole (checked) before the window's end counts, and is answered with the next message; after the end,
 * the window waits for the messages still out (at most DRAIN_SECONDS) before the next server's window
 * starts. Prints one JSON line per measured window: the pair, the server's index, messages a second in
 * the window, and the server's user and kernel CPU time per message (utime and stime from
 * /proc/PID/stat, over the window and its drain, divided by every message that came back in them).
 *
 * Any failure (a refused or broken connection, echoed bytes that differ, a message not back in time) is
 * reported on stderr and the exit status is 1. Traffic goes to 127.0.0.1 only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SERVERS 16
#define MAX_EVENTS 512
#define MAX_SIZE 65536
#define DRAIN_SECONDS 5
#define WARM_PAIRS 2

struct conn {
    int fd;
    int got;
};

static char message[MAX_SIZE];
static char echo[MAX_SIZE];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "pairgen: %s: %s\n", what, errno ? strerror(errno) : "failed");
    exit(1);
}

/* The process's user and kernel CPU time in seconds, from /proc/PID/stat (fields 14 and 15). */
static void cpu_of(int pid, double *user, double *kernel)
{
    char path[64], buffer[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        die("reading the server's /proc/PID/stat");
    size_t n = fread(buffer, 1, sizeof buffer - 1, f);
    fclose(f);
    buffer[n] = 0;
    /* The command name may hold spaces: fields are counted after its closing parenthesis. */
    char *p = strrchr(buffer, ')');
    unsigned long utime = 0, stime = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        die("parsing /proc/PID/stat");
    double hz = (double)sysconf(_SC_CLK_TCK);
    *user = (double)utime / hz;
    *kernel = (double)stime / hz;
}

static int parse_list(char *text, int *into)
{
    int n = 0;
    for (char *t = strtok(text, ","); t; t = strtok(NULL, ",")) {
        if (n == MAX_SERVERS)
            die("too many servers");
        into[n++] = atoi(t);
    }
    return n;
}

/* Receives what arrived on c and checks it against the part of the message it should be (every message
 * is the same, so a piece is checked where it lands, and no connection needs a buffer of its own);
 * returns 1 when a whole echo is in. */
static int receive(struct conn *c, int size)
{
    ssize_t n = recv(c->fd, echo, (size_t)(size - c->got), 0);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        errno = n == 0 ? ECONNRESET : errno;
        die("receiving an echo");
    }
    if (memcmp(echo, message + c->got, (size_t)n) != 0) {
        errno = 0;
        die("an echo differs from the message sent");
    }
    c->got += (int)n;
    if (c->got < size)
        return 0;
    c->got = 0;
    return 1;
}

static void send_message(struct conn *c, int size)
{
    if (send(c->fd, message, (size_t)size, MSG_NOSIGNAL) != size)
        die("sending a message");
}

int main(int argc, char **argv)
{
    int ports[MAX_SERVERS], pids[MAX_SERVERS], servers = 0, npids = 0;
    int conns = 100, size = 64, pairs = 20;
    double window = 1.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--ports"))
            servers = parse_list(argv[i + 1], ports);
        else if (!strcmp(argv[i], "--server-pids"))
            npids = parse_list(argv[i + 1], pids);
        else if (!strcmp(argv[i], "--conns"))
            conns = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--size"))
            size = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--window-ms"))
            window = atof(argv[i + 1]) / 1000.0;
        else if (!strcmp(argv[i], "--pairs"))
            pairs = atoi(argv[i + 1]);
        else {
            errno = 0;
            die("unknown option (see the comment at the top of pairgen.c)");
        }
    }
    if (servers < 1 || npids != servers || conns < 1 || size < 1 || size > MAX_SIZE || pairs < 1 || window <= 0) {
        errno = 0;
        die("usage: pairgen --ports P1,P2,.. --server-pids PID1,PID2,.. --conns N --size S --window-ms W --pairs K");
    }
    for (int i = 0; i < size; i++)
        message[i] = (char)('a' + i % 26);

    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1");
    struct conn *all = calloc((size_t)(servers * conns), sizeof *all);
    if (!all)
        die("calloc");

    /* Open and prove every connection with one blocking echo, one at a time: no accept queue overflows. */
    for (int s = 0; s < servers; s++) {
        for (int k = 0; k < conns; k++) {
            struct conn *c = &all[s * conns + k];
            c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (c->fd < 0)
                die("socket");
            struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)ports[s]),
                                      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
            if (connect(c->fd, (struct sockaddr *)&to, sizeof to) < 0)
                die("connecting");
            int one = 1;
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            send_message(c, size);
            while (!receive(c, size))
                ;
            struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
            if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
                die("epoll_ctl");
        }
    }

    struct epoll_event events[MAX_EVENTS];
    for (int pair = -WARM_PAIRS; pair < pairs; pair++) {
        for (int turn = 0; turn < servers; turn++) {
            int s = (pair & 1) ? servers - 1 - turn : turn;
            double user0, kernel0, user1, kernel1;
            cpu_of(pids[s], &user0, &kernel0);
            double start = now(), end = start + window;
            long in_window = 0, total = 0;
            int out = 0;
            for (int k = 0; k < conns; k++) {
                send_message(&all[s * conns + k], size);
                out++;
            }
            while (out > 0) {
                int n = epoll_wait(epfd, events, MAX_EVENTS, 1000);
                if (n < 0 && errno != EINTR)
                    die("epoll_wait");
                double t = now();
                if (t > end + DRAIN_SECONDS) {
                    errno = 0;
                    die("messages not back in time");
                }
                for (int e = 0; e < n; e++) {
                    struct conn *c = events[e].data.ptr;
                    if (!receive(c, size))
                        continue;
                    total++;
                    if (t < end) {
                        in_window++;
                        send_message(c, size);
                    } else {
                        out--;
                    }
                }
            }
            cpu_of(pids[s], &user1, &kernel1);
            if (pair >= 0)
                printf("{\"pair\": %d, \"server\": %d, \"msgs_per_sec\": %.1f, \"user_us_per_msg\": %.4f, "
                       "\"kernel_us_per_msg\": %.4f}\n",
                       pair, s, (double)in_window / window, (user1 - user0) * 1e6 / (double)total,
                       (kernel1 - kernel0) * 1e6 / (double)total);
            fflush(stdout);
        }
    }
    return 0;
}
