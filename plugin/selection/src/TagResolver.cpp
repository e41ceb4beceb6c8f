#include "tributary/plugin/selection/TagResolver.h"

#include <algorithm>
#include <set>

#include "tributary/BoundedParallel.h"
#include "tributary/registry/ImageConfig.h"
#include "tributary/registry/MemoryBlobSink.h"

namespace tributary::plugin {
namespace {

constexpr size_t kMaxConfigBytes = 4u << 20;

// The report's reason_code of a tag that could not be resolved.
std::string failureCode(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnimplemented:
    case StatusCode::kDataLoss: return "invalid_manifest";
    default: return "fetch_failed";
  }
}

std::string platformText(const std::string& os, const std::string& arch, const std::string& variant) {
  return Platform::normalised(os, arch, variant).toString();
}

}  // namespace

TagResolver::TagResolver(const Rule& rule, const std::string& sourceRepository,
                         registry::RegistryReader& reader, Storage& storage,
                         JsonFileCache& choiceCache)
    : rule_(rule),
      sourceRepository_(sourceRepository),
      reader_(reader),
      storage_(storage),
      choiceCache_(choiceCache),
      matcher_(rule.policy.platforms),
      overwrite_(rule.destination.overwrite) {}

bool TagResolver::deferred(ResolvedTag& out, int64_t pulls, bool more) const {
  if (!fetchGate_ || pulls <= 0) return false;
  registry::FetchAsk ask;
  ask.pulls = pulls;
  ask.more = more;
  ask.countOnly = countOnly_;
  std::optional<registry::FetchDeferral> d = fetchGate_(out.info, ask);
  if (d) {
    out.action = TagAction::kDeferred;
    out.reasonCode = d->code;
    out.reason = d->reason;
    out.manifests.clear();
    out.blobs.clear();
    return true;
  }
  out.pullsNeeded += pulls;
  if (!countOnly_) return false;
  out.pullsOnlyCounted = true;  // nothing fetched: the plan spends no pulls
  if (out.action != TagAction::kSynced) {  // single platform, choice not cached yet
    out.action = TagAction::kSynced;
    out.reasonCode = "";
    out.reason = "the platform's manifest decides (not read: a plan spends no pulls)";
  }
  return true;
}

std::string TagResolver::choiceKey(const std::string& sourceDigest) const {
  return sourceDigest + "|" + matcher_.key();
}

ResolvedTag TagResolver::resolve(const registry::TagInfo& info) { return resolve(info, nullptr); }

ResolvedTag TagResolver::resolve(const registry::TagInfo& info, const DestinationTag* known) {
  ResolvedTag out;
  out.info = info;
  if (!info.error.isOk() && serialAdmission_ &&
      info.error.code() == StatusCode::kResourceExhausted) {
    out.action = TagAction::kDeferred;  // its time lookup hit the pull budget
    out.reasonCode = "budget_exhausted";
    out.reason = info.error.message();
    return out;
  }
  if (!info.error.isOk()) {  // the adapter could not read it: nothing to resolve
    out.action = TagAction::kFailed;
    out.error = info.error;
    out.reasonCode = "fetch_failed";
    out.reason = "reading the tag at the source: " + info.error.message();
    out.sourceDigest = info.digest;
    return out;
  }
  Status s = resolveInto(out, known);
  finish(out, s);
  return out;
}

void TagResolver::finish(ResolvedTag& out, const Status& s) {
  if (out.action == TagAction::kDeferred) {
    out.manifests.clear();
    out.blobs.clear();
    return;
  }
  if (!s.isOk() && fetchGate_ && s.code() == StatusCode::kResourceExhausted) {
    // A GET the source refused (its budget, or a 429 anyway): when the source now defers any
    // further pull, wait for the window instead of failing.
    registry::FetchAsk again;
    again.more = true;
    if (std::optional<registry::FetchDeferral> d = fetchGate_(out.info, again)) {
      out.action = TagAction::kDeferred;
      out.reasonCode = d->code;
      out.reason = s.message().find(d->reason) != std::string::npos
                       ? s.message()
                       : s.message() + "; " + d->reason;
      out.manifests.clear();
      out.blobs.clear();
      return;
    }
  }
  if (!s.isOk()) {
    out.action = TagAction::kFailed;
    out.error = s;
    out.reasonCode = failureCode(s);
    out.reason = s.message();
    out.manifests.clear();
    out.blobs.clear();
    out.foreignLayers.clear();
  }
}

