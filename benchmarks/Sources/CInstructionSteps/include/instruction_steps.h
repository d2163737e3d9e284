#ifndef RELAY_INSTRUCTION_STEPS_H
#define RELAY_INSTRUCTION_STEPS_H

#include <stdint.h>

/// Runs `argv[0]` (searched in PATH) with `argv` under ptrace and counts, natively, the user-mode
/// instructions the CPU executes inside the spans the child marks by raising SIGUSR2 (once to
/// start a span, once to end it): inside a span the child is single-stepped, one step per
/// instruction, and an instruction that repeats in place (each iteration of a REP string
/// instruction) counts once, as the CPU's retired-instruction counter counts it.
///
/// When `object` is not NULL, only instructions whose address lies in an executable mapping of a
/// file whose path contains `object` are counted (the mappings are read when each span starts).
///
/// Writes at most `max_spans` counts to `counts` and the child's exit status (as `waitpid` reports
/// it) to `exit_status`. Returns the number of spans, or -1 with `errno` set when the child could
/// not be started or traced.
int relay_instruction_steps(char *const argv[], const char *object, uint64_t *counts, int max_spans, int *exit_status);

#endif
