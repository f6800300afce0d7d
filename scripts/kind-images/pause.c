/*
 * pause: the process that holds a pod's namespaces open. Written here (the
 * upstream image cannot be pulled): it waits for signals, reaps the zombies a
 * shared PID namespace hands it, and exits 0 on SIGINT or SIGTERM.
 * Built static by build-images.sh: gcc -static -O2 -o pause pause.c
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("pause (failover-harness build)");
    return 0;
  }
  struct sigaction term = {.sa_handler = quit};
  struct sigaction child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
  sigaction(SIGINT, &term, NULL);
  sigaction(SIGTERM, &term, NULL);
  sigaction(SIGCHLD, &child, NULL);
  for (;;) pause();
}
