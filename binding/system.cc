// Binding for process-wide settings: CPU features, ISA limit, threads.
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

}  // namespace

void register_system(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo));
  exports.Set("setIsaLimit", Napi::Function::New(env, SetIsaLimit));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
}

}  // namespace sparq_binding
