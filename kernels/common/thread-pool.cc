#include "thread-pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>  // _mm_pause is SSE2: baseline on x86-64
#endif

namespace sparq {
namespace {

thread_local bool tls_inside_task = false;

constexpr int kMaxThreads = 256;

int default_threads() {
  if (const char* env = std::getenv("SPARQ_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return std::min(n, kMaxThreads);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(std::min(hw, static_cast<unsigned>(kMaxThreads)));
}

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// How long a thread spins on an atomic before sleeping on a condition
// variable: about 50-100 us. Kernels are often called back to back (layer
// after layer); a futex sleep and wake-up per call costs more than a short
// GEMM on two cores, while spinning longer would steal the core from other
// work between calls.
constexpr int kSpinIterations = 1000;

// Workers wait for a new job generation; each job bumps it. Tasks are handed
// out through an atomic index so uneven tasks balance themselves.
//
// The generation and the job's participant count are one atomic word, so a
// worker always reads the pair a job published. Read apart, a worker woken
// late for a job it was not part of could see the *next* job's participant
// count with the old generation, take part in the next job, then take part in
// it again once it saw the new generation: the pending count went below zero
// and run() waited forever (or ran fn_ after it was cleared).
class Pool {
 public:
  int threads() const { return threads_.load(); }

  void set_threads(int n) { threads_.store(std::clamp(n, 1, kMaxThreads)); }

  void run(std::size_t tasks, const std::function<void(std::size_t)>& fn) {
    if (tasks == 0) return;
    if (tasks == 1 || tls_inside_task) return run_inline(tasks, fn);
    std::lock_guard<std::mutex> job_lock(job_mutex_);
    const std::size_t helpers = std::min<std::size_t>(static_cast<std::size_t>(threads_.load() - 1), tasks - 1);
    if (helpers == 0) return run_inline(tasks, fn);
    grow(helpers);
    fn_ = &fn;
    tasks_ = tasks;
    next_.store(0);
    pending_.store(helpers);
    {
      // Published under the mutex so a worker that checks the word under it
      // before sleeping cannot miss the wake-up.
      std::lock_guard<std::mutex> lock(state_mutex_);
      const std::uint64_t generation = (job_.load(std::memory_order_relaxed) >> kParticipantBits) + 1;
      job_.store(generation << kParticipantBits | helpers, std::memory_order_release);
    }
    wake_.notify_all();
    work();
    for (int i = 0; i < kSpinIterations && pending_.load(std::memory_order_acquire) != 0; ++i) cpu_relax();
    if (pending_.load(std::memory_order_acquire) != 0) {
      std::unique_lock<std::mutex> lock(state_mutex_);
      done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    fn_ = nullptr;
  }

 private:
  static constexpr int kParticipantBits = 9;  // holds up to kMaxThreads - 1 helpers
  static constexpr std::uint64_t kParticipantMask = (std::uint64_t{1} << kParticipantBits) - 1;

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

  // Grows the pool to at least `wanted` workers. Workers are only added while
  // the process runs: an idle one costs nothing but a sleeping thread.
  void grow(std::size_t wanted) {
    // A new worker must wait for the *next* job, whose generation is not yet
    // published, so it starts from the current one (read before the thread
    // runs, or it could miss the job it was created for).
    const std::uint64_t current = job_.load() >> kParticipantBits;
    while (workers_.size() < wanted) {
      const std::size_t index = workers_.size();
      workers_.emplace_back([this, index, current] { worker_loop(index, current); });
    }
  }

  void worker_loop(std::size_t index, std::uint64_t seen) {
    const auto is_new = [&](std::uint64_t job) { return job >> kParticipantBits != seen; };
    for (;;) {
      std::uint64_t job = job_.load(std::memory_order_acquire);
      for (int i = 0; i < kSpinIterations && !is_new(job); ++i) {
        cpu_relax();
        job = job_.load(std::memory_order_acquire);
      }
      if (!is_new(job)) {
        std::unique_lock<std::mutex> lock(state_mutex_);
        wake_.wait(lock, [&] { return is_new(job = job_.load(std::memory_order_acquire)); });
      }
      seen = job >> kParticipantBits;
      // Only the first participants workers take part in a job. A job that
      // counts this worker cannot end, nor the next be published, before this
      // worker has taken part, so the job read here is still the current one.
      if (index >= (job & kParticipantMask)) continue;
      work();
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(state_mutex_);
        done_.notify_one();
      }
    }
  }

  std::mutex job_mutex_;    // one job at a time; guards the job fields below
  std::mutex state_mutex_;  // sleeping and waking
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  // The current job, written before its generation is published.
  const std::function<void(std::size_t)>* fn_ = nullptr;
  std::size_t tasks_ = 0;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> pending_{0};  // participating workers not yet done
  // generation << kParticipantBits | participating workers, published together.
  std::atomic<std::uint64_t> job_{0};
  std::atomic<int> threads_{default_threads()};
};

Pool& pool() {
  // Leaked on purpose, workers and all: joining threads from a static
  // destructor at process exit races with Node's own teardown, and sleeping
  // workers do not keep the process alive.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

int thread_count() { return pool().threads(); }

void set_thread_count(int n) { pool().set_threads(n); }

void parallel_for(std::size_t tasks, const std::function<void(std::size_t)>& fn) { pool().run(tasks, fn); }

}  // namespace sparq
