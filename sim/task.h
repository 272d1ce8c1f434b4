// Task<T>: the coroutine type every piece of model code is written in. A Task starts lazily when awaited (or
// when the simulator starts it as a CPU's program or an interrupt handler) and hands control back to its
// awaiting parent through symmetric transfer, so a model function can call another one with `co_await` and the
// call stack of coroutines mirrors the kernel's call stack.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <utility>

namespace crashdiff {

namespace task_detail {

// Coroutine frames come from per-thread free lists by 64-byte size class: every model call is a coroutine, so a
// run creates and destroys frames at nearly every step, and the general-purpose allocator was a large share of
// the simulator's cost. Freed frames stay in their list for the next one of that size (never returned).
class FramePool {
 public:
  static void* Allocate(std::size_t size) {
    const std::size_t k = Class(size);
    if (k >= kClasses) return ::operator new(size);
    Node*& head = Heads()[k];
    if (head == nullptr) return ::operator new((k + 1) * kGranule);
    Node* n = head;
    head = n->next;
    return n;
  }
  static void Free(void* p, std::size_t size) noexcept {
    const std::size_t k = Class(size);
    if (k >= kClasses) {
      ::operator delete(p);
      return;
    }
    Node*& head = Heads()[k];
    head = new (p) Node{head};
  }

 private:
  struct Node {
    Node* next;
  };
  static constexpr std::size_t kGranule = 64;
  static constexpr std::size_t kClasses = 64;  // frames up to 4 KiB
  static std::size_t Class(std::size_t size) { return (size + kGranule - 1) / kGranule - 1; }
  static Node** Heads() {
    static thread_local Node* heads[kClasses] __attribute__((tls_model("initial-exec"))) = {};
    return heads;
  }
};

struct PromiseBase {
  std::coroutine_handle<> continuation = std::noop_coroutine();

  static void* operator new(std::size_t size) { return FramePool::Allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { FramePool::Free(p, size); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return h.promise().continuation;
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  // Model code does not throw; an exception escaping a model is a simulator bug.
  void unhandled_exception() noexcept { std::terminate(); }
};

}  // namespace task_detail

template <typename T = void>
class [[nodiscard]] Task {
 public:
  struct promise_type : task_detail::PromiseBase {
    std::optional<T> value;
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    void return_value(T v) { value = std::move(v); }
  };

  Task() = default;  // empty: owns no coroutine
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    handle_.promise().continuation = parent;
    return handle_;
  }
  T await_resume() { return std::move(*handle_.promise().value); }

  std::coroutine_handle<promise_type> handle() const { return handle_; }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;
};

template <>
class [[nodiscard]] Task<void> {
 public:
  struct promise_type : task_detail::PromiseBase {
    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    void return_void() {}
  };

  Task() = default;  // empty: owns no coroutine
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    handle_.promise().continuation = parent;
    return handle_;
  }
  void await_resume() noexcept {}

  std::coroutine_handle<promise_type> handle() const { return handle_; }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;
};

}  // namespace crashdiff
