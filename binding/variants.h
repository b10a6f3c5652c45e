// Picks a kernel variant by name (tests, benches, --variant) or the best one
// for this CPU, with a clear JS error for unknown names or unsupported ISAs.
#pragma once

#include <napi.h>

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

// [{ name, isa, supported }] for a variant list.
template <typename V>
Napi::Array describe_variants(Napi::Env env, const V* list, std::size_t count) {
  Napi::Array out = Napi::Array::New(env, count);
  for (std::size_t i = 0; i < count; ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", list[i].name);
    o.Set("isa", sparq::isa_name(list[i].isa));
    o.Set("supported", sparq::isa_supported(list[i].isa));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace sparq_binding
