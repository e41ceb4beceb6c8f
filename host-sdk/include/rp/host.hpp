// rp/host.hpp — thin C++ RAII over the rp C ABI, for hosts.
//
// Header-only and self-contained (only the C header and the standard library), so any host can
// use it without linking Tributary's own code. Nothing here crosses the ABI: these types stay on
// the host side and only hold C handles.
#ifndef RP_HOST_HPP
#define RP_HOST_HPP

#include <string>
#include <string_view>
#include <utility>

#include "rp/replication_provider.h"

namespace rp {

/// Owns one rp_provider_owned_str and releases it through the provider's free_str, exactly
/// once. Pass out() to an ABI call that fills it. Move-only.
class ProviderOwnedString {
 public:
  ProviderOwnedString() = default;
  explicit ProviderOwnedString(void (*freeStr)(rp_provider_owned_str*)) : free_(freeStr) {}
  ~ProviderOwnedString() { reset(); }

  ProviderOwnedString(ProviderOwnedString&& other) noexcept
      : free_(other.free_), str_(std::exchange(other.str_, rp_provider_owned_str{nullptr, 0})) {}
  ProviderOwnedString& operator=(ProviderOwnedString&& other) noexcept {
    if (this != &other) {
      reset();
      free_ = other.free_;
      str_ = std::exchange(other.str_, rp_provider_owned_str{nullptr, 0});
    }
    return *this;
  }
  ProviderOwnedString(const ProviderOwnedString&) = delete;
  ProviderOwnedString& operator=(const ProviderOwnedString&) = delete;

  /// Releases what is held, then returns the slot for an ABI call to fill.
  rp_provider_owned_str* out() {
    reset();
    return &str_;
  }

  bool empty() const { return str_.ptr == nullptr || str_.len == 0; }
  std::string_view view() const {
    return str_.ptr == nullptr ? std::string_view() : std::string_view(str_.ptr, str_.len);
  }
  std::string str() const { return std::string(view()); }

  /// Frees the held string (if any) through the provider.
  void reset() {
    if (str_.ptr != nullptr && free_ != nullptr) free_(&str_);
    str_ = rp_provider_owned_str{nullptr, 0};
  }

 private:
  void (*free_)(rp_provider_owned_str*) = nullptr;
  rp_provider_owned_str str_{nullptr, 0};
};

/// The outcome of one provider call: the JSON it returned, or its status and own message.
struct ProviderReply {
  rp_status status = RP_OK;
  std::string json;     // set on RP_OK; plan/execute may set it on errors too (a failed report)
  std::string message;  // set on error; the provider's own words (may be empty)

  bool ok() const { return status == RP_OK; }
  /// "RP_ERR_INVALID_ARGUMENT: <message>" for errors, "RP_OK" otherwise.
  std::string describe() const {
    std::string text = rp_status_str(status);
    if (!ok() && !message.empty()) text += ": " + message;
    return text;
  }
};

/// One provider instance (create/destroy) and its calls. Owns the rp_provider_ptr; keeps a
/// copy of the provider table, so the table may go away, but the library must stay loaded
/// (hosts never dlclose a provider) and the host table given to create() must outlive this.
/// Thread: calls follow the ABI's notes (validateRule is reentrant; plan/execute run on a host
/// worker); destruction must not race a running call. Move-only.
class ProviderInstance {
 public:
  ProviderInstance() = default;
  /// Adopts `instance`, created by `table.create`.
  ProviderInstance(const rp_provider_v1& table, rp_provider_ptr* instance)
      : table_(table), instance_(instance) {}
  ~ProviderInstance() { reset(); }

  ProviderInstance(ProviderInstance&& other) noexcept
      : table_(other.table_), instance_(std::exchange(other.instance_, nullptr)) {}
  ProviderInstance& operator=(ProviderInstance&& other) noexcept {
    if (this != &other) {
      reset();
      table_ = other.table_;
      instance_ = std::exchange(other.instance_, nullptr);
    }
    return *this;
  }
  ProviderInstance(const ProviderInstance&) = delete;
  ProviderInstance& operator=(const ProviderInstance&) = delete;

  /// Calls table.create. On RP_OK `out` holds the new instance; otherwise the reply carries
  /// the provider's status and message. `table` must have create, destroy and free_str.
  static ProviderReply create(const rp_provider_v1& table, const rp_host_v1& host,
                              std::string_view configJson, ProviderInstance& out) {
    ProviderOwnedString error(table.free_str);
    rp_provider_ptr* instance = nullptr;
    ProviderReply reply;
    reply.status =
        table.create(&host, rp_str{configJson.data(), configJson.size()}, &instance, error.out());
    if (reply.status == RP_OK && instance != nullptr) {
      out = ProviderInstance(table, instance);
    } else {
      if (reply.status == RP_OK) {  // RP_OK without an instance breaks the contract
        reply.status = RP_ERR_INTERNAL;
        reply.message = "create returned RP_OK but no instance";
      } else {
        reply.message = error.str();
      }
      if (instance != nullptr && table.destroy != nullptr) table.destroy(instance);
    }
    return reply;
  }

  explicit operator bool() const { return instance_ != nullptr; }
  rp_provider_ptr* get() const { return instance_; }
  const rp_provider_v1& table() const { return table_; }

  ProviderReply validateRule(std::string_view ruleJson) const {
    return call([&](rp_provider_owned_str* out, rp_provider_owned_str* err) {
      return table_.validate_rule(instance_, toStr(ruleJson), out, err);
    });
  }
  /// `task` may be NULL.
  ProviderReply plan(std::string_view ruleJson, const rp_task_v1* task) const {
    return call([&](rp_provider_owned_str* out, rp_provider_owned_str* err) {
      return table_.plan(instance_, toStr(ruleJson), task, out, err);
    });
  }
  /// Blocks for the whole sync. `task` may be NULL.
  ProviderReply execute(std::string_view ruleJson, const rp_task_v1* task) const {
    return call([&](rp_provider_owned_str* out, rp_provider_owned_str* err) {
      return table_.execute(instance_, toStr(ruleJson), task, out, err);
    });
  }

  /// Destroys the instance now (idempotent).
  void reset() {
    if (instance_ != nullptr && table_.destroy != nullptr) table_.destroy(instance_);
    instance_ = nullptr;
  }

 private:
  static rp_str toStr(std::string_view s) { return rp_str{s.data(), s.size()}; }

  template <typename Fn>
  ProviderReply call(Fn&& fn) const {
    ProviderReply reply;
    if (instance_ == nullptr) {
      reply.status = RP_ERR_FAILED_PRECONDITION;
      reply.message = "no provider instance";
      return reply;
    }
    ProviderOwnedString out(table_.free_str);
    ProviderOwnedString error(table_.free_str);
    reply.status = fn(out.out(), error.out());
    reply.json = out.str();  // plan/execute may report a run that could not happen
    if (reply.status != RP_OK) reply.message = error.str();
    return reply;
  }

  rp_provider_v1 table_{};
  rp_provider_ptr* instance_ = nullptr;
};

}  // namespace rp

#endif  // RP_HOST_HPP