Result<std::vector<ResolvedTag>> TagResolver::resolveAll(const std::vector<registry::TagInfo>& tags,
                                                         int concurrency,
                                                         const TaskContext& task) {
  std::vector<ResolvedTag> resolved(tags.size());
  // Local decisions spend no pulls, so taking them first leaves the admission order of the
  // others as it was.
  std::vector<size_t> others;
  std::vector<std::optional<DestinationTag>> read(tags.size());
  const auto localUntil = std::chrono::steady_clock::now() + kLocalBudget;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (task.isCancelled()) return cancelledError("task cancelled");
    if (std::chrono::steady_clock::now() >= localUntil ||
        !decidedLocally(tags[i], resolved[i], read[i]))
      others.push_back(i);
  }
  // Serial admission (a pull budget): tags ask for pulls one after the other, newest first
  // (the order given): an older tag must not take the pulls a newer one needed.
  if (serialAdmission_) concurrency = 1;
  BoundedParallel::run(others.size(), concurrency, [&](size_t k) {
    if (task.isCancelled()) return false;
    const size_t i = others[k];
    resolved[i] = resolve(tags[i], read[i] ? &*read[i] : nullptr);
    return true;
  });
  if (task.isCancelled()) return cancelledError("task cancelled");
  return resolved;
}

bool TagResolver::decidedLocally(const registry::TagInfo& info, ResolvedTag& out,
                                 std::optional<DestinationTag>& read) {
  if (!info.error.isOk() || info.digest.empty()) return false;
  std::optional<std::string> target;
  if (!matcher_.singlePlatform()) target = info.digest;
  else if (auto cached = choiceCache_.get(choiceKey(info.digest))) target = *cached;
  if (!target) return false;
  auto destination = storage_.tagGet(rule_.destination.repository, info.tag);
  ResolvedTag local;
  local.info = info;
  local.sourceDigest = info.digest;
  if (!destination.isOk()) {  // what resolve() answers, without reading the tag again
    finish(local, destination.status());
    out = std::move(local);
    return true;
  }
  read = *destination;
  local.destinationDigest = destination->value_or("");
  local.targetDigest = *target;
  if (!decide(local, *destination)) return false;
  out = std::move(local);
  return true;
}

bool TagResolver::decide(ResolvedTag& out, const std::optional<std::string>& destination) {
  switch (overwrite_.decide(destination, out.targetDigest)) {
    case OverwritePolicy::Decision::kUnchanged:
      out.action = TagAction::kUnchanged;
      out.reasonCode = "";
      out.reason = "destination already points at " + out.targetDigest;
      return true;
    case OverwritePolicy::Decision::kKeep:
      out.action = TagAction::kKept;
      out.reasonCode = "destination_differs";
      out.reason = OverwritePolicy::kKeptReason;
      return true;
    case OverwritePolicy::Decision::kWrite:
      out.action = TagAction::kSynced;
      out.reasonCode = "";
      out.reason = "absent at destination";
      return false;
    case OverwritePolicy::Decision::kReplace:
      out.action = TagAction::kSynced;
      out.reasonCode = "destination_replaced";
      out.reason = "destination differs; overwrite is on";
      return false;
  }
  return false;
}

