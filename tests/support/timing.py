"""How long "at once" is in a test that shares the machine with the suite's other workers.

A flow test tells "answered at once" from "held behind something" (a chat in a 429 for 20 s, forty guesses
answered at one a second, a long answer going out at the chat's pace). The held case waits many seconds;
the answer at once takes a fraction of one on a quiet machine, and up to about a second while four workers
share two cores. So the bound sits between the two, far from both: a test that fails on it has found a
held answer, not a busy machine. How fast an answer really is comes from the benchmarks, in one run
side by side (`python -m benchmarks`), never from these bounds."""

AT_ONCE = 3.0  # seconds
