// thread-pool: how many threads a job of given work runs on
// (threads_for_work), and that parallel_for with its work runs every task
// once, a job below kMinWorkPerThread all on the calling thread.
#include <atomic>
#include <thread>
#include <vector>

#include "check.h"
#include "kernels/common/thread-pool.h"

using namespace sparq;

namespace {

// Runs `tasks` tasks of a job of `work` multiply-adds; true when each ran once and, if `inline_only`, on this thread.
bool runs_each_once(std::size_t tasks, std::size_t work, bool inline_only) {
  std::vector<std::atomic<int>> ran(tasks);
  std::atomic<bool> elsewhere{false};
  const std::thread::id caller = std::this_thread::get_id();
  parallel_for(tasks, work, [&](std::size_t t) {
    ran[t].fetch_add(1, std::memory_order_relaxed);
    if (std::this_thread::get_id() != caller) elsewhere.store(true, std::memory_order_relaxed);
  });
  for (const std::atomic<int>& r : ran)
    if (r.load() != 1) return false;
  return !(inline_only && elsewhere.load());
}

// The pool is portable code: one "variant", so the checks are counted.
struct PortablePool {
  const char* name;
  Isa isa;
};
constexpr PortablePool kPool[] = {{"thread-pool", Isa::kScalar}};

}  // namespace

CHECK_FAMILY("thread-pool") {
  c.variants(kPool, 1, [&](const PortablePool&) {
    constexpr std::size_t kMin = kMinWorkPerThread;
    c.expect(threads_for_work(8, 0, 2) == 1, "no work: 1 thread");
    c.expect(threads_for_work(8, kMin - 1, 16) == 1, "under the minimum: 1 thread");
    c.expect(threads_for_work(8, 2 * kMin, 2) == 2, "twice the minimum on 2 threads: 2");
    c.expect(threads_for_work(8, 3 * kMin, 16) == 3, "3 minimums on 16 threads: 3");
    c.expect(threads_for_work(2, 100 * kMin, 16) == 2, "2 tasks: at most 2 threads");
    c.expect(threads_for_work(0, 100 * kMin, 16) == 1, "no tasks: 1 thread");
    c.expect(threads_for_work(64, 100 * kMin, 4) == 4, "at most the threads available");
    const int threads = thread_count();
    set_thread_count(2);
    c.expect(runs_each_once(16, kMin - 1, true), "16 tasks under the minimum: each once, on the calling thread");
    c.expect(runs_each_once(16, 64 * kMin, false), "16 tasks of 64 minimums: each once");
    c.expect(runs_each_once(1, 64 * kMin, true), "1 task: inline");
    set_thread_count(threads);
  });
}
