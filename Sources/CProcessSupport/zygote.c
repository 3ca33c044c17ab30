#define _GNU_SOURCE
#include "CProcessSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// The spawn helper ("zygote").
//
// Why: posix_spawn from the worker copies the worker's whole descriptor table into every child,
// and the child then closes it descriptor by descriptor; with thousands of jobs running (two pipes
// and a pidfd each) that made every spawn cost time proportional to the jobs already running.
// The zygote is forked once, while the worker holds few descriptors. For each job the worker
// sends it the program, arguments, environment and directory plus the two pipe write ends
// (SCM_RIGHTS); the zygote forks the job with CLONE_PARENT, so the job is the *worker's* child
// (the worker's reaper waits for it as before), and answers 0 or the exec errno.
//
// The zygote is a fork of a multithreaded process: it only makes async-signal-safe calls (raw
// system calls, no malloc), and reads requests into a fixed static buffer.

#define ZYGOTE_MAX_REQUEST (8u << 20)
#define ZYGOTE_MAX_STRINGS 4096

static int zygote_socket = -1;
static pid_t worker_pid = 0;
static pid_t zygote_pid = 0;
static pthread_mutex_t zygote_lock = PTHREAD_MUTEX_INITIALIZER;
static char request_buffer[ZYGOTE_MAX_REQUEST];

// A decimal count; -1 when the text is not one. (strtol is not async-signal-safe.)
static long parse_count(const char *text) {
    long value = 0;
    if (*text == '\0') return -1;
    for (; *text; text++) {
        if (*text < '0' || *text > '9' || value > 1000000) return -1;
        value = value * 10 + (*text - '0');
    }
    return value;
}

static int read_full(int fd, void *buffer, size_t length) {
    char *p = buffer;
    while (length > 0) {
        ssize_t n = read(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const void *buffer, size_t length) {
    const char *p = buffer;
    while (length > 0) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

// In the job, after the fork: set up and exec. On failure: a line on stderr, exit 127.
static void become_job(const char *path, char **argv, char **envp, const char *cwd, int out, int err) {
    // Die with the worker: a worker killed outright must not leave its jobs running unsupervised
    // while the leader runs them again elsewhere. The job's parent is the worker (CLONE_PARENT);
    // if it is already gone, the job must not start at all.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != worker_pid) {
        _exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
    }
    sigprocmask(SIG_SETMASK, &none, NULL);
    const char *step = "setpgid";
    if (setpgid(0, 0) != 0) goto fail;
    step = "open /dev/null";
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0) goto fail;
    step = "dup2";
    if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) goto fail;
    step = "chdir";
    if (chdir(cwd) != 0) goto fail;
    // Everything from 3 up closes at exec.
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    step = "exec";
    execve(path, argv, envp);
fail:;
    // strerror is not async-signal-safe: name the step and the errno number.
    char line[160];
    int saved_errno = errno;
    int code = saved_errno;
    size_t n = 0;
    const char *prefix = "titan: cannot start the job: ";
    for (const char *p = prefix; *p && n < sizeof line - 40; p++) line[n++] = *p;
    for (const char *p = step; *p && n < sizeof line - 30; p++) line[n++] = *p;
    const char *middle = " failed, errno ";
    for (const char *p = middle; *p && n < sizeof line - 16; p++) line[n++] = *p;
    char digits[12];
    int d = 0;
    do { digits[d++] = (char)('0' + code % 10); code /= 10; } while (code > 0 && d < 11);
    while (d > 0) line[n++] = digits[--d];
    line[n++] = '\n';
    write_full(2, line, n);
    // The shell's convention: 127 when there is nothing to run, 126 when it cannot be run.
    int failed = saved_errno;
    _exit(failed == ENOENT || failed == ENOTDIR ? 127 : 126);
}

struct job_start {
    const char *path;
    char **argv;
    char **envp;
    const char *cwd;
    int out;
    int err;
};

// The job's stack while it shares the helper's memory (until exec); requests are served one at a
// time, so one stack is enough.
static char job_stack[256 * 1024] __attribute__((aligned(16)));

