// Typed wrappers of the Linux process calls that Swift's Glibc module does not import: they are
// declared only under _GNU_SOURCE (pipe2, epoll, the posix_spawn `_np` file actions) or have no
// glibc header on Debian 12 (pidfd_open), or are macros (the wait status decoders).
#ifndef C_PROCESS_SUPPORT_H
#define C_PROCESS_SUPPORT_H

#include <stdint.h>
#include <spawn.h>
#include <sys/types.h>

/// Creates a pipe whose two ends are close-on-exec from the start (no window in which a
/// concurrent spawn could inherit them). Returns 0, or -1 with errno set.
int cps_pipe_cloexec(int fds[2]);

/// Sets the capacity of the pipe `fd` belongs to (`F_SETPIPE_SZ`; the kernel rounds it up to a
/// power-of-two number of pages). Returns the new capacity, or -1 with `errno` set (for example
/// `EPERM` past the user's pipe quota, or `EINVAL` above `/proc/sys/fs/pipe-max-size`).
int cps_pipe_set_capacity(int fd, int bytes);

/// Opens a pidfd (close-on-exec) for `pid`, a child that has not been reaped. Returns the
/// descriptor, or -1 with errno set.
int cps_pidfd_open(pid_t pid);

/// Creates a close-on-exec epoll instance. Returns the descriptor, or -1 with errno set.
int cps_epoll_create(void);

/// Adds `fd` to `epfd` for readability (level-triggered) with `token` as its event data.
/// Returns 0, or -1 with errno set.
int cps_epoll_add(int epfd, int fd, uint64_t token);

/// Removes `fd` from `epfd`. Returns 0, or -1 with errno set.
int cps_epoll_remove(int epfd, int fd);

/// Waits (blocking, `timeout_ms` -1 = forever) for at most `capacity` ready descriptors of
/// `epfd`; stores their tokens in `tokens`. Returns how many, or -1 with errno set.
int cps_epoll_wait(int epfd, uint64_t *tokens, int capacity, int timeout_ms);

/// Spawns the program at `path` (relative paths start from `cwd`; no PATH lookup: glibc's
/// posix_spawnp would search the worker's PATH, not the job's) with `argv` and `envp` (both
/// NULL-terminated), in a new process group of its own, in the directory `cwd`, with stdin from
/// /dev/null, stdout on `stdout_fd`, stderr on `stderr_fd`, every other descriptor closed, an
/// empty signal mask and every signal at its default disposition.
/// Returns 0 and stores the pid, or an errno value (the child's exec error included: ENOENT
/// when the program does not exist, EACCES when it is not executable, and so on).
/// Through the spawn helper (once cps_zygote_start has started it), the exec itself is not waited
/// for: a program that cannot be executed ends with code 126 (127 if it does not exist) and a
/// line on its stderr, and the
/// call returns 0. Check that the program exists and is executable before calling.
int cps_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
              const char *cwd, int stdout_fd, int stderr_fd);

/// Spawns like cps_spawn, always directly from this process with posix_spawn (every descriptor
/// of this process is copied into the child and closed there: slow when many are open).
int cps_spawn_direct(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                     const char *cwd, int stdout_fd, int stderr_fd);

/// Adds to `actions` the closing of every descriptor from `from` up in the child
/// (posix_spawn_file_actions_addclosefrom_np, which glibc declares only under _GNU_SOURCE).
int cps_spawn_actions_close_from(posix_spawn_file_actions_t *actions, int from);

/// Starts the spawn helper (once per process; later calls do nothing): a process forked now,
/// while few descriptors are open, that starts jobs for cps_spawn as children of *this* process
/// (CLONE_PARENT), so a spawn no longer costs time proportional to the descriptors open here.
/// The helper and every job it starts get SIGKILL when the calling *thread* ends, so call it from
/// a thread that lives as long as the process. Returns 0, or an errno value (cps_spawn then
/// spawns directly).
int cps_zygote_start(void);

/// The spawn helper's pid while it serves, else 0 (it is a child of this process that is not a job).
pid_t cps_zygote_pid(void);

/// Decodes a waitpid status: returns 1 and stores the exit code if the process exited, returns 2
/// and stores the signal number if a signal killed it, returns 0 otherwise.
int cps_decode_wait_status(int status, int *value);

/// Names the calling thread (at most 15 bytes are kept), for `top -H` and debuggers.
void cps_name_this_thread(const char *name);

#endif
