/* The container scenario's test workloads, one static binary (no libc in the image): a UDP traffic
 * source and sink for the VF/virtio comparison, a UDP echo service for the load balancer's backends
 * (the client tells backends apart by the address a reply comes from: lb.c rewrites only the
 * destination, so replies go straight back), and a TCP service and prober for the firewall.
 * Every result is one line of key=value pairs on stdout, read by containers/runtime.ts. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void addr_of(struct sockaddr_in *a, const char *ip, int port) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, ip, &a->sin_addr) != 1) {
    fprintf(stderr, "not an IPv4 address: %s\n", ip);
    exit(2);
  }
}

static int bound_udp(int port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 4 << 20;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  struct sockaddr_in a;
  addr_of(&a, "0.0.0.0", port);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
    perror("bind");
    exit(1);
  }
  return s;
}

/* udp-sink PORT IDLE_MS: count datagrams until IDLE_MS pass without one (after the first). */
static int udp_sink(int port, int idle_ms) {
  int s = bound_udp(port);
  printf("listening port=%d\n", port);
  fflush(stdout);
  char buf[2048];
  long n = 0, bytes = 0;
  double first = 0, last = 0;
  for (;;) {
    struct pollfd p = {s, POLLIN, 0};
    int r = poll(&p, 1, n ? idle_ms : 60000);
    if (r <= 0) break;
    ssize_t got = recv(s, buf, sizeof buf, 0);
    if (got < 0) continue;
    if (!n) first = now();
    last = now();
    n++;
    bytes += got;
  }
  printf("received=%ld bytes=%ld seconds=%.6f\n", n, bytes, n > 1 ? last - first : 0.0);
  return 0;
}

/* udp-send ADDR PORT COUNT SIZE: send COUNT datagrams of SIZE bytes as fast as the socket takes them. */
static int udp_send(const char *ip, int port, long count, int size) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a;
  addr_of(&a, ip, port);
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
    perror("connect");
    return 1;
  }
  char buf[2048] = {0};
  if (size > (int)sizeof buf) size = sizeof buf;
  long sent = 0, errors = 0;
  double t0 = now();
  for (long i = 0; i < count; i++) {
    memcpy(buf, &i, sizeof i);
    if (send(s, buf, size, 0) == size)
      sent++;
    else
      errors++;
  }
  printf("sent=%ld errors=%ld seconds=%.6f\n", sent, errors, now() - t0);
  return 0;
}

/* udp-echo PORT: answer every datagram with itself, until killed. */
static _Noreturn void udp_echo(int port) {
  int s = bound_udp(port);
  printf("listening port=%d\n", port);
  fflush(stdout);
  char buf[2048];
  for (;;) {
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t got = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    if (got >= 0) sendto(s, buf, got, 0, (struct sockaddr *)&from, fl);
  }
}

/* udp-flows ADDR PORT FLOWS TIMEOUT_MS: one datagram per flow, each from a new source port; counts
 * the replies by the address they come from. */
static int udp_flows(const char *ip, int port, int flows, int timeout_ms) {
  struct sockaddr_in a;
  addr_of(&a, ip, port);
  char seen[64][INET_ADDRSTRLEN];
  int counts[64] = {0}, kinds = 0, noreply = 0;
  for (int i = 0; i < flows; i++) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    char msg[32];
    int len = snprintf(msg, sizeof msg, "flow %d", i);
    sendto(s, msg, len, 0, (struct sockaddr *)&a, sizeof a);
    struct pollfd p = {s, POLLIN, 0};
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    char buf[64];
    if (poll(&p, 1, timeout_ms) == 1 && recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) >= 0) {
      char name[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &from.sin_addr, name, sizeof name);
      int k = 0;
      while (k < kinds && strcmp(seen[k], name)) k++;
      if (k == kinds && kinds < 64) strcpy(seen[kinds++], name);
      if (k < 64) counts[k]++;
    } else {
      noreply++;
    }
    close(s);
  }
  printf("flows=%d noreply=%d", flows, noreply);
  for (int k = 0; k < kinds; k++) printf(" from.%s=%d", seen[k], counts[k]);
  printf("\n");
  return 0;
}

/* tcp-serve PORT: accept and close, until killed. */
static int tcp_serve(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  addr_of(&a, "0.0.0.0", port);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0) {
    perror("listen");
    return 1;
  }
  printf("listening port=%d\n", port);
  fflush(stdout);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c >= 0) close(c);
  }
}

/* tcp-connect ADDR PORT TIMEOUT_MS: one connection attempt: connected, refused or timeout. */
static int tcp_connect(const char *ip, int port, int timeout_ms) {
  struct sockaddr_in a;
  addr_of(&a, ip, port);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int r = connect(s, (struct sockaddr *)&a, sizeof a);
  const char *result = "connected";
  if (r < 0 && errno == EINPROGRESS) {
    struct pollfd p = {s, POLLOUT, 0};
    if (poll(&p, 1, timeout_ms) != 1) {
      result = "timeout";
    } else {
      int err = 0;
      socklen_t el = sizeof err;
      getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
      result = err == 0 ? "connected" : err == ECONNREFUSED ? "refused" : "error";
    }
  } else if (r < 0) {
    result = errno == ECONNREFUSED ? "refused" : "error";
  }
  printf("result=%s port=%d\n", result, port);
  return 0;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "udp-sink") && argc == 4) return udp_sink(atoi(argv[2]), atoi(argv[3]));
  if (!strcmp(cmd, "udp-send") && argc == 6) return udp_send(argv[2], atoi(argv[3]), atol(argv[4]), atoi(argv[5]));
  if (!strcmp(cmd, "udp-echo") && argc == 3) udp_echo(atoi(argv[2]));
  if (!strcmp(cmd, "udp-flows") && argc == 6) return udp_flows(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
  if (!strcmp(cmd, "tcp-serve") && argc == 3) return tcp_serve(atoi(argv[2]));
  if (!strcmp(cmd, "tcp-connect") && argc == 5) return tcp_connect(argv[2], atoi(argv[3]), atoi(argv[4]));
  fprintf(stderr,
          "usage: workload udp-sink PORT IDLE_MS | udp-send ADDR PORT COUNT SIZE | udp-echo PORT |\n"
          "       udp-flows ADDR PORT FLOWS TIMEOUT_MS | tcp-serve PORT | tcp-connect ADDR PORT TIMEOUT_MS\n");
  return 2;
}
