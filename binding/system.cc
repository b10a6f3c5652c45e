// Binding for process-wide settings: CPU features, ISA limit, threads; and the
// alignment of a JS buffer, which only native code can see.
#include <cstdint>

#include "args.h"
#include "kernels/common/cpu-features.h"
#include "kernels/common/thread-pool.h"
#include "register.h"

namespace sparq_binding {
namespace {

// Both ladders, lowest rung first; a CPU supports rungs of one of them only.
constexpr sparq::Isa kLadder[] = {sparq::Isa::kAvx2Fma, sparq::Isa::kAvx512, sparq::Isa::kAvx512Vnni,
                                   sparq::Isa::kAmxInt8,  sparq::Isa::kNeon,   sparq::Isa::kNeonDot};

// cpuInfo() -> { avx2Fma, avx512, avx512Vnni, amxInt8, neon, neonDot, i8mm, isaLimit, best }
Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  const sparq::CpuFeatures& f = sparq::cpu_features();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("avx2Fma", f.avx2_fma);
  o.Set("avx512", f.avx512);
  o.Set("avx512Vnni", f.avx512_vnni);
  o.Set("amxInt8", f.amx_int8);
  o.Set("neon", f.neon);
  o.Set("neonDot", f.neon_dot);
  o.Set("i8mm", f.i8mm);
  const sparq::Isa limit = sparq::isa_limit();
  o.Set("isaLimit", limit == sparq::Isa::kAmxInt8 ? "none" : sparq::isa_name(limit));
  // The highest ISA that dispatch may use under the limit.
  const char* best = "scalar";
  for (sparq::Isa isa : kLadder)
    if (sparq::isa_supported(isa)) best = sparq::isa_name(isa);
  o.Set("best", best);
  return o;
}

// setIsaLimit('scalar' | 'avx2' | 'avx512' | 'avx512vnni' | 'neon' | 'neondot' | 'none')
Napi::Value SetIsaLimit(const Napi::CallbackInfo& info) {
  const std::string s = string_arg(info[0], "limit");
  sparq::Isa limit = sparq::Isa::kAmxInt8;
  if (s != "none" && (!sparq::isa_from_name(s.c_str(), &limit) || limit == sparq::Isa::kAmxInt8))
    throw_range_error(info.Env(), "limit must be 'scalar', 'avx2', 'avx512', 'avx512vnni', 'neon', 'neondot' or 'none'");
  sparq::set_isa_limit(limit);
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), sparq::thread_count()); }

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  sparq::set_thread_count(static_cast<int>(int_arg(info[0], "threads", 1, 256)));
  return info.Env().Undefined();
}

// alignmentGap(buffer: ArrayBuffer, alignment) -> the bytes from the buffer's start to its first address
// that is a multiple of alignment (a power of two up to 4096): JS cannot see addresses, and V8's buffers
// start 16-byte aligned, where a 64-byte vector load across a cache line costs a second access.
Napi::Value AlignmentGap(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) throw_type_error(env, "buffer must be an ArrayBuffer");
  const auto alignment = static_cast<std::uintptr_t>(int_arg(info[1], "alignment", 1, 4096));
  if ((alignment & (alignment - 1)) != 0) throw_range_error(env, "alignment must be a power of two");
  const auto address = reinterpret_cast<std::uintptr_t>(info[0].As<Napi::ArrayBuffer>().Data());
  return Napi::Number::New(env, static_cast<double>((alignment - address % alignment) % alignment));
}

}  // namespace

void register_system(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo));
  exports.Set("setIsaLimit", Napi::Function::New(env, SetIsaLimit));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("alignmentGap", Napi::Function::New(env, AlignmentGap));
}

}  // namespace sparq_binding
