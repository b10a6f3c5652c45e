// Picks a kernel variant by name (tests, benches, --variant) or the best one
// for this CPU, with a clear JS error for unknown names or unsupported ISAs.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "args.h"
#include "kernels/common/cpu-features.h"

namespace sparq_binding {

// `name_value` is a variant name string, or null/undefined for the best.
template <typename V>
const V& pick_variant(const Napi::Value& name_value, const V* list, std::size_t count, const V& best) {
  if (name_value.IsNull() || name_value.IsUndefined()) return best;
  const std::string name = string_arg(name_value, "variant");
  for (std::size_t i = 0; i < count; ++i) {
    if (name != list[i].name) continue;
    if (!sparq::isa_supported(list[i].isa))
      throw_range_error(name_value.Env(), "variant " + name + " needs " + sparq::isa_name(list[i].isa) +
                                              ", which this CPU (or the ISA limit) does not allow");
    return list[i];
  }
  std::string known;
  for (std::size_t i = 0; i < count; ++i) known += (i ? ", " : "") + std::string(list[i].name);
  throw_range_error(name_value.Env(), "unknown variant " + name + " (known: " + known + ")");
}

// `supported` of a described variant, read when asked: setIsaLimit changes it
// after the lists are made (the variant's Isa travels as the getter's data).
inline Napi::Value variant_supported(const Napi::CallbackInfo& info) {
  const auto isa = static_cast<sparq::Isa>(reinterpret_cast<std::uintptr_t>(info.Data()));
  return Napi::Boolean::New(info.Env(), sparq::isa_supported(isa));
}

// [{ name, isa, supported }] for a variant list; `supported` follows the ISA limit.
template <typename V>
Napi::Array describe_variants(Napi::Env env, const V* list, std::size_t count) {
  Napi::Array out = Napi::Array::New(env, count);
  for (std::size_t i = 0; i < count; ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", list[i].name);
    o.Set("isa", sparq::isa_name(list[i].isa));
    void* isa = reinterpret_cast<void*>(static_cast<std::uintptr_t>(list[i].isa));
    o.DefineProperty(Napi::PropertyDescriptor::Accessor<variant_supported>("supported", napi_enumerable, isa));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace sparq_binding
