// A small persistent thread pool shared by every CPU kernel.
//
// parallel_for(tasks, fn) runs fn(task) for every task in [0, tasks) on the
// calling thread plus (thread_count() - 1) workers, and returns when all are
// done. Calls from several threads at once are serialized; a call made from
// inside a task runs inline, so kernels may nest without deadlock.
#pragma once

#include <cstddef>
#include <functional>

namespace sparq {

// Number of threads a parallel_for uses, >= 1. Default: SPARQ_THREADS from the
// environment, else the number of online CPUs.
int thread_count();

// Sets the thread count (clamped to [1, 256]); workers start lazily, on the first job that needs them.
void set_thread_count(int n);

void parallel_for(std::size_t tasks, const std::function<void(std::size_t task)>& fn);

// The work each thread taking part in a job must have to pay for its
// wake-up and the join, in multiply-adds (a float's, or a 4-byte int8 dot
// product group's: one SIMD lane step either way). The single-image layers of
// the pruned example models (10-30 us on one core) ran their whole model 2-4x
// slower on two threads than on one: the split saved less than the hand-off,
// and the woken worker spun on beside the calling thread between layers.
// With this minimum they run on one thread, batched calls on all of them.
constexpr std::size_t kMinWorkPerThread = std::size_t{1} << 18;

// Threads a job of `tasks` tasks and `work` multiply-adds runs on when
// `threads` are available: at most one per task and per kMinWorkPerThread, at least 1.
std::size_t threads_for_work(std::size_t tasks, std::size_t work, std::size_t threads);

// parallel_for on threads_for_work(tasks, work, thread_count()) threads. The
// tasks are the same on any number of threads, so the results are too.
void parallel_for(std::size_t tasks, std::size_t work, const std::function<void(std::size_t task)>& fn);

}  // namespace sparq
