// Native objects handed to JS (packed weights) as externals.
//
// Every handle is a HandleBox under one type tag; the box's `kind` says what
// it holds, so a handle of one kind can never be used as another. The box
// owns a shared_ptr: an async job takes its own copy, so the object outlives
// the job even if JS disposes or drops the handle meanwhile. disposeHandle()
// drops the box's reference at once (the memory goes as soon as no running
// job holds it) instead of whenever V8 collects the handle, and the memory a
// handle holds is reported to V8 (napi_adjust_external_memory) so that the
// collector sees the pressure of handles nobody disposed.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "args.h"

namespace sparq_binding {

// Per kind: `tag` (its identity), `maker` (the function that makes it, for
// errors) and `bytes(object)` (the memory it holds).
template <typename T>
struct HandleTag;

struct HandleBox {
  const napi_type_tag* kind;
  std::shared_ptr<void> object;  // null once disposed
  int64_t bytes;                 // reported to V8 while `object` is held
};

// The box behind a sparq handle, or null for any other value.
HandleBox* handle_box(const Napi::Value& v);
// Drops the box's object (idempotent) and un-reports its memory.
void release_box(Napi::Env env, HandleBox* box);
Napi::Value box_handle(Napi::Env env, HandleBox* box);

template <typename T>
Napi::Value wrap_handle(Napi::Env env, std::shared_ptr<T> object) {
  const auto bytes = static_cast<int64_t>(HandleTag<T>::bytes(*object));
  return box_handle(env, new HandleBox{&HandleTag<T>::tag, std::move(object), bytes});
}

template <typename T>
std::shared_ptr<T> unwrap_handle(const Napi::Value& v, const char* name) {
  HandleBox* box = handle_box(v);
  if (box == nullptr || box->kind != &HandleTag<T>::tag)
    throw_type_error(v.Env(), std::string(name) + " must be a handle from " + HandleTag<T>::maker);
  if (!box->object) throw_type_error(v.Env(), std::string(name) + " was disposed");
  return std::static_pointer_cast<T>(box->object);
}

// The heap memory a std::vector holds.
template <typename Vector>
std::size_t vector_bytes(const Vector& v) {
  return v.capacity() * sizeof(typename Vector::value_type);
}

}  // namespace sparq_binding
