#define _GNU_SOURCE
#include "CProcessShims.h"
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int mpetl_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

int mpetl_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int mpetl_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

pid_t mpetl_thread_id(void) {
    return (pid_t)syscall(SYS_gettid);
}

// Before main, and so before any output a program makes: a worker (MPETL_WORKER set by its
// driver) writes its standard output and error a whole line at a time, so what several
// workers print to one pipe or terminal interleaves only at line ends. Lines up to 64 KiB
// leave in one write(2); a pipe keeps writes of up to 4 KiB (PIPE_BUF) whole, longer ones
// may be split by the kernel when the reader lags. A constructor, because code before start() already runs in every
// worker, and setvbuf must come before a stream's first output.
__attribute__((constructor)) static void mpetl_line_buffer_worker_output(void) {
    if (getenv("MPETL_WORKER") == NULL) return;
    setvbuf(stdout, NULL, _IOLBF, 1 << 16);
    setvbuf(stderr, NULL, _IOLBF, 1 << 16);
}
