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

}  // namespace sparq
