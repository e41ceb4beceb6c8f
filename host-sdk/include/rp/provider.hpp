// rp/provider.hpp — thin C++ helpers over the rp C ABI, for providers.
//
// Header-only and self-contained. Use these inside the provider's one ABI boundary file: they
// allocate the strings the provider hands out, own the strings the host hands in, and copy a
// received table safely whatever size the other side was compiled with.
#ifndef RP_PROVIDER_HPP
#define RP_PROVIDER_HPP

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "rp/replication_provider.h"

namespace rp {

/// A malloc'd, NUL-terminated copy of `text` for the host; {NULL, 0} if allocation fails.
/// Release with freeProviderOwnedString (the provider's free_str can be exactly that).
inline rp_provider_owned_str makeProviderOwnedString(std::string_view text) {
  auto* buffer = static_cast<char*>(std::malloc(text.size() + 1));
  if (buffer == nullptr) return rp_provider_owned_str{nullptr, 0};
  if (!text.empty()) std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  return rp_provider_owned_str{buffer, text.size()};
}

/// Stores a copy of `text` into *out if out is not NULL (ABI out-params may be NULL).
inline void setProviderOwnedString(rp_provider_owned_str* out, std::string_view text) {
  if (out != nullptr) *out = makeProviderOwnedString(text);
}

/// Frees a string made by makeProviderOwnedString and clears it. NULL ptr is a no-op, as the
/// ABI requires of rp_provider_v1.free_str.
inline void freeProviderOwnedString(rp_provider_owned_str* str) {
  if (str == nullptr) return;
  std::free(str->ptr);
  str->ptr = nullptr;
  str->len = 0;
}

/// Owns one rp_host_owned_str and releases it through the host's free_str, exactly once. Pass
/// out() to a host call that fills it. The host table must outlive this. Move-only.
class HostOwnedString {
 public:
  HostOwnedString() = default;
  explicit HostOwnedString(const rp_host_v1* host) : host_(host) {}
  ~HostOwnedString() { reset(); }

  HostOwnedString(HostOwnedString&& other) noexcept
      : host_(other.host_), str_(std::exchange(other.str_, rp_host_owned_str{nullptr, 0})) {}
  HostOwnedString& operator=(HostOwnedString&& other) noexcept {
    if (this != &other) {
      reset();
      host_ = other.host_;
      str_ = std::exchange(other.str_, rp_host_owned_str{nullptr, 0});
    }
    return *this;
  }
  HostOwnedString(const HostOwnedString&) = delete;
  HostOwnedString& operator=(const HostOwnedString&) = delete;

  /// Releases what is held, then returns the slot for a host call to fill.
  rp_host_owned_str* out() {
    reset();
    return &str_;
  }

  bool empty() const { return str_.ptr == nullptr || str_.len == 0; }
  std::string_view view() const {
    return str_.ptr == nullptr ? std::string_view() : std::string_view(str_.ptr, str_.len);
  }
  std::string str() const { return std::string(view()); }

  void reset() {
    if (str_.ptr != nullptr && host_ != nullptr && host_->free_str != nullptr) {
      host_->free_str(host_->user_data, &str_);
    }
    str_ = rp_host_owned_str{nullptr, 0};
  }

 private:
  const rp_host_v1* host_ = nullptr;
  rp_host_owned_str str_{nullptr, 0};
};

namespace detail {
// Pointer members (functions, tables) must also be non-NULL to count as present; other
// members (rp_str, integers) only need to be inside the received size.
template <typename Member>
bool isSet(const Member& member) {
  if constexpr (std::is_pointer_v<Member>) {
    return member != nullptr;
  } else {
    (void)member;
    return true;
  }
}
}  // namespace detail

/// A table received across the ABI, copied into a zeroed local of this side's size: the
/// first min(received->struct_size, sizeof(T)) bytes are copied, the rest stay zero, and the
/// local's struct_size is that copied size, so RP_STRUCT_HAS(T, &table.get(), member) answers
/// "did the sender fill `member`". Check required members with RP_REQUIRE_MEMBER:
///
///   rp::ReceivedTable<rp_host_v1> host(hostIn);
///   RP_REQUIRE_MEMBER(host, rp_host_v1, log);
///   RP_REQUIRE_MEMBER(host, rp_host_v1, storage);
///   if (!host.complete()) return fail("host table lacks: " + host.missing());
template <typename T>
class ReceivedTable {
 public:
  explicit ReceivedTable(const T* received) {
    std::memset(&local_, 0, sizeof(T));
    if (received == nullptr) {
      missing_ = "(no table)";
      return;
    }
    uint32_t size = received->struct_size;
    if (size > sizeof(T)) size = static_cast<uint32_t>(sizeof(T));
    if (size < sizeof(uint32_t)) {
      missing_ = "(struct_size " + std::to_string(received->struct_size) + " is too small)";
      return;
    }
    std::memcpy(&local_, received, size);
    local_.struct_size = size;
  }

  const T& get() const { return local_; }
  const T* operator->() const { return &local_; }

  /// Records `name` as missing unless `present`. Returns *this for chaining.
  ReceivedTable& require(bool present, const char* name) {
    if (!present) {
      if (!missing_.empty()) missing_ += ", ";
      missing_ += name;
    }
    return *this;
  }

  /// True when the table was received and every required member was present.
  bool complete() const { return missing_.empty(); }
  /// Comma-separated names of the missing members ("" when complete).
  const std::string& missing() const { return missing_; }

 private:
  T local_;
  std::string missing_;
};

}  // namespace rp

/// Requires `member` of a rp::ReceivedTable<type>: inside the received size (RP_STRUCT_HAS)
/// and, for pointers, non-NULL.
#define RP_REQUIRE_MEMBER(table, type, member)                                  \
  (table).require(RP_STRUCT_HAS(type, &(table).get(), member) &&               \
                      ::rp::detail::isSet((table).get().member),               \
                  #member)

#endif  // RP_PROVIDER_HPP
