// Driver for kernels/common/thread-pool.cc, built and run by
// test/threads.test.ts: a job whose caller has run every task must return
// without waiting for a worker that never took part in it (on a loaded
// machine, a worker whose core another process holds).
//
// The worker is held in a signal handler (the one thread a per-thread signal
// stops) while the caller runs a two-task job on two threads. A pool that
// waits for its worker to check in never returns from that job; a watchdog
// then lets the worker go after 10 s, and the driver exits 1.
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "kernels/common/thread-pool.h"

namespace {

std::atomic<bool> held{false}, released{false};

void hold(int) {
  held.store(true);
  const timespec nap{0, 1000000};
  while (!released.load()) nanosleep(&nap, nullptr);
}

// Runs a two-task job whose tasks wait for each other, so they run on two
// threads at once, and returns the pool worker that ran one of them.
pthread_t find_worker() {
  const pthread_t caller = pthread_self();
  pthread_t ran_on[2];
  std::atomic<int> arrived{0};
  sparq::parallel_for(2, [&](std::size_t t) {
    ran_on[t] = pthread_self();
    arrived.fetch_add(1);
    while (arrived.load() < 2) std::this_thread::yield();
  });
  return pthread_equal(ran_on[0], caller) ? ran_on[1] : ran_on[0];
}

// Runs a two-task job and says whether every task ran on the calling thread.
bool job_on_caller_alone() {
  const pthread_t caller = pthread_self();
  std::atomic<bool> alone{true};
  sparq::parallel_for(2, [&](std::size_t) {
    if (!pthread_equal(pthread_self(), caller)) alone.store(false);
  });
  return alone.load();
}

}  // namespace

int main() {
  sparq::set_thread_count(2);
  const pthread_t worker = find_worker();
  // Past its spin (about 100 us), the worker sleeps on the pool's condition
  // variable, holding none of its mutexes, when the signal comes.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  struct sigaction action = {};
  action.sa_handler = hold;
  sigaction(SIGUSR1, &action, nullptr);
  pthread_kill(worker, SIGUSR1);
  while (!held.load()) std::this_thread::yield();

  std::atomic<bool> returned{false}, timed_out{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 1000 && !returned.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!returned.load()) timed_out.store(true);
    released.store(true);
  });
  const bool alone = job_on_caller_alone();
  returned.store(true);
  watchdog.join();
  // The worker back, the pool still runs jobs.
  find_worker();

  if (timed_out.load() || !alone) {
    std::printf("FAILED: %s\n", timed_out.load() ? "the job waited for a worker held outside it" : "a held worker ran a task");
    return 1;
  }
  std::printf("ok: the job returned without its held worker\n");
  return 0;
}
