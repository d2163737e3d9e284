#define _GNU_SOURCE
#include "instruction_steps.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

enum { max_ranges = 64 };

struct ranges {
    uintptr_t start[max_ranges], end[max_ranges];
    int count;
};

/// The executable mappings of `pid` whose path contains `object`.
static void read_ranges(pid_t pid, const char *object, struct ranges *ranges) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    ranges->count = 0;
    FILE *maps = fopen(path, "r");
    if (!maps) return;
    char line[4096];
    while (fgets(line, sizeof line, maps) && ranges->count < max_ranges) {
        unsigned long start, end;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[2] != 'x') continue;
        if (!strstr(line, object)) continue;
        ranges->start[ranges->count] = start;
        ranges->end[ranges->count] = end;
        ranges->count++;
    }
    fclose(maps);
}

static int in_ranges(const struct ranges *ranges, uintptr_t address) {
    for (int index = 0; index < ranges->count; index++) {
        if (address >= ranges->start[index] && address < ranges->end[index]) return 1;
    }
    return 0;
}

int relay_instruction_steps(char *const argv[], const char *object, uint64_t *counts, int max_spans, int *exit_status) {
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        // The markers must reach the tracer: a blocked or ignored SIGUSR2 (both survive exec,
        // and test runners block signals in their threads) would never stop the child.
        sigset_t markers;
        sigemptyset(&markers);
        sigaddset(&markers, SIGUSR2);
        sigprocmask(SIG_UNBLOCK, &markers, NULL);
        signal(SIGUSR2, SIG_DFL);
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    if (waitpid(child, &status, 0) < 0) return -1;  // the stop at exec
    if (!WIFSTOPPED(status)) {
        *exit_status = status;
        errno = ECHILD;
        return -1;
    }
    const long rip_offset = (long)offsetof(struct user_regs_struct, rip);
    struct ranges ranges = {.count = 0};
    int spans = 0, counting = 0, deliver = 0;
    uint64_t count = 0;
    long previous = 0;
    for (;;) {
        if (ptrace(counting ? PTRACE_SINGLESTEP : PTRACE_CONT, child, NULL, (void *)(long)deliver) < 0) return -1;
        deliver = 0;
        if (waitpid(child, &status, 0) < 0) return -1;
        if (WIFEXITED(status) || WIFSIGNALED(status)) break;
        if (!WIFSTOPPED(status)) continue;
        int signal = WSTOPSIG(status);
        if (signal == SIGTRAP && counting) {
            siginfo_t info;
            if (ptrace(PTRACE_GETSIGINFO, child, NULL, &info) == 0 && info.si_code == TRAP_TRACE) {
                long rip = ptrace(PTRACE_PEEKUSER, child, (void *)rip_offset, NULL);
                if (rip != previous && (!object || in_ranges(&ranges, (uintptr_t)rip))) count++;
                previous = rip;
                continue;
            }
        }
        if (signal == SIGUSR2) {
            // A marker: suppressed, so the child's default action (termination) never happens.
            if (counting) {
                if (spans < max_spans) counts[spans] = count;
                spans++;
                counting = 0;
            } else {
                if (object) read_ranges(child, object, &ranges);
                count = 0;
                previous = 0;
                counting = 1;
            }
            continue;
        }
        if (signal != SIGTRAP) deliver = signal;
    }
    *exit_status = status;
    return spans;
}
