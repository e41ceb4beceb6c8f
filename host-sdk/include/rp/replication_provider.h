/*
 * rp — the replication-provider C ABI.
 *
 * A host registry (Distribution, Harbor, ...) loads a provider shared library that syncs
 * images from external registries straight into the host's storage. This header is the whole
 * contract between them. Only C types cross it: no STL, exceptions, RTTI or vtables.
 *
 * Version history (append one line per version; never edit a released line):
 *   1  initial: negotiation, rp_host_v1 (log, secrets, storage, task), rp_provider_v1
 *      (info, create, destroy, validate_rule, plan, execute, free_str).
 *
 * Rules (see shared/CONVENTIONS.md):
 *   - The provider exports exactly one symbol: rp_provider_negotiate. Everything else is
 *     reached through tables.
 *   - Every struct that crosses starts with `uint32_t struct_size`, set by whoever fills the
 *     struct to sizeof() as that side was compiled. A receiver copies min(size, sizeof) into a
 *     zeroed local and checks required members with RP_STRUCT_HAS(). Tables are append-only.
 *   - Status values are fixed forever; unknown values are treated as RP_ERR_INTERNAL.
 *   - Strings are {ptr, len}, not NUL-terminated unless stated. Borrowed data (rp_str,
 *     rp_bytes) is valid until the call that received it returns.
 *   - Owned strings say their owner in the type name (rp_provider_owned_str,
 *     rp_host_owned_str) and are released only by that owner's free function.
 *   - Every callback takes the `user_data` that came with its table.
 *   - Load policy: a provider is enabled only by explicit host configuration; the host never
 *     dlclose()s a provider whose rp_provider_negotiate ran.
 *
 * Thread notes use the kernel's locking.rst vocabulary: "any thread" = may be called
 * concurrently from several threads; "may block" = may do I/O.
 */
#ifndef RP_REPLICATION_PROVIDER_H
#define RP_REPLICATION_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RP_ABI_VERSION_1 1u
/* The newest version this header describes. */
#define RP_ABI_VERSION_CURRENT RP_ABI_VERSION_1

/* The one symbol a provider exports, for dlsym(). */
#define RP_PROVIDER_ENTRY_SYMBOL "rp_provider_negotiate"

#if defined(_WIN32)
#define RP_EXPORT __declspec(dllexport)
#else
#define RP_EXPORT __attribute__((visibility("default")))
#endif

