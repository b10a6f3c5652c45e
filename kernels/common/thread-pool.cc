#include "thread-pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace sparq {
namespace {

thread_local bool tls_inside_task = false;

int default_threads() {
  if (const char* env = std::getenv("SPARQ_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return std::min(n, 256);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(std::min(hw, 256u));
}

// Workers sleep on a generation counter; each job bumps it. Tasks are handed
// out through an atomic index so uneven tasks balance themselves.
class Pool {
 public:
  ~Pool() { resize(0); }

  int threads() {
    std::lock_guard<std::mutex> lock(config_mutex_);
    return threads_;
  }

  void set_threads(int n) {
    std::lock_guard<std::mutex> job_lock(job_mutex_);
    std::lock_guard<std::mutex> lock(config_mutex_);
    threads_ = std::clamp(n, 1, 256);
  }

  void run(std::size_t tasks, const std::function<void(std::size_t)>& fn) {
    if (tasks == 0) return;
    if (tasks == 1 || tls_inside_task) return run_inline(tasks, fn);
    std::lock_guard<std::mutex> job_lock(job_mutex_);
    int n;
    {
      std::lock_guard<std::mutex> lock(config_mutex_);
      n = threads_;
    }
    const std::size_t helpers = std::min<std::size_t>(static_cast<std::size_t>(n - 1), tasks - 1);
    if (helpers == 0) return run_inline(tasks, fn);
    resize(helpers);
    {
      std::lock_guard<std::mutex> lock(state_mutex_);
      fn_ = &fn;
      tasks_ = tasks;
      next_.store(0);
      active_workers_ = helpers;
      job_participants_ = helpers;
      ++generation_;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(state_mutex_);
    done_.wait(lock, [&] { return active_workers_ == 0; });
    fn_ = nullptr;
  }

 private:
  static void run_inline(std::size_t tasks, const std::function<void(std::size_t)>& fn) {
    const bool was_inside = tls_inside_task;
    tls_inside_task = true;
    for (std::size_t t = 0; t < tasks; ++t) fn(t);
    tls_inside_task = was_inside;
  }

  void work() {
    const bool was_inside = tls_inside_task;
    tls_inside_task = true;
    for (std::size_t t; (t = next_.fetch_add(1)) < tasks_;) (*fn_)(t);
    tls_inside_task = was_inside;
  }

  // Grows the pool to at least `wanted` workers; resize(0) stops them all.
  // Workers are only added, never removed, while the process runs: idle ones
  // cost nothing but a sleeping thread.
  void resize(std::size_t wanted) {
    if (wanted == 0) {
      {
        std::lock_guard<std::mutex> lock(state_mutex_);
        stopping_ = true;
      }
      wake_.notify_all();
      for (auto& t : workers_) t.join();
      workers_.clear();
      return;
    }
    // A new worker must wait for the *next* job, whose generation is not yet
    // published, so it starts from the current one (read before the thread
    // runs, or it could miss the job it was created for).
    const std::uint64_t current = generation_snapshot();
    while (workers_.size() < wanted) {
      const std::size_t index = workers_.size();
      workers_.emplace_back([this, index, current] { worker_loop(index, current); });
    }
  }

  void worker_loop(std::size_t index, std::uint64_t seen) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(state_mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        // Only the first `active_workers_` workers of this job take part.
        if (index >= job_participants_) continue;
      }
      work();
      std::lock_guard<std::mutex> lock(state_mutex_);
      if (--active_workers_ == 0) done_.notify_one();
    }
  }

  std::uint64_t generation_snapshot() {
    std::lock_guard<std::mutex> lock(state_mutex_);
    return generation_;
  }

  std::mutex job_mutex_;     // one job at a time
  std::mutex config_mutex_;  // threads_
  std::mutex state_mutex_;   // everything the workers read
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(std::size_t)>* fn_ = nullptr;
  std::size_t tasks_ = 0;
  std::atomic<std::size_t> next_{0};
  std::size_t active_workers_ = 0;
  std::size_t job_participants_ = 0;
  std::uint64_t generation_ = 0;
  bool stopping_ = false;
  int threads_ = default_threads();
};

Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process
  // exit races with Node's own teardown.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

int thread_count() { return pool().threads(); }

void set_thread_count(int n) { pool().set_threads(n); }

void parallel_for(std::size_t tasks, const std::function<void(std::size_t)>& fn) { pool().run(tasks, fn); }

std::size_t chunk_size(std::size_t total, std::size_t parts, std::size_t align) {
  if (parts == 0) parts = 1;
  if (align == 0) align = 1;
  std::size_t chunk = (total + parts - 1) / parts;
  chunk = (chunk + align - 1) / align * align;
  return chunk == 0 ? align : chunk;
}

}  // namespace sparq
