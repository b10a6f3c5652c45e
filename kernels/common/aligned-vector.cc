#include "aligned-vector.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace sparq {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t alignment_for(std::size_t bytes) { return bytes >= kHugePage ? kHugePage : kCacheLine; }

}  // namespace

void* allocate_aligned(std::size_t bytes) {
  const std::size_t align = alignment_for(bytes);
  void* p = ::operator new(bytes, std::align_val_t{align});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Advice only: where transparent huge pages are off, nothing changes.
  if (align == kHugePage) madvise(p, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);
#endif
  return p;
}

void free_aligned(void* p, std::size_t bytes) { ::operator delete(p, std::align_val_t{alignment_for(bytes)}); }

}  // namespace sparq
