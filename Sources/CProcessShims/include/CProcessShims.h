#ifndef MPETL_CPROCESSSHIMS_H
#define MPETL_CPROCESSSHIMS_H

#include <sys/types.h>

// Linux process calls Swift cannot make directly: prctl is variadic, and pidfd_open has no
// wrapper on every glibc. Each returns -1 and sets errno on failure, like the call it wraps.

/// Asks the kernel to send `signal` to this process when its parent thread exits.
int mpetl_set_parent_death_signal(int signal);

/// A file descriptor that becomes readable when process `pid` exits (close-on-exec).
int mpetl_pidfd_open(pid_t pid);

/// An anonymous shared-memory file of `size` bytes (close-on-exec), for memory a parent maps
/// and hands to a child it spawns; -1 with errno on failure.
int mpetl_shared_memory_file(const char *name, off_t size);

/// Names the calling thread (the first 15 bytes), as `top -H` and /proc/self/task/N/comm show it.
int mpetl_set_thread_name(const char *name);

/// The calling thread's kernel id, as /proc/self/task lists it.
pid_t mpetl_thread_id(void);

/// Copies the running program's GNU build id (the linker's unique id of this build) into
/// `out`; returns its length, 0 when the program has none.
int mpetl_build_id(unsigned char *out, int capacity);

/// Installs, before it returns, a handler for each of `signals` that writes the signal's
/// number (one byte) into a non-blocking pipe, and unblocks them in the calling thread; sets
/// `read_fd` to the pipe's read end. A signal that arrives a moment later is never lost.
int mpetl_watch_stop_signals(const int *signals, int count, int *read_fd);

/// Returns the allocator's free memory to the system (glibc's malloc_trim), so resident memory
/// shows what is held; for measurements.
int mpetl_release_free_memory(void);

/// An eventfd (non-blocking, close-on-exec): any thread may wake a thread that polls it.
int mpetl_event_descriptor(void);

/// Adds one to an eventfd's count, making it readable; -1 with errno on failure.
int mpetl_signal_event(int descriptor);

/// Reads (and so clears) an eventfd's count; 0 when it was not signalled.
int mpetl_clear_event(int descriptor);

#endif
