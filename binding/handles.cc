#include "handles.h"

#include <atomic>

#include "register.h"

namespace sparq_binding {
namespace {

constexpr napi_type_tag kHandleTag = {0x73706172710f0001ULL, 0x6a1d3c5e7f092b4dULL};

// Bytes held by handles neither disposed nor collected, in every thread's
// addon instance (worker_threads load their own).
std::atomic<int64_t> held_bytes{0};

void account(Napi::Env env, int64_t bytes) {
  held_bytes += bytes;
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
}

// disposeHandle(handle): frees what the handle holds now; using it after is a TypeError.
Napi::Value DisposeHandle(const Napi::CallbackInfo& info) {
  HandleBox* box = handle_box(info[0]);
  if (box == nullptr) throw_type_error(info.Env(), "handle must be a sparq native handle");
  release_box(info.Env(), box);
  return info.Env().Undefined();
}

// heldBytes(): the native memory live handles hold, process-wide.
Napi::Value HeldBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(held_bytes.load()));
}

}  // namespace

HandleBox* handle_box(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  auto external = v.As<Napi::External<HandleBox>>();
  return external.CheckTypeTag(&kHandleTag) ? external.Data() : nullptr;
}

void release_box(Napi::Env env, HandleBox* box) {
  if (!box->object) return;
  box->object.reset();
  account(env, -box->bytes);
}

Napi::Value box_handle(Napi::Env env, HandleBox* box) {
  account(env, box->bytes);
  auto external = Napi::External<HandleBox>::New(env, box, [](Napi::Env env, HandleBox* b) {
    release_box(env, b);
    delete b;
  });
  external.TypeTag(&kHandleTag);
  return external;
}

void register_handles(Napi::Env env, Napi::Object exports) {
  exports.Set("disposeHandle", Napi::Function::New(env, DisposeHandle));
  exports.Set("heldBytes", Napi::Function::New(env, HeldBytes));
}

}  // namespace sparq_binding
