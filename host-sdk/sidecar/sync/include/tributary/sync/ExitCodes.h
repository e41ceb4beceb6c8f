// The exit codes of `tributary sync`, one meaning each, and how a provider's answer maps to
// them (documented in docs/reference.md, "Exit status").
#pragma once

#include <string_view>

#include "rp/replication_provider.h"

namespace tributary::sync {

/// Every selected tag synced, unchanged, kept by policy or deferred (or would be, in a dry run).
constexpr int kExitSucceeded = 0;
/// At least one tag failed, or the source could not be read (network, TLS, authentication,
/// repository not found, rate limit, cancelled, a provider bug).
constexpr int kExitFailed = 1;
/// The input is wrong: flags, config.yml, the rule, or a source the configuration refuses (a
/// loopback/private address without allow_private_networks, a source type this build cannot
/// sync, an undefined credential).
constexpr int kExitBadInput = 2;
/// The storage root cannot be used (not writable by this user, not a directory, disk errors).
constexpr int kExitStorageUnusable = 3;

/// Exit code when a whole run (plan or execute) could not happen: `status` and the provider's
/// `message` (which tells a configuration refusal from a 403 for RP_ERR_PERMISSION_DENIED).
int exitCodeForRunFailure(rp_status status, std::string_view message);

/// Exit code for a report the provider returned with RP_OK (execute's or plan's, old shape or
/// schema 1): the code of its `error` (exitCodeForRunFailure) when it has one; 1 when its
/// status is "failed", counts.failed > 0 or a tag's action is "failed" (a schema-1 "partial"
/// with only deferred tags is 0; the earlier shape's "partial" is 1); 1 when it is not a JSON
/// object; else 0.
int exitCodeForReport(std::string_view reportJson);

/// Exit code for validate_rule's answer: 0 on RP_OK, 2 for input errors and
/// RP_ERR_UNIMPLEMENTED (the rule names what this build cannot do), else 1 (a provider fault).
int exitCodeForValidation(rp_status status);

/// The status whose rp_status_str() is `name` ("RP_ERR_NOT_FOUND"), RP_ERR_INTERNAL if none.
rp_status statusFromName(std::string_view name);

}  // namespace tributary::sync
