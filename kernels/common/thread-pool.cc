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
// worker always reads the pair a job published.
//
// A worker takes part only by taking one of the job's seats, and run() waits
// only for the workers seated: once the caller has run out of tasks it closes
// the job, and a worker that comes later (a sleeping one, or one whose core
// another process holds) finds it closed and does nothing. Waiting for every
// helper to check in instead made a call as slow as the latest worker's
// wake-up even when the caller had run every task itself: on two cores
// shared with other processes, qgemm at 256^3 (two tasks) ran at 238 GOP/s
// on two threads against 403 on one, while onnxruntime, whose pool runs
// itself the work a worker has not started, kept its one-thread rate.
class Pool {
 public:
  int threads() const { return threads_.load(); }

  void set_threads(int n) { threads_.store(std::clamp(n, 1, kMaxThreads)); }

  // Runs the tasks on at most `max_threads` threads (the calling one included).
  void run(std::size_t tasks, std::size_t max_threads, const std::function<void(std::size_t)>& fn) {
    if (tasks == 0) return;
    if (tasks == 1 || max_threads <= 1 || tls_inside_task) return run_inline(tasks, fn);
    std::lock_guard<std::mutex> job_lock(job_mutex_);
    const std::size_t helpers = std::min({static_cast<std::size_t>(threads_.load() - 1), tasks - 1, max_threads - 1});
    if (helpers == 0) return run_inline(tasks, fn);
    grow(helpers);
    fn_ = &fn;
    tasks_ = tasks;
    next_.store(0);
    seats_.store(static_cast<std::uint64_t>(helpers) << kSeatShift, std::memory_order_release);
    {
      // Published under the mutex so a worker that checks the word under it
      // before sleeping cannot miss the wake-up.
      std::lock_guard<std::mutex> lock(state_mutex_);
      const std::uint64_t generation = (job_.load(std::memory_order_relaxed) >> kParticipantBits) + 1;
      job_.store(generation << kParticipantBits | helpers, std::memory_order_release);
    }
    wake_.notify_all();
    work();
    // Every task is taken: close the seats, then wait for the seated workers' tasks.
    const auto busy = [&] { return (seats_.load(std::memory_order_acquire) & kSeatedMask) != 0; };
    if ((seats_.fetch_or(kClosed, std::memory_order_acq_rel) & kSeatedMask) != 0) {
      for (int i = 0; i < kSpinIterations && busy(); ++i) cpu_relax();
      if (busy()) {
        std::unique_lock<std::mutex> lock(state_mutex_);
        done_.wait(lock, [&] { return !busy(); });
      }
    }
    fn_ = nullptr;
  }

 private:
  static constexpr int kParticipantBits = 9;  // holds up to kMaxThreads - 1 helpers
  static constexpr std::uint64_t kParticipantMask = (std::uint64_t{1} << kParticipantBits) - 1;
  // seats_: closed flag | open seats << kSeatShift | seated workers.
  static constexpr std::uint64_t kClosed = std::uint64_t{1} << 63;
  static constexpr int kSeatShift = 32;
  static constexpr std::uint64_t kSeatedMask = (std::uint64_t{1} << kSeatShift) - 1;

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
      // Only the first participants workers try for a seat; the job read here
      // may already have ended (see take_seat).
      if (index >= (job & kParticipantMask) || !take_seat()) continue;
      work();
      const std::uint64_t left = seats_.fetch_sub(1, std::memory_order_acq_rel) - 1;
      if ((left & kClosed) != 0 && (left & kSeatedMask) == 0) {
        std::lock_guard<std::mutex> lock(state_mutex_);
        done_.notify_one();
      }
    }
  }

  // Takes a seat at the current job unless it is closed or full. A worker
  // late for one job may take a seat at the next: it then runs that job's
  // tasks (fn_ and tasks_ are written before its seats open), and that job
  // waits for it like any other seated worker.
  bool take_seat() {
    std::uint64_t seats = seats_.load(std::memory_order_acquire);
    for (;;) {
      if ((seats & kClosed) != 0 || (seats >> kSeatShift) == 0) return false;
      const std::uint64_t taken = seats - (std::uint64_t{1} << kSeatShift) + 1;
      if (seats_.compare_exchange_weak(seats, taken, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
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
  std::atomic<std::uint64_t> seats_{kClosed};  // see kClosed
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

void parallel_for(std::size_t tasks, const std::function<void(std::size_t)>& fn) {
  pool().run(tasks, static_cast<std::size_t>(kMaxThreads), fn);
}

std::size_t threads_for_work(std::size_t tasks, std::size_t work, std::size_t threads) {
  return std::max<std::size_t>(1, std::min({tasks, work / kMinWorkPerThread, threads}));
}

void parallel_for(std::size_t tasks, std::size_t work, const std::function<void(std::size_t)>& fn) {
  pool().run(tasks, threads_for_work(tasks, work, static_cast<std::size_t>(thread_count())), fn);
}

}  // namespace sparq