Status TagResolver::resolveInto(ResolvedTag& out, const DestinationTag* known) {
  const std::string& tag = out.info.tag;
  std::optional<registry::Manifest> top;
  std::string topMediaType;  // from the HEAD, when one was made
  bool askedGate = false;
  out.sourceDigest = out.info.digest;
  if (out.sourceDigest.empty()) {
    auto headed = reader_.headManifest(sourceRepository_, tag);
    if (!headed.isOk() && headed.status().code() == StatusCode::kNotFound) {
      // A vendor tag API (Hub, Quay) can list a tag its registry has just deleted: nothing to
      // copy, and nothing wrong with the run.
      out.action = TagAction::kSkipped;
      out.reasonCode = "source_tag_missing";
      out.reason = "listed by the source's tag API but absent from its registry (deleted "
                   "since listing?)";
      return Status();
    }
    TRIB_ASSIGN_OR_RETURN(registry::ManifestDescriptor head, std::move(headed));
    out.sourceDigest = head.digest;
    topMediaType = head.mediaType;
    if (out.sourceDigest.empty()) {  // no Docker-Content-Digest: the GET tells us
      if (deferred(out, 1, false)) return Status();
      askedGate = true;
      TRIB_ASSIGN_OR_RETURN(registry::Manifest m, reader_.getManifest(sourceRepository_, tag));
      out.sourceDigest = m.digest;
      top = std::move(m);
    }
  }
  DestinationTag destination;
  if (known != nullptr) {
    destination = *known;
  } else {
    TRIB_ASSIGN_OR_RETURN(destination, storage_.tagGet(rule_.destination.repository, tag));
  }
  out.destinationDigest = destination.value_or("");

  // Cheap decision first: is the target digest known without a manifest GET?
  std::optional<std::string> knownTarget;
  if (!matcher_.singlePlatform()) {
    knownTarget = out.sourceDigest;
  } else if (auto cached = choiceCache_.get(choiceKey(out.sourceDigest))) {
    knownTarget = *cached;
  }
  if (knownTarget) {
    out.targetDigest = *knownTarget;
    if (decide(out, destination)) return Status();
  }

  if (!top) {
    if (!askedGate) {
      // Count the GETs before the first: the index (or image) itself, plus the children to
      // copy when the listing named the platforms (else asked for once the index is read).
      int64_t pulls = 1;
      const bool isIndex = topMediaType.find("index") != std::string::npos ||
                           topMediaType.find("manifest.list") != std::string::npos;
      if (serialAdmission_ && isIndex && out.info.platforms) {
        int64_t children = 0;
        for (const registry::DescriptorPlatform& p : *out.info.platforms)
          if (!matcher_.filtered() || matcher_.matches(p.os, p.architecture, p.variant)) ++children;
        if (matcher_.singlePlatform()) children = std::min<int64_t>(children, 1);
        pulls += children;
      }
      if (deferred(out, pulls, false)) return Status();
      askedGate = true;
    }
    TRIB_ASSIGN_OR_RETURN(registry::Manifest m,
                          reader_.getManifest(sourceRepository_, out.sourceDigest));
    top = std::move(m);
  }
  TRIB_ASSIGN_OR_RETURN(registry::ParsedManifest parsed,
                        registry::ParsedManifest::parse(top->bytes, top->mediaType));
  if (parsed.kind == registry::ManifestKind::kSchema1) {
    out.action = TagAction::kSkipped;
    out.reasonCode = "unsupported_manifest";
    out.reason = "schema1 manifest (" + parsed.mediaType +
                 ") is not supported; the source must serve Docker schema2 or OCI";
    return Status();
  }

  if (parsed.kind == registry::ManifestKind::kImage) {
    bool platformOk = true;
    TRIB_RETURN_IF_ERROR(addImage(out, out.sourceDigest, top->bytes, parsed, matcher_.filtered(),
                                  platformOk));
    if (!platformOk) return Status();  // skipped, reason set
    out.targetDigest = out.sourceDigest;
    if (matcher_.singlePlatform()) choiceCache_.put(choiceKey(out.sourceDigest), out.targetDigest);
    if (decide(out, destination)) {
      out.manifests.clear();
      out.blobs.clear();
      out.foreignLayers.clear();
    }
    return Status();
  }

  // Index / manifest list.
  const std::vector<size_t> selected = matcher_.select(parsed.children);
  if (selected.empty()) {
    std::string available;
    for (const registry::Descriptor& c : parsed.children) {
      if (!c.hasPlatform || c.isAttestation()) continue;
      available += (available.empty() ? "" : ", ") +
                   platformText(c.platform.os, c.platform.architecture, c.platform.variant);
    }
    out.action = TagAction::kSkipped;
    out.reasonCode = "platform_not_matched";
    out.reason = "no child manifest matches platforms " + matcher_.describe() + " (index has " +
                 (available.empty() ? std::string("no platforms") : available) + ")";
    return Status();
  }
  if (matcher_.singlePlatform()) {
    const registry::Descriptor& child = parsed.children[selected.front()];
    out.targetDigest = child.digest;
    choiceCache_.put(choiceKey(out.sourceDigest), out.targetDigest);
    if (decide(out, destination)) return Status();
  } else {
    out.targetDigest = out.sourceDigest;
  }
  if (serialAdmission_) {
    // The listing may have undercounted (attestation children, no platforms listed): ask for
    // the rest before the first child GET rather than be refused halfway.
    int64_t more = static_cast<int64_t>(selected.size()) + 1 - out.pullsNeeded;
    if (more > 0 && deferred(out, more, true)) return Status();
  }
  for (size_t i : selected) {
    const registry::Descriptor& child = parsed.children[i];
    TRIB_ASSIGN_OR_RETURN(registry::Manifest m,
                          reader_.getManifest(sourceRepository_, child.digest));
    TRIB_ASSIGN_OR_RETURN(registry::ParsedManifest childParsed,
                          registry::ParsedManifest::parse(m.bytes, m.mediaType));
    if (childParsed.kind != registry::ManifestKind::kImage)
      return unimplementedError("child " + child.digest + " of index " + out.sourceDigest +
                                " is not an image manifest (nested indexes and schema1 "
                                "children are not supported)");
    bool platformOk = true;
    TRIB_RETURN_IF_ERROR(addImage(out, child.digest, m.bytes, childParsed, false, platformOk));
  }
  if (!matcher_.singlePlatform()) {
    // Sparse or whole: the original index bytes and digest, after its children.
    out.manifests.push_back({out.sourceDigest, top->bytes});
  }
  return Status();
}