/* True when a struct of `struct_size` bytes (as received) contains `member`. */
#define RP_STRUCT_HAS(type, ptr, member) \
  ((ptr)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

/* ------------------------------------------------------------------------------------------ */
/* Status codes. Values are fixed forever; grouped by what the caller should do.               */
/* ------------------------------------------------------------------------------------------ */

typedef int32_t rp_status;

#define RP_OK 0
/* 1..99: retry later, unchanged. */
#define RP_ERR_UNAVAILABLE 1        /* network failure, 5xx, connection reset */
#define RP_ERR_RATE_LIMITED 2       /* 429 or a source's rate limit */
#define RP_ERR_TIMEOUT 3            /* deadline exceeded */
#define RP_ERR_ABORTED 4            /* lost a race (concurrent writer); retry */
/* 100..199: fix credentials. */
#define RP_ERR_UNAUTHENTICATED 100  /* missing or rejected credentials */
#define RP_ERR_PERMISSION_DENIED 101
/* 200..299: fix the rule or the input. */
#define RP_ERR_INVALID_ARGUMENT 200 /* bad rule, bad name, bad JSON */
#define RP_ERR_NOT_FOUND 201        /* repository, tag, blob or secret absent */
#define RP_ERR_ALREADY_EXISTS 202
#define RP_ERR_FAILED_PRECONDITION 203
/* 300..399: give up. */
#define RP_ERR_INCOMPATIBLE 300     /* no common ABI version, or a table too small */
#define RP_ERR_DATA_LOSS 301        /* digest or size mismatch */
#define RP_ERR_CANCELLED 302        /* the task was cancelled */
#define RP_ERR_UNIMPLEMENTED 303
#define RP_ERR_INTERNAL 304         /* anything else, including unknown status values */
#define RP_ERR_IO 305               /* local storage failure (disk full, permissions) */

typedef enum rp_status_class {
  RP_CLASS_OK = 0,
  RP_CLASS_RETRY = 1,       /* try again later */
  RP_CLASS_CREDENTIALS = 2, /* fix credentials */
  RP_CLASS_INPUT = 3,       /* fix the rule or input */
  RP_CLASS_FATAL = 4        /* give up */
} rp_status_class;

/* Which group a status belongs to. Unknown values are RP_CLASS_FATAL. Thread: any; no block. */
static inline rp_status_class rp_status_classify(rp_status s) {
  if (s == RP_OK) return RP_CLASS_OK;
  if (s >= 1 && s <= 99) return RP_CLASS_RETRY;
  if (s >= 100 && s <= 199) return RP_CLASS_CREDENTIALS;
  if (s >= 200 && s <= 299) return RP_CLASS_INPUT;
  return RP_CLASS_FATAL;
}

/* Static, never-NULL name of a status ("RP_ERR_NOT_FOUND"). Thread: any; no block. */
static inline const char *rp_status_str(rp_status s) {
  switch (s) {
    case RP_OK: return "RP_OK";
    case RP_ERR_UNAVAILABLE: return "RP_ERR_UNAVAILABLE";
    case RP_ERR_RATE_LIMITED: return "RP_ERR_RATE_LIMITED";
    case RP_ERR_TIMEOUT: return "RP_ERR_TIMEOUT";
    case RP_ERR_ABORTED: return "RP_ERR_ABORTED";
    case RP_ERR_UNAUTHENTICATED: return "RP_ERR_UNAUTHENTICATED";
    case RP_ERR_PERMISSION_DENIED: return "RP_ERR_PERMISSION_DENIED";
    case RP_ERR_INVALID_ARGUMENT: return "RP_ERR_INVALID_ARGUMENT";
    case RP_ERR_NOT_FOUND: return "RP_ERR_NOT_FOUND";
    case RP_ERR_ALREADY_EXISTS: return "RP_ERR_ALREADY_EXISTS";
    case RP_ERR_FAILED_PRECONDITION: return "RP_ERR_FAILED_PRECONDITION";
    case RP_ERR_INCOMPATIBLE: return "RP_ERR_INCOMPATIBLE";
    case RP_ERR_DATA_LOSS: return "RP_ERR_DATA_LOSS";
    case RP_ERR_CANCELLED: return "RP_ERR_CANCELLED";
    case RP_ERR_UNIMPLEMENTED: return "RP_ERR_UNIMPLEMENTED";
    case RP_ERR_INTERNAL: return "RP_ERR_INTERNAL";
    case RP_ERR_IO: return "RP_ERR_IO";
    default: return "RP_ERR_UNKNOWN";
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Strings and bytes.                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* Borrowed UTF-8 text; not NUL-terminated; valid until the receiving call returns. */
typedef struct rp_str {
  const char *ptr;
  size_t len;
} rp_str;

/* Borrowed bytes; valid until the receiving call returns. */
typedef struct rp_bytes {
  const uint8_t *ptr;
  size_t len;
} rp_bytes;

/* A string allocated by the provider. OWNERSHIP: the receiver releases it with
 * rp_provider_v1.free_str exactly once. ptr is NUL-terminated for convenience (len excludes it).
 * {NULL, 0} means "none". */
typedef struct rp_provider_owned_str {
  char *ptr;
  size_t len;
} rp_provider_owned_str;

/* A string allocated by the host. OWNERSHIP: the provider releases it with
 * rp_host_v1.free_str exactly once. NUL-terminated (len excludes it). {NULL, 0} means "none". */
typedef struct rp_host_owned_str {
  char *ptr;
  size_t len;
} rp_host_owned_str;

/* Longest digest string: "sha512:" + 128 hex, plus NUL. */
#define RP_DIGEST_BUF_SIZE 136

/* ------------------------------------------------------------------------------------------ */
/* The host's services: rp_host_v1 and the tables it points to.                                */
/* ------------------------------------------------------------------------------------------ */

typedef enum rp_log_level {
  RP_LOG_DEBUG = 10,
  RP_LOG_INFO = 20,
  RP_LOG_WARN = 30,
  RP_LOG_ERROR = 40
} rp_log_level;

/* A blob being written into host storage. OWNERSHIP: host-owned; created by
 * blob_writer_open, released by exactly one of blob_writer_commit or blob_writer_abort. */
typedef struct rp_blob_writer_host_ptr rp_blob_writer_host_ptr;

/* Storage in the host registry's own layout (Distribution: <root>/docker/registry/v2).
 * Every function validates names and digests before building a path; a bad one is
 * RP_ERR_INVALID_ARGUMENT and nothing is written. All functions may block (disk I/O) and are
 * safe to call from any thread, concurrently, except that one blob writer is used by one
 * thread at a time. `out_error` may be NULL; when not NULL and the call fails, the host may set
 * it to a message the provider frees with rp_host_v1.free_str. */
typedef struct rp_storage_v1 {
  uint32_t struct_size;
  void *user_data;

  /* Size of a blob (layer, config or manifest bytes) in the global blob store.
   * RP_OK with *out_size, or RP_ERR_NOT_FOUND. */
  rp_status (*blob_stat)(void *user_data, rp_str digest, uint64_t *out_size,
                         rp_host_owned_str *out_error);

  /* Start writing a blob whose digest (sha256/sha512) and size are known in advance.
   * Data goes to a private temp file; nothing is visible until commit. Two writers of the same
   * digest at once are allowed: the first commit publishes, the second finds it present. */
  rp_status (*blob_writer_open)(void *user_data, rp_str digest, uint64_t expected_size,
                                rp_blob_writer_host_ptr **out_writer,
                                rp_host_owned_str *out_error);
  /* Append bytes; hashes while writing. Writing past expected_size is RP_ERR_DATA_LOSS. */
  rp_status (*blob_writer_write)(void *user_data, rp_blob_writer_host_ptr *writer,
                                 rp_bytes data, rp_host_owned_str *out_error);
  /* Discard what was written and start again from offset 0 (a source answered 200 to a
   * resumed Range request). */
  rp_status (*blob_writer_reset)(void *user_data, rp_blob_writer_host_ptr *writer,
                                 rp_host_owned_str *out_error);
  /* Bytes written so far (to resume with Range: bytes=<n>-). Thread: the writer's thread. */
  uint64_t (*blob_writer_offset)(void *user_data, const rp_blob_writer_host_ptr *writer);
  /* Verify size and digest, fsync, rename into place. Releases the writer whatever the
   * result. Mismatch is RP_ERR_DATA_LOSS and nothing is published. */
  rp_status (*blob_writer_commit)(void *user_data, rp_blob_writer_host_ptr *writer,
                                  rp_host_owned_str *out_error);
  /* Drop the temp file and release the writer. Never fails. */
  void (*blob_writer_abort)(void *user_data, rp_blob_writer_host_ptr *writer);

  /* Make an existing blob (config or layer) fetchable from `repository` (_layers link).
   * Idempotent. RP_ERR_NOT_FOUND if the blob is not in the store. */
  rp_status (*link_blob)(void *user_data, rp_str repository, rp_str digest,
                         rp_host_owned_str *out_error);

  /* Store manifest bytes exactly as given under `digest` (verified: RP_ERR_DATA_LOSS on
   * mismatch) and link them as a revision of `repository`. Does not tag. Idempotent.
   * The caller has already linked every blob and stored every child manifest it references. */
  rp_status (*put_manifest)(void *user_data, rp_str repository, rp_str digest,
                            rp_bytes content, rp_host_owned_str *out_error);

  /* Is `digest` a manifest revision of `repository`? RP_OK or RP_ERR_NOT_FOUND. */
  rp_status (*manifest_exists)(void *user_data, rp_str repository, rp_str digest,
                               rp_host_owned_str *out_error);

  /* The digest a tag points at, written NUL-terminated into out_digest (RP_DIGEST_BUF_SIZE
   * bytes). RP_ERR_NOT_FOUND if the tag does not exist. */
  rp_status (*tag_get)(void *user_data, rp_str repository, rp_str tag,
                       char out_digest[RP_DIGEST_BUF_SIZE], rp_host_owned_str *out_error);

  /* Point `tag` at manifest revision `digest` (must exist: RP_ERR_FAILED_PRECONDITION
   * otherwise). This is the commit point of an image: the tag's current link is written last
   * and atomically. */
  rp_status (*tag_set)(void *user_data, rp_str repository, rp_str tag, rp_str digest,
                       rp_host_owned_str *out_error);
} rp_storage_v1;

/* Per-task services, passed to plan and execute. Valid until that call returns. */
typedef enum rp_progress_kind {
  RP_PROGRESS_PLANNED = 1,      /* totals known: blobs_total, bytes_total */
  RP_PROGRESS_BLOB_DONE = 2,    /* a blob fetched or reused */
  RP_PROGRESS_BYTES = 3,        /* bytes_done advanced */
  RP_PROGRESS_TAG_DONE = 4,     /* a tag finished; tag and message say how */
  RP_PROGRESS_MESSAGE = 5       /* free text */
} rp_progress_kind;

typedef struct rp_progress_event_v1 {
  uint32_t struct_size;
  int32_t kind;          /* rp_progress_kind */
  uint64_t bytes_done;   /* cumulative for the task */
  uint64_t bytes_total;  /* 0 = unknown */
  uint64_t blobs_done;
  uint64_t blobs_total;
  rp_str tag;            /* may be empty */
  rp_str message;        /* may be empty */
} rp_progress_event_v1;

typedef struct rp_task_v1 {
  uint32_t struct_size;
  void *user_data;
  /* Non-zero once the host wants the task to stop. The provider polls it at least every
   * second -- also while it waits on the network (a read blocked on a source that stopped
   * sending is ended, not waited out) -- and then returns RP_ERR_CANCELLED. Once non-zero it
   * should stay non-zero. Thread: any, including threads of the provider's own, while
   * execute or plan runs; no block. May be NULL. */
  int (*is_cancelled)(void *user_data);
  /* Progress sink. Thread: any (the provider serialises calls); must not block long.
   * May be NULL. */
  void (*progress)(void *user_data, const rp_progress_event_v1 *event);
} rp_task_v1;

typedef struct rp_host_v1 {
  uint32_t struct_size;
  void *user_data;
  /* Host name and version, for logs ("<host>/<version>"). Borrowed for the host's
   * lifetime. */
  rp_str host_name;

  /* Thread: any; no block. log_enabled may be NULL (= everything enabled). */
  void (*log)(void *user_data, rp_log_level level, rp_str message);
  int (*log_enabled)(void *user_data, rp_log_level level);

  /* Look up a named credential. On RP_OK *out_value is a JSON object of strings
   * ({"username": ..., "password": ...} or {"token": ...}) the provider frees with free_str.
   * RP_ERR_NOT_FOUND if no such secret. Thread: any; may block. */
  rp_status (*secret_get)(void *user_data, rp_str name, rp_host_owned_str *out_value,
                          rp_host_owned_str *out_error);

  /* Release a host-owned string. NULL ptr is a no-op. Thread: any. */
  void (*free_str)(void *user_data, rp_host_owned_str *str);

  /* The host registry's storage. Borrowed for the host's lifetime. */
  const rp_storage_v1 *storage;
} rp_host_v1;

/* ------------------------------------------------------------------------------------------ */
/* The provider: rp_provider_v1.                                                              */
/* ------------------------------------------------------------------------------------------ */

/* One configured provider instance. OWNERSHIP: provider-owned; created by create, released by
 * destroy. */
typedef struct rp_provider_ptr rp_provider_ptr;

typedef struct rp_provider_v1 {
  uint32_t struct_size;
  /* The ABI version the provider speaks (within the host's [min, max]). */
  uint32_t abi_version;

  /* Static description as JSON: {"name","version","source_types":[{"type","max_latest_n",
   * "requires_domain"}], "rule_schema": {...}}. Thread: any; no block. */
  rp_status (*info)(rp_provider_owned_str *out_json);

  /* Create an instance from provider config JSON (may be empty = defaults). The host table
   * must outlive the instance. On failure *out_error says why. Thread: any; may block. */
  rp_status (*create)(const rp_host_v1 *host, rp_str config_json, rp_provider_ptr **out,
                      rp_provider_owned_str *out_error);

  /* Release an instance. No call on it may be running. Thread: any; may block. */
  void (*destroy)(rp_provider_ptr *provider);

  /* Check a rule and return it normalised (defaults applied) as JSON. On
   * RP_ERR_INVALID_ARGUMENT, *out_error lists every problem, one per line. Thread: any,
   * reentrant; no network I/O. */
  rp_status (*validate_rule)(rp_provider_ptr *provider, rp_str rule_json,
                             rp_provider_owned_str *out_normalised,
                             rp_provider_owned_str *out_error);

  /* Dry run: what execute would do, as JSON (tags, digests, timestamps, actions, bytes to
   * fetch after dedup). Writes nothing to storage. Thread: a host worker; blocks (network);
   * reentrant across different rules. `task` may be NULL.
   * plan and execute: on an error status *out_plan / *out_report may still be set (a report
   * with status "failed" and an "error" object, when the rule was valid); the host frees it
   * like any provider-owned string. */
  rp_status (*plan)(rp_provider_ptr *provider, rp_str rule_json, const rp_task_v1 *task,
                    rp_provider_owned_str *out_plan, rp_provider_owned_str *out_error);

  /* Sync the rule into host storage and return a JSON report. RP_OK when the task ran to the
   * end (the report's "status" says succeeded / partial / failed per tag); an error status
   * when it could not run at all (bad rule, source unreachable, cancelled). Thread: a host
   * worker; blocks for the whole sync. The host never runs one rule twice at once. */
  rp_status (*execute)(rp_provider_ptr *provider, rp_str rule_json, const rp_task_v1 *task,
                       rp_provider_owned_str *out_report, rp_provider_owned_str *out_error);

  /* Release a provider-owned string. NULL ptr is a no-op. Thread: any. */
  void (*free_str)(rp_provider_owned_str *str);
} rp_provider_v1;

/* The provider's single exported entry point.
 *
 * The host offers the ABI versions it speaks, [host_min, host_max], and its service table.
 * The provider picks the highest version it speaks in that range, fills *out (copying at most
 * out->struct_size bytes, which the host sets to sizeof(rp_provider_v1) as it was compiled,
 * then setting out->struct_size to what it filled) and returns RP_OK; with no common version
 * it returns RP_ERR_INCOMPATIBLE, leaves *out's functions NULL and sets out->abi_version to the
 * highest version it speaks (0 = unspecified), so the host can say which side is behind.
 * Thread: called once, from the loading thread, before anything else; no block. */
typedef rp_status (*rp_provider_negotiate_fn)(uint32_t host_min, uint32_t host_max,
                                              const rp_host_v1 *host, rp_provider_v1 *out);

RP_EXPORT rp_status rp_provider_negotiate(uint32_t host_min, uint32_t host_max,
                                          const rp_host_v1 *host, rp_provider_v1 *out);

/* ------------------------------------------------------------------------------------------ */
/* Layout checks: a changed offset is an ABI break.                                           */
/* ------------------------------------------------------------------------------------------ */

#if defined(__cplusplus)
#define RP_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define RP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#if defined(__x86_64__) || defined(__aarch64__)
RP_STATIC_ASSERT(sizeof(rp_str) == 16, "rp_str layout");
RP_STATIC_ASSERT(sizeof(rp_provider_owned_str) == 16, "rp_provider_owned_str layout");
RP_STATIC_ASSERT(offsetof(rp_storage_v1, blob_stat) == 16, "rp_storage_v1 layout");
RP_STATIC_ASSERT(offsetof(rp_storage_v1, tag_set) == 104, "rp_storage_v1 layout");
RP_STATIC_ASSERT(sizeof(rp_storage_v1) == 112, "rp_storage_v1 size");
RP_STATIC_ASSERT(offsetof(rp_progress_event_v1, tag) == 40, "rp_progress_event_v1 layout");
RP_STATIC_ASSERT(sizeof(rp_progress_event_v1) == 72, "rp_progress_event_v1 size");
RP_STATIC_ASSERT(sizeof(rp_task_v1) == 32, "rp_task_v1 size");
RP_STATIC_ASSERT(offsetof(rp_host_v1, log) == 32, "rp_host_v1 layout");
RP_STATIC_ASSERT(offsetof(rp_host_v1, storage) == 64, "rp_host_v1 layout");
RP_STATIC_ASSERT(sizeof(rp_host_v1) == 72, "rp_host_v1 size");
RP_STATIC_ASSERT(offsetof(rp_provider_v1, info) == 8, "rp_provider_v1 layout");
RP_STATIC_ASSERT(offsetof(rp_provider_v1, free_str) == 56, "rp_provider_v1 layout");
RP_STATIC_ASSERT(sizeof(rp_provider_v1) == 64, "rp_provider_v1 size");
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RP_REPLICATION_PROVIDER_H */