static int start_job(void *argument) {
    struct job_start *start = argument;
    become_job(start->path, start->argv, start->envp, start->cwd, start->out, start->err);
    return 127;
}

// One request: u32 length, then NUL-separated strings: path, cwd, argc argv..., envc envp...
// with argc and envc as decimal strings. Two descriptors ride along: stdout and stderr.
static int serve_one(void) {
    uint32_t length = 0;
    int fds[2] = {-1, -1};
    char control[CMSG_SPACE(sizeof(int) * 2)];
    struct iovec iov = {.iov_base = &length, .iov_len = sizeof length};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t got;
    do { got = recvmsg(zygote_socket, &message, MSG_CMSG_CLOEXEC); } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof length) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int) * 2)) {
            memcpy(fds, CMSG_DATA(c), sizeof fds);
        }
    }
    int result = EINVAL;
    if (length == 0 || length > ZYGOTE_MAX_REQUEST || read_full(zygote_socket, request_buffer, length) != 0) {
        return -1;
    }
    static char *strings[ZYGOTE_MAX_STRINGS];
    size_t count = 0;
    for (size_t i = 0, start = 0; i < length && count < ZYGOTE_MAX_STRINGS; i++) {
        if (request_buffer[i] == '\0') {
            strings[count++] = &request_buffer[start];
            start = i + 1;
        }
    }
    if (fds[0] >= 0 && fds[1] >= 0 && count >= 4) {
        const char *path = strings[0];
        const char *cwd = strings[1];
        long argc = parse_count(strings[2]);
        if (argc > 0 && (size_t)(3 + argc + 1) <= count) {
            long envc = parse_count(strings[3 + argc]);
            if (envc >= 0 && (size_t)(4 + argc + envc) <= count && (size_t)(4 + argc + envc) < ZYGOTE_MAX_STRINGS) {
                char **argv = &strings[3];
                char **envp = &strings[4 + argc];
                // The strings array is reused per request; terminate both lists in place by
                // shifting: argv ends where the envc string was, envp ends after its last entry.
                strings[3 + argc] = NULL;
                char *saved = strings[4 + argc + envc];
                strings[4 + argc + envc] = NULL;
                // The job is not waited for: the worker has already checked that the program
                // exists and is executable, and an exec that still fails ends the job with 127
                // and a line on its stderr (the job's own output, which its owner reads).
                // CLONE_VM | CLONE_VFORK: the child borrows the helper's memory until it execs
                // (the helper waits), so no page table is copied; it runs on its own stack.
                struct job_start start = {path, argv, envp, cwd, fds[0], fds[1]};
                int pid = clone(start_job, job_stack + sizeof job_stack, CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD, &start);
                result = pid < 0 ? errno : 0;
                int32_t reply[2] = {result, pid < 0 ? 0 : (int32_t)pid};
                close(fds[0]);
                close(fds[1]);
                strings[4 + argc + envc] = saved;
                return write_full(zygote_socket, reply, sizeof reply);
                strings[4 + argc + envc] = saved;
            }
        }
    }
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    int32_t reply[2] = {result, 0};
    return write_full(zygote_socket, reply, sizeof reply);
}

// Call from a thread that lives as long as the process: the helper and the jobs it starts get
// SIGKILL when the thread that forked the helper ends (PR_SET_PDEATHSIG follows that thread).
int cps_zygote_start(void) {
    pthread_mutex_lock(&zygote_lock);
    if (zygote_socket >= 0) {
        pthread_mutex_unlock(&zygote_lock);
        return 0;
    }
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        int saved = errno;
        pthread_mutex_unlock(&zygote_lock);
        return saved;
    }
    pid_t parent = getpid();
    worker_pid = parent;
    long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
    if (pid < 0) {
        int saved = errno;
        close(pair[0]);
        close(pair[1]);
        pthread_mutex_unlock(&zygote_lock);
        return saved;
    }
    if (pid == 0) {
        // The zygote: die with the worker, keep only its socket, serve until the worker goes.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(0);
        struct sigaction ignore;
        memset(&ignore, 0, sizeof ignore);
        ignore.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &ignore, NULL);
        if (dup2(pair[1], 3) < 0) _exit(1);
        syscall(SYS_close_range, 4, ~0U, 0);
        zygote_socket = 3;
        while (serve_one() == 0) {}
        _exit(0);
    }
    close(pair[1]);
    zygote_socket = pair[0];
    zygote_pid = (pid_t)pid;
    pthread_mutex_unlock(&zygote_lock);
    return 0;
}

