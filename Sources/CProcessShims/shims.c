#define _GNU_SOURCE
#include "CProcessShims.h"
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <stdint.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <link.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

int mpetl_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

int mpetl_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int mpetl_shared_memory_file(const char *name, off_t size) {
    int descriptor = memfd_create(name, MFD_CLOEXEC);
    if (descriptor < 0) return -1;
    if (ftruncate(descriptor, size) != 0) {
        int saved = errno;
        close(descriptor);
        errno = saved;
        return -1;
    }
    return descriptor;
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

struct mpetl_build_id_search {
    unsigned char *out;
    int capacity;
    int length;
};

// Looks through the main program's PT_NOTE segments (the first object dl_iterate_phdr
// reports) for the GNU build-id note the linker writes.
static int mpetl_find_build_id(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct mpetl_build_id_search *search = data;
    for (int index = 0; index < info->dlpi_phnum; index++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[index];
        if (header->p_type != PT_NOTE) continue;
        const char *note = (const char *)(info->dlpi_addr + header->p_vaddr);
        const char *end = note + header->p_memsz;
        while (note + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *entry = (const ElfW(Nhdr) *)note;
            const char *name = note + sizeof(ElfW(Nhdr));
            const unsigned char *desc = (const unsigned char *)(name + ((entry->n_namesz + 3) & ~3u));
            if (entry->n_type == NT_GNU_BUILD_ID && entry->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                int length = (int)entry->n_descsz < search->capacity ? (int)entry->n_descsz : search->capacity;
                memcpy(search->out, desc, (size_t)length);
                search->length = length;
                return 1;
            }
            note = (const char *)desc + ((entry->n_descsz + 3) & ~3u);
        }
    }
    return 1;  // only the first object, the program itself
}

int mpetl_build_id(unsigned char *out, int capacity) {
    struct mpetl_build_id_search search = { out, capacity, 0 };
    dl_iterate_phdr(mpetl_find_build_id, &search);
    return search.length;
}

static volatile int mpetl_stop_signal_fd = -1;

// Async-signal-safe: one byte, the signal's number, into a pipe the driver's agent polls.
static void mpetl_note_stop_signal(int signal) {
    int saved = errno;
    unsigned char number = (unsigned char)signal;
    if (mpetl_stop_signal_fd >= 0) (void)write(mpetl_stop_signal_fd, &number, 1);
    errno = saved;
}

int mpetl_watch_stop_signals(const int *signals, int count, int *read_fd) {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
    mpetl_stop_signal_fd = fds[1];
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = mpetl_note_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigset_t unblocked;
    sigemptyset(&unblocked);
    for (int index = 0; index < count; index++) {
        if (sigaction(signals[index], &action, NULL) != 0) return -1;
        sigaddset(&unblocked, signals[index]);
    }
    // A parent may have blocked them (masks are inherited); they must reach this process.
    pthread_sigmask(SIG_UNBLOCK, &unblocked, NULL);
    *read_fd = fds[0];
    return 0;
}

int mpetl_release_free_memory(void) {
    return malloc_trim(0);
}

int mpetl_event_descriptor(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

int mpetl_signal_event(int descriptor) {
    uint64_t one = 1;
    return write(descriptor, &one, sizeof one) == sizeof one ? 0 : -1;
}

int mpetl_clear_event(int descriptor) {
    uint64_t count = 0;
    return read(descriptor, &count, sizeof count) == sizeof count ? 1 : 0;
}
