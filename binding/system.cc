// Binding for process-wide settings: CPU features, ISA limit, threads.
#include "args.h"
#include "kernels/common/cpu-features.h"
#include "kernels/common/thread-pool.h"
#include "register.h"

namespace sparq_binding {
namespace {

// cpuInfo() -> { avx2Fma, neon, isaLimit }
Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("avx2Fma", sparq::cpu_features().avx2_fma);
  o.Set("neon", sparq::cpu_features().neon);
  o.Set("isaLimit", sparq::isa_name(sparq::isa_limit()) == std::string("scalar") ? "scalar" : "none");
  return o;
}

// setIsaLimit('scalar' | 'none')
Napi::Value SetIsaLimit(const Napi::CallbackInfo& info) {
  const std::string s = string_arg(info[0], "limit");
  if (s == "scalar")
    sparq::set_isa_limit(sparq::Isa::kScalar);
  else if (s == "none")
    sparq::set_isa_limit(sparq::Isa::kAvx2Fma);
  else
    throw_range_error(info.Env(), "limit must be 'scalar' or 'none'");
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
