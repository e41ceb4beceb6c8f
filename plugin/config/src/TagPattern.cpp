#include "tributary/plugin/config/TagPattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace tributary::plugin {

struct TagPattern::Handles {
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_match_data* data = nullptr;
  ~Handles() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

TagPattern::TagPattern(std::string pattern, std::unique_ptr<Handles> handles)
    : pattern_(std::move(pattern)), handles_(std::move(handles)) {}
TagPattern::TagPattern(TagPattern&&) noexcept = default;
TagPattern& TagPattern::operator=(TagPattern&&) noexcept = default;
TagPattern::~TagPattern() = default;

Result<TagPattern> TagPattern::compile(const std::string& pattern) {
  int errorCode = 0;
  PCRE2_SIZE errorOffset = 0;
  auto handles = std::make_unique<Handles>();
  // Anchoring by options, not by wrapping the pattern, keeps PCRE2's error offsets pointing
  // into the text the user wrote.
  handles->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                PCRE2_ANCHORED | PCRE2_ENDANCHORED, &errorCode, &errorOffset,
                                nullptr);
  if (handles->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(errorCode, message, sizeof message);
    return invalidArgumentError("tag regex `" + pattern + "` is invalid: " +
                                reinterpret_cast<const char*>(message) + " at offset " +
                                std::to_string(errorOffset));
  }
  (void)pcre2_jit_compile(handles->code, PCRE2_JIT_COMPLETE);  // interpreter if unavailable
  handles->context = pcre2_match_context_create(nullptr);
  handles->data = pcre2_match_data_create_from_pattern(handles->code, nullptr);
  if (handles->context == nullptr || handles->data == nullptr)
    return internalError("out of memory compiling tag regex");
  pcre2_set_match_limit(handles->context, kMatchLimit);
  pcre2_set_depth_limit(handles->context, kDepthLimit);
  return TagPattern(pattern, std::move(handles));
}

bool TagPattern::matches(const std::string& tag) const {
  int rc = pcre2_match(handles_->code, reinterpret_cast<PCRE2_SPTR>(tag.data()), tag.size(), 0,
                       PCRE2_ANCHORED | PCRE2_ENDANCHORED, handles_->data, handles_->context);
  if (rc >= 0) return true;
  if ((rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
       rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) &&
      limitError_.isOk()) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(rc, message, sizeof message);
    const std::string shown = tag.size() > 80 ? tag.substr(0, 80) + "…" : tag;
    limitError_ = resourceExhaustedError(
        "tag regex `" + pattern_ + "` hit PCRE2's limit on tag `" + shown + "` (" +
        reinterpret_cast<const char*>(message) + "; match limit " +
        std::to_string(kMatchLimit) + ", depth limit " + std::to_string(kDepthLimit) +
        "): the pattern backtracks catastrophically; simplify it (e.g. `(a+)+` -> `a+`)");
  }
  return false;
}

}  // namespace tributary::plugin
