// The exit codes of `tributary sync`, and how a provider's answer maps to them.
#pragma once

#include <string_view>

#include "rp/replication_provider.h"

namespace tributary::sidecar {

constexpr int kExitSucceeded = 0;  // every selected tag synced / unchanged / kept by policy
constexpr int kExitFailed = 1;     // a tag failed, or the provider returned an error status
constexpr int kExitBadInput = 2;   // unreadable/invalid config or rule, bad flags

/// Exit code for execute's answer: 0 only for RP_OK with a report whose "status" is
/// "succeeded" and no tag whose action is "failed" (a report without "status" counts by its
/// tags); 1 otherwise, including an unparseable report.
int exitCodeForExecute(rp_status status, std::string_view reportJson);

/// Exit code for plan's answer: 0 on RP_OK, 2 for input errors (RP_CLASS_INPUT), else 1.
int exitCodeForPlan(rp_status status);

/// Exit code for validate_rule's answer: 0 on RP_OK, 2 for input errors, else 1.
int exitCodeForValidation(rp_status status);

}  // namespace tributary::sidecar
