// Stress driver for kernels/common/thread-pool.cc, built by
// test/threads.test.ts with -fsanitize=thread and run under a time limit.
//
// Many short jobs of varying task counts and work, thread counts above and below the
// core count changed between jobs, several caller threads at once, and jobs
// nested inside tasks. Every job checks that each task ran exactly once.
// A lost wake-up or a miscounted job shows up as a hang (the test's time
// limit), a wrong count as exit status 1, a data race as a TSan report.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "kernels/common/thread-pool.h"

namespace {

bool run_jobs(unsigned seed, int jobs) {
  for (int j = 0; j < jobs; ++j) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t tasks = 1 + (seed >> 8) % 24;
    if ((seed >> 4) % 16 == 0) sparq::set_thread_count(1 + static_cast<int>((seed >> 12) % 9));
    std::vector<std::atomic<int>> ran(tasks);
    const bool nest = (seed >> 20) % 8 == 0;
    const auto task = [&](std::size_t t) {
      ran[t].fetch_add(1, std::memory_order_relaxed);
      if (nest) {
        std::atomic<int> inner{0};
        sparq::parallel_for(3, [&](std::size_t) { inner.fetch_add(1, std::memory_order_relaxed); });
        if (inner.load() != 3) ran[t].fetch_add(100, std::memory_order_relaxed);
      }
    };
    // Half the jobs give their work: 0 to 4 threads' worth, so fewer helpers than tasks or threads.
    if ((seed >> 24) % 2 == 0) sparq::parallel_for(tasks, (seed >> 25) % 5 * sparq::kMinWorkPerThread, task);
    else sparq::parallel_for(tasks, task);
    for (std::size_t t = 0; t < tasks; ++t) {
      if (ran[t].load() != 1) {
        std::fprintf(stderr, "job %d: task %zu of %zu ran %d times\n", j, t, tasks, ran[t].load());
        return false;
      }
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int callers = argc > 2 ? std::atoi(argv[2]) : 3;
  std::atomic<bool> ok{true};
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c)
    threads.emplace_back([&, c] {
      if (!run_jobs(12345u + 977u * static_cast<unsigned>(c), jobs)) ok = false;
    });
  for (std::thread& t : threads) t.join();
  std::printf("%s: %d callers x %d jobs\n", ok ? "ok" : "FAILED", callers, jobs);
  return ok ? 0 : 1;
}
