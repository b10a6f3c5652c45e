// Argument helpers for the binding: the TypeScript layer validates every
// public argument first; these re-check what native code relies on (types,
// lengths, handles) so a wrong call from JS can never read or write out of
// bounds. Failures throw JS TypeError/RangeError naming the argument.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sparq_binding {

[[noreturn]] void throw_type_error(Napi::Env env, const std::string& message);
[[noreturn]] void throw_range_error(Napi::Env env, const std::string& message);

template <typename T>
struct TypedArrayKind;
template <> struct TypedArrayKind<float> { static constexpr napi_typedarray_type value = napi_float32_array; static constexpr const char* name = "Float32Array"; };
template <> struct TypedArrayKind<int32_t> { static constexpr napi_typedarray_type value = napi_int32_array; static constexpr const char* name = "Int32Array"; };
template <> struct TypedArrayKind<uint8_t> { static constexpr napi_typedarray_type value = napi_uint8_array; static constexpr const char* name = "Uint8Array"; };
template <> struct TypedArrayKind<int8_t> { static constexpr napi_typedarray_type value = napi_int8_array; static constexpr const char* name = "Int8Array"; };

// A typed array argument of element type T with at least `min_length` elements.
template <typename T>
Napi::TypedArrayOf<T> typed_array(const Napi::Value& v, const char* name, std::size_t min_length) {
  const Napi::Env env = v.Env();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayKind<T>::value)
    throw_type_error(env, std::string(name) + " must be a " + TypedArrayKind<T>::name);
  auto array = v.As<Napi::TypedArrayOf<T>>();
  if (array.ElementLength() < min_length)
    throw_range_error(env, std::string(name) + " has " + std::to_string(array.ElementLength()) +
                               " elements, needs at least " + std::to_string(min_length));
  return array;
}

// An int8 or uint8 typed array; sets *is_unsigned.
Napi::TypedArray byte_array(const Napi::Value& v, const char* name, std::size_t min_length, bool* is_unsigned);

// A typed array, or null/undefined (returns an empty one and false).
template <typename T>
bool optional_typed_array(const Napi::Value& v, const char* name, std::size_t min_length, Napi::TypedArrayOf<T>* out) {
  if (v.IsNull() || v.IsUndefined()) return false;
  *out = typed_array<T>(v, name, min_length);
  return true;
}

// A size: a non-negative integer of at most kMaxSize = 2^32 - 1, the most
// elements one typed array holds in Node (and what sparq's TypeScript layer
// allows a tensor). A call loops at most that far over a dimension its
// arrays do not pay for (an empty tensor's other dimensions), and sizes
// multiply without overflow.
constexpr int64_t kMaxSize = (int64_t{1} << 32) - 1;
std::size_t size_arg(const Napi::Value& v, const char* name);
// An integer in [lo, hi].
int64_t int_arg(const Napi::Value& v, const char* name, int64_t lo, int64_t hi);
double number_arg(const Napi::Value& v, const char* name);
bool bool_arg(const Napi::Value& v, const char* name);
std::string string_arg(const Napi::Value& v, const char* name);

// The fields of a call's options object (its one argument), each read once
// when the call starts. Reading a property can run a getter, which is JS that
// could detach or shrink an array the call already took a pointer into; so
// every getter runs here, before any field is checked or any pointer taken.
// A missing field reads as undefined, and the checks then name it.
class Options {
 public:
  // TypeError "options must be an object" unless info[0] is a (non-array) object.
  Options(const Napi::CallbackInfo& info, std::initializer_list<const char*> names);
  // The field read for `name`, which must be one of the names given above.
  const Napi::Value& operator[](const char* name) const;

 private:
  std::vector<std::pair<const char*, Napi::Value>> fields_;
};

// The window fields a pooling or im2col call shares (height, width, kernelH/W,
// strideH/W, padTop, padLeft, outH/W), read into the shape struct's same-named members.
template <typename Shape>
void read_window(const Options& o, Shape* s) {
  s->height = size_arg(o["height"], "height");
  s->width = size_arg(o["width"], "width");
  s->kernel_h = size_arg(o["kernelH"], "kernelH");
  s->kernel_w = size_arg(o["kernelW"], "kernelW");
  s->stride_h = size_arg(o["strideH"], "strideH");
  s->stride_w = size_arg(o["strideW"], "strideW");
  s->pad_top = size_arg(o["padTop"], "padTop");
  s->pad_left = size_arg(o["padLeft"], "padLeft");
  s->out_h = size_arg(o["outH"], "outH");
  s->out_w = size_arg(o["outW"], "outW");
}

// Row pointers of a sparse matrix over `rows` rows (an Int32Array of rows + 1
// entries that starts at 0 and never decreases); *entries = its last value.
Napi::TypedArrayOf<int32_t> row_pointers(const Napi::Value& v, const char* name, std::size_t rows, std::size_t* entries);

// Throws RangeError `message` unless every index[p], p < count, lies in [0, limit).
void check_indices(Napi::Env env, const int32_t* index, std::size_t count, std::size_t limit, const char* message);

// a * b, throwing RangeError on overflow of size_t.
std::size_t checked_mul(Napi::Env env, std::size_t a, std::size_t b, const char* what);

}  // namespace sparq_binding
