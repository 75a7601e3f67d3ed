#define _GNU_SOURCE
#include "CProcessShims.h"
#include <sys/prctl.h>
#include <sys/syscall.h>
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
