#include "args.h"

#include <cassert>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>

namespace sparq_binding {

void throw_type_error(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }

void throw_range_error(Napi::Env env, const std::string& message) { throw Napi::RangeError::New(env, message); }

Napi::TypedArray byte_array(const Napi::Value& v, const char* name, std::size_t min_length, bool* is_unsigned) {
  const Napi::Env env = v.Env();
  if (!v.IsTypedArray()) throw_type_error(env, std::string(name) + " must be a Uint8Array or Int8Array");
  auto array = v.As<Napi::TypedArray>();
  const napi_typedarray_type type = array.TypedArrayType();
  if (type != napi_uint8_array && type != napi_int8_array)
    throw_type_error(env, std::string(name) + " must be a Uint8Array or Int8Array");
  if (array.ElementLength() < min_length)
    throw_range_error(env, std::string(name) + " has " + std::to_string(array.ElementLength()) +
                               " elements, needs at least " + std::to_string(min_length));
  *is_unsigned = type == napi_uint8_array;
  return array;
}

std::size_t size_arg(const Napi::Value& v, const char* name) {
  return static_cast<std::size_t>(int_arg(v, name, 0, kMaxSize));
}

int64_t int_arg(const Napi::Value& v, const char* name, int64_t lo, int64_t hi) {
  const Napi::Env env = v.Env();
  if (!v.IsNumber()) throw_type_error(env, std::string(name) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) throw_range_error(env, std::string(name) + " must be an integer");
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throw_range_error(env, std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int64_t>(d);
}

double number_arg(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw_type_error(v.Env(), std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool bool_arg(const Napi::Value& v, const char* name) {
  if (!v.IsBoolean()) throw_type_error(v.Env(), std::string(name) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string string_arg(const Napi::Value& v, const char* name) {
  if (!v.IsString()) throw_type_error(v.Env(), std::string(name) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Options::Options(const Napi::CallbackInfo& info, std::initializer_list<const char*> names) {
  const Napi::Value v = info[0];
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray() || v.IsFunction()) throw_type_error(info.Env(), "options must be an object");
  const Napi::Object object = v.As<Napi::Object>();
  fields_.reserve(names.size());
  for (const char* name : names) fields_.emplace_back(name, object.Get(name));
}

const Napi::Value& Options::operator[](const char* name) const {
  // A binding names a field with the same literal it listed, which the compiler
  // merges: comparing pointers first spares a strcmp per listed field (a sixth
  // of a 32-field call's cost in the binding).
  for (const auto& field : fields_)
    if (field.first == name) return field.second;
  for (const auto& field : fields_)
    if (std::strcmp(field.first, name) == 0) return field.second;
  assert(false && "a field the binding did not list");
  std::abort();
}

Napi::TypedArrayOf<int32_t> row_pointers(const Napi::Value& v, const char* name, std::size_t rows, std::size_t* entries) {
  const Napi::Env env = v.Env();
  auto indptr = typed_array<int32_t>(v, name, rows + 1);
  if (indptr[0] != 0 || indptr[rows] < 0) throw_range_error(env, std::string(name) + " must start at 0 and end at nnz >= 0");
  for (std::size_t r = 0; r < rows; ++r)
    if (indptr[r + 1] < indptr[r]) throw_range_error(env, std::string(name) + " must not decrease");
  *entries = static_cast<std::size_t>(indptr[rows]);
  return indptr;
}

void check_indices(Napi::Env env, const int32_t* index, std::size_t count, std::size_t limit, const char* message) {
  for (std::size_t p = 0; p < count; ++p)
    if (index[p] < 0 || static_cast<std::size_t>(index[p]) >= limit) throw_range_error(env, message);
}

std::size_t checked_mul(Napi::Env env, std::size_t a, std::size_t b, const char* what) {
  if (a != 0 && b > SIZE_MAX / a) throw_range_error(env, std::string(what) + " is too large");
  return a * b;
}

}  // namespace sparq_binding
