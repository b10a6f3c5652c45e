// The tasks of a GEMM-like driver: its output cut into a grid of ranges of
// MR-row strips x ranges of column blocks, every range but the last of equal
// size, run on the thread pool. The drivers (f32-gemm, f32-conv2d-nhwc,
// qu8s8-gemm, qu8s8-conv2d-nhwc) choose how many strip and block ranges they
// want from their own cache budgets; the grid rounds those counts to equal
// shares and maps a task number to its ranges, the same way for all of them.
#pragma once

#include <algorithm>
#include <cstddef>

#include "thread-pool.h"

namespace sparq {

// One task's share: strips [strip_begin, strip_end) x blocks [block_begin, block_end).
struct GridTask {
  std::size_t strip_begin, strip_end;
  std::size_t block_begin, block_end;
};

class TaskGrid {
 public:
  // About `strip_tasks` x `block_tasks` tasks (each >= 1), fewer where equal
  // shares need fewer (10 strips in 4 tasks: shares of 3, so 4 tasks; in 6: 2, so 5).
  TaskGrid(std::size_t strips, std::size_t blocks, std::size_t strip_tasks, std::size_t block_tasks)
      : strips_(strips),
        blocks_(blocks),
        strips_per_task_(div_up(strips, std::max<std::size_t>(1, strip_tasks))),
        blocks_per_task_(div_up(blocks, std::max<std::size_t>(1, block_tasks))),
        strip_tasks_(div_up(strips, strips_per_task_)),
        block_tasks_(div_up(blocks, blocks_per_task_)) {}

  std::size_t strips_per_task() const { return strips_per_task_; }
  std::size_t blocks_per_task() const { return blocks_per_task_; }
  std::size_t count() const { return strip_tasks_ * block_tasks_; }

  // Tasks sharing a strip range are numbered together, so the pool's
  // neighbouring tasks read the same rows.
  GridTask operator[](std::size_t task) const {
    const std::size_t s = task / block_tasks_ * strips_per_task_, j = task % block_tasks_ * blocks_per_task_;
    return {s, std::min(strips_, s + strips_per_task_), j, std::min(blocks_, j + blocks_per_task_)};
  }

  // Runs fn(GridTask) for every task on the thread pool, on the threads
  // `work` (the driver's multiply-adds, parallel_for's unit) pays for.
  template <typename Fn>
  void run(std::size_t work, Fn&& fn) const {
    parallel_for(count(), work, [&](std::size_t task) { fn((*this)[task]); });
  }

 private:
  static std::size_t div_up(std::size_t a, std::size_t b) { return b == 0 ? 0 : (a + b - 1) / b; }

  std::size_t strips_, blocks_;
  std::size_t strips_per_task_, blocks_per_task_;
  std::size_t strip_tasks_, block_tasks_;
};

}  // namespace sparq
