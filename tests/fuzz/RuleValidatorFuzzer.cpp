// Subscription rules as a user or the admin API sends them: never crashes or hangs (a
// catastrophic regex is bounded by PCRE2's limits), and validation is idempotent — the
// normalised rule it returns validates again to the same JSON.
#include "FuzzInput.h"
#include "tributary/plugin/RuleValidator.h"

using tributary::plugin::RuleValidator;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = tributary::fuzz::asString(data, size);
  auto rule = RuleValidator::validate(text);
  if (!rule.isOk()) return 0;
  const std::string normalised = rule.value().toJson();
  auto again = RuleValidator::validate(normalised);
  if (!again.isOk())
    tributary::fuzz::propertyFailed("normalised rule refused", normalised + "\n" +
                                                                   again.status().message());
  if (again.value().toJson() != normalised)
    tributary::fuzz::propertyFailed("normalisation not idempotent",
                                    normalised + "\n-> " + again.value().toJson());
  return 0;
}