Status TagResolver::addImage(ResolvedTag& out, const std::string& digest,
                             const std::string& bytes, const registry::ParsedManifest& parsed,
                             bool checkPlatform, bool& platformOk) {
  std::set<std::string> seen;
  for (const BlobRef& b : out.blobs) seen.insert(b.digest);
  BlobRef config{parsed.config.digest, parsed.config.size, nullptr};
  if (checkPlatform) {
    if (parsed.config.size > kMaxConfigBytes)
      return failedPreconditionError("config " + parsed.config.digest + " is larger than 4 MiB");
    registry::MemoryBlobSink sink(kMaxConfigBytes);
    TRIB_RETURN_IF_ERROR(
        reader_.fetchBlob(sourceRepository_, parsed.config.digest, parsed.config.size, sink)
            .withContext("fetching config " + parsed.config.digest));
    TRIB_RETURN_IF_ERROR(sink.verify(parsed.config.digest));
    auto cfg = registry::ImageConfig::parse(sink.bytes());
    if (!cfg || !matcher_.matches(cfg->os, cfg->architecture, cfg->variant)) {
      platformOk = false;
      out.action = TagAction::kSkipped;
      out.reasonCode = "platform_not_matched";
      out.reason = cfg ? "image platform " + platformText(cfg->os, cfg->architecture, cfg->variant) +
                             " does not match platforms " + matcher_.describe()
                       : "image config has no platform; it cannot match platforms " +
                             matcher_.describe();
      out.blobs.clear();
      out.foreignLayers.clear();
      out.manifests.clear();
      return Status();
    }
    config.bytes = std::make_shared<const std::string>(sink.bytes());
  }
  if (seen.insert(config.digest).second) out.blobs.push_back(std::move(config));
  for (const registry::Descriptor& layer : parsed.layers) {
    // Only a foreign / non-distributable layer may be left to its urls (clients fetch it from
    // there); any other layer is stored, urls or not, or the mirror would answer 404 for it.
    if (!layer.urls.empty() && layer.isNonDistributable()) {
      const std::string entry = layer.digest + " (" + layer.mediaType + ")";
      if (std::find(out.foreignLayers.begin(), out.foreignLayers.end(), entry) ==
          out.foreignLayers.end())
        out.foreignLayers.push_back(entry);
      continue;
    }
    if (seen.insert(layer.digest).second) out.blobs.push_back({layer.digest, layer.size, nullptr});
  }
  out.manifests.push_back({digest, bytes});
  return Status();
}

}  // namespace tributary::plugin
