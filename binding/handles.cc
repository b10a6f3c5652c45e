#include "handles.h"

#include "register.h"

namespace sparq_binding {
namespace {

constexpr napi_type_tag kHandleTag = {0x73706172710f0001ULL, 0x6a1d3c5e7f092b4dULL};

// disposeHandle(handle): frees what the handle holds now; using it after is a TypeError.
Napi::Value DisposeHandle(const Napi::CallbackInfo& info) {
  HandleBox* box = handle_box(info[0]);
  if (box == nullptr) throw_type_error(info.Env(), "handle must be a sparq native handle");
  release_box(info.Env(), box);
  return info.Env().Undefined();
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
  Napi::MemoryManagement::AdjustExternalMemory(env, -box->bytes);
}

Napi::Value box_handle(Napi::Env env, HandleBox* box) {
  Napi::MemoryManagement::AdjustExternalMemory(env, box->bytes);
  auto external = Napi::External<HandleBox>::New(env, box, [](Napi::Env env, HandleBox* b) {
    release_box(env, b);
    delete b;
  });
  external.TypeTag(&kHandleTag);
  return external;
}

void register_handles(Napi::Env env, Napi::Object exports) {
  exports.Set("disposeHandle", Napi::Function::New(env, DisposeHandle));
}

}  // namespace sparq_binding
