#include "job.h"

#include <cstring>
#include <exception>
#include <utility>

#include "kernels/common/aligned-vector.h"

namespace sparq_binding {

uint8_t* array_start(const Napi::TypedArray& array) {
  void* data = nullptr;
  NAPI_THROW_IF_FAILED(array.Env(), napi_get_typedarray_info(array.Env(), array, nullptr, nullptr, &data, nullptr, nullptr), nullptr);
  return static_cast<uint8_t*>(data);
}

ArrayBytes array_bytes(const Napi::TypedArray& array) {
  const napi_env env = array.Env();
  napi_typedarray_type type;
  std::size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value buffer;
  NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, array, &type, &length, &data, &buffer, &offset), ArrayBytes{});
  bool plain = false;
  NAPI_THROW_IF_FAILED(env, napi_is_arraybuffer(env, buffer, &plain), ArrayBytes{});
  return {static_cast<uint8_t*>(data), length * array.ElementSize(), !plain};
}

// One array of an async job: a native copy and, for outputs, the JS array to
// copy it back into.
struct Job::Staged {
  Napi::Reference<Napi::TypedArray> js;  // outputs and shared arrays: kept alive and found again
  uint8_t* copy = nullptr;               // null for shared arrays (used in place)
  std::size_t bytes = 0;
  bool output = false;

  ~Staged() {
    if (copy != nullptr) sparq::free_aligned(copy, bytes);
  }
};

Job::Job(Napi::Env env, bool async) : env_(env), async_(async) {}

Job::~Job() = default;

uint8_t* Job::stage(const Napi::Value& value, bool output) {
  if (value.IsNull() || value.IsUndefined()) return nullptr;
  const auto array = value.As<Napi::TypedArray>();
  if (!async_) return array_start(array);
  const ArrayBytes view = array_bytes(array);
  auto staged = std::make_unique<Staged>();
  staged->output = output;
  staged->bytes = view.bytes;
  if (view.shared || output) staged->js = Napi::Persistent(array);
  uint8_t* data = view.data;
  if (!view.shared && view.bytes > 0) {
    staged->copy = static_cast<uint8_t*>(sparq::allocate_aligned(view.bytes));
    std::memcpy(staged->copy, view.data, view.bytes);
    data = staged->copy;
  }
  staged_.push_back(std::move(staged));
  return data;
}

namespace {

class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, std::vector<std::unique_ptr<Job::Staged>> staged, std::function<void()> kernel)
      : Napi::AsyncWorker(env, "sparq"),
        deferred_(Napi::Promise::Deferred::New(env)),
        staged_(std::move(staged)),
        kernel_(std::move(kernel)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      kernel_();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override {
    for (const auto& s : staged_) {
      if (!s->output || s->copy == nullptr) continue;
      const ArrayBytes now = array_bytes(s->js.Value());
      if (now.bytes < s->bytes) {
        deferred_.Reject(Napi::TypeError::New(Env(), "an output array was detached or shrunk while the call ran; its result is lost").Value());
        return;
      }
      std::memcpy(now.data, s->copy, s->bytes);
    }
    deferred_.Resolve(Env().Undefined());
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<std::unique_ptr<Job::Staged>> staged_;
  std::function<void()> kernel_;
};

}  // namespace

Napi::Value Job::run(std::function<void()> kernel) {
  if (!async_) {
    kernel();
    return env_.Undefined();
  }
  auto* worker = new JobWorker(env_, std::move(staged_), std::move(kernel));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace sparq_binding
