// A kernel call from JS: the memory it reads and writes, and where it runs.
//
// A synchronous call runs now and uses JS memory in place: no JS runs until
// it returns. An asynchronous call runs on the libuv pool while JS goes on,
// and JS can then detach an ArrayBuffer (postMessage or structuredClone with
// `transfer`, ArrayBuffer.prototype.transfer), or shrink a resizable one, and
// its memory is freed under the kernel. So an async call stages every
// ArrayBuffer-backed array: inputs are copied into native memory when the call
// is made, outputs computed in native memory and copied back when the job
// settles (the promise rejects if the output array lost its length meanwhile).
// A SharedArrayBuffer can neither be detached nor shrink, and the reference
// the job holds keeps its memory alive: it is used in place, without copies.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace sparq_binding {

// The bytes a typed array views (napi_get_typedarray_info: SharedArrayBuffer
// backing included, where Napi::TypedArray::ArrayBuffer().Data() fails).
struct ArrayBytes {
  uint8_t* data = nullptr;
  std::size_t bytes = 0;
  bool shared = false;  // backed by a SharedArrayBuffer
};
ArrayBytes array_bytes(const Napi::TypedArray& array);

// The first byte of a typed array (one N-API call: sync calls pay only this).
uint8_t* array_start(const Napi::TypedArray& array);

// The first element of a typed array of T (the caller checked its type).
template <typename T>
T* array_data(const Napi::TypedArray& array) {
  return reinterpret_cast<T*>(array_start(array));
}

class Job {
 public:
  Job(Napi::Env env, bool async);
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;
  ~Job();

  // Memory the kernel only reads. `array` may be null/undefined: nullptr.
  template <typename T>
  const T* in(const Napi::Value& array) {
    return reinterpret_cast<const T*>(stage(array, false));
  }
  // Memory the kernel writes (and may read: strided outputs keep what lies between rows).
  template <typename T>
  T* out(const Napi::Value& array) {
    return reinterpret_cast<T*>(stage(array, true));
  }
  // The same for arrays already read as TypedArrayOf<T>: a sync call takes
  // the pointer they hold, without asking N-API again.
  template <typename T>
  const T* in(const Napi::TypedArrayOf<T>& array) {
    return async_ ? in<T>(static_cast<const Napi::Value&>(array)) : array.Data();
  }
  template <typename T>
  T* out(Napi::TypedArrayOf<T> array) {
    return async_ ? out<T>(static_cast<const Napi::Value&>(array)) : array.Data();
  }

  // Runs `kernel` now (returns undefined) or on the libuv pool (returns a
  // Promise that resolves to undefined once the outputs are back in JS).
  Napi::Value run(std::function<void()> kernel);

  struct Staged;

 private:
  uint8_t* stage(const Napi::Value& array, bool output);

  Napi::Env env_;
  bool async_;
  std::vector<std::unique_ptr<Staged>> staged_;
};

}  // namespace sparq_binding