static int zygote_call(pid_t *pid, int stdout_fd, int stderr_fd, const char *buffer, uint32_t length) {
    pthread_mutex_lock(&zygote_lock);
    if (zygote_socket < 0) {
        pthread_mutex_unlock(&zygote_lock);
        return -1;
    }
    int fds[2] = {stdout_fd, stderr_fd};
    char control[CMSG_SPACE(sizeof fds)];
    memset(control, 0, sizeof control);
    struct iovec iov = {.iov_base = &length, .iov_len = sizeof length};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *c = CMSG_FIRSTHDR(&message);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    ssize_t sent;
    do { sent = sendmsg(zygote_socket, &message, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
    int32_t reply[2] = {0, 0};
    if (sent != (ssize_t)sizeof length || write_full(zygote_socket, buffer, length) != 0 ||
        read_full(zygote_socket, reply, sizeof reply) != 0) {
        // The zygote is gone: spawn directly from now on.
        close(zygote_socket);
        zygote_socket = -1;
        pthread_mutex_unlock(&zygote_lock);
        return -1;
    }
    pthread_mutex_unlock(&zygote_lock);
    *pid = reply[1];
    return reply[0];
}

static int append(char **buffer, size_t *used, size_t *capacity, const char *text) {
    size_t length = strlen(text) + 1;
    if (*used + length > ZYGOTE_MAX_REQUEST) return -1;
    if (*used + length > *capacity) {
        size_t grown = (*capacity * 2 > *used + length) ? *capacity * 2 : *used + length;
        char *bigger = realloc(*buffer, grown);
        if (!bigger) return -1;
        *buffer = bigger;
        *capacity = grown;
    }
    memcpy(*buffer + *used, text, length);
    *used += length;
    return 0;
}

int cps_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
              const char *cwd, int stdout_fd, int stderr_fd) {
    if (zygote_socket >= 0) {
        size_t argc = 0, envc = 0;
        while (argv[argc]) argc++;
        while (envp[envc]) envc++;
        size_t used = 0, capacity = 4096;
        char *buffer = malloc(capacity);
        char number[24];
        int ok = buffer != NULL && append(&buffer, &used, &capacity, path) == 0 && append(&buffer, &used, &capacity, cwd) == 0;
        snprintf(number, sizeof number, "%zu", argc);
        ok = ok && append(&buffer, &used, &capacity, number) == 0;
        for (size_t i = 0; ok && i < argc; i++) ok = append(&buffer, &used, &capacity, argv[i]) == 0;
        snprintf(number, sizeof number, "%zu", envc);
        ok = ok && append(&buffer, &used, &capacity, number) == 0;
        for (size_t i = 0; ok && i < envc; i++) ok = append(&buffer, &used, &capacity, envp[i]) == 0;
        ok = ok && argc + envc + 5 < ZYGOTE_MAX_STRINGS;
        if (ok) {
            int rc = zygote_call(pid, stdout_fd, stderr_fd, buffer, (uint32_t)used);
            free(buffer);
            if (rc >= 0) return rc;
        } else {
            free(buffer);
            if (buffer != NULL) return E2BIG;
            return ENOMEM;
        }
    }
    return cps_spawn_direct(pid, path, argv, envp, cwd, stdout_fd, stderr_fd);
}

pid_t cps_zygote_pid(void) {
    return zygote_socket >= 0 ? zygote_pid : 0;
}
