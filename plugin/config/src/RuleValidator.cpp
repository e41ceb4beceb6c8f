#include "tributary/plugin/config/RuleValidator.h"

#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tributary/Names.h"
#include "tributary/plugin/config/HostPort.h"
#include "tributary/plugin/config/JsonFieldReader.h"
#include "tributary/plugin/config/SourceType.h"
#include "tributary/plugin/config/TagPattern.h"
#include "tributary/UpdatePeriod.h"

namespace tributary::plugin {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

using Problems = std::vector<std::string>;

// Rule names and credential names end up in host storage keys and logs.
bool validName(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(s[0])) return false;
  for (char c : s)
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

bool isGcrHost(const std::string& host) {
  std::string h = host.substr(0, host.find(':'));
  auto endsWith = [&](const std::string& suffix) {
    return h.size() > suffix.size() && h.compare(h.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return h == "gcr.io" || endsWith(".gcr.io") || endsWith("-docker.pkg.dev");
}

void validateSource(const Object::Ptr& src, Rule& rule, Problems& problems) {
  JsonFieldReader f(src, "source.", {"type", "domain", "repository", "credential"}, problems);
  const SourceType* type = nullptr;
  if (!f.has("type")) {
    problems.push_back(std::string("source.type is required (one of ") + SourceType::namesList() + ")");
  } else if (f.string("type", rule.source.type)) {
    type = SourceType::find(rule.source.type);
    if (type == nullptr)
      problems.push_back("source.type `" + rule.source.type + "` is unknown; expected one of " +
                   SourceType::namesList());
  }
  std::string domain;
  bool hasDomain = f.string("domain", domain);
  if (type != nullptr) {
    if (hasDomain && !type->allowsDomain) {
      problems.push_back("source.domain is not used by " + rule.source.type +
                   " sources (their registry is " + type->defaultHost +
                   "); use type custom for another registry");
    } else if (hasDomain) {
      auto normalised = HostPort::normalise(domain, "source.domain");
      if (!normalised) {
        problems.push_back(normalised.status().message());
      } else if (rule.source.type == "gcr" && !isGcrHost(*normalised)) {
        problems.push_back("source.domain `" + domain +
                     "` is not a Google registry (gcr.io, <region>.gcr.io or "
                     "<location>-docker.pkg.dev); use type custom for another registry");
      } else {
        rule.source.domain = *normalised;
      }
    } else if (type->requiresDomain) {
      problems.push_back("source.domain is required for " + rule.source.type +
                   " sources: the registry host[:port], e.g. registry.example.org:5000");
    } else if (type->allowsDomain) {
      rule.source.domain = type->defaultHost;
    }
  }
  if (!f.has("repository")) {
    problems.push_back("source.repository is required: <namespace>/<repository>, e.g. library/nginx");
  } else if (f.string("repository", rule.source.repository)) {
    std::string& repo = rule.source.repository;
    if (rule.source.type == "dockerhub" && !repo.empty() && repo.find('/') == std::string::npos)
      repo = "library/" + repo;  // official images, as docker pull names them
    // gcr: the Google host may lead the repository, as docker pull names it
    // ("us-docker.pkg.dev/proj/repo/img"); it then becomes the domain.
    size_t slash = repo.find('/');
    if (rule.source.type == "gcr" && slash != std::string::npos &&
        isGcrHost(repo.substr(0, slash))) {
      const std::string named = repo.substr(0, slash);
      if (hasDomain && rule.source.domain != named) {
        problems.push_back("source.repository names host " + named + " but source.domain is " +
                           rule.source.domain + "; give the host in one place");
      } else {
        rule.source.domain = named;
        repo = repo.substr(slash + 1);
      }
    }
    Status s = validateRepositoryName(repo);
    if (!s.isOk()) {
      problems.push_back("source." + s.message());
    } else if (repo.find('/') == std::string::npos) {
      problems.push_back("source.repository `" + repo +
                   "` must be <namespace>/<repository> (two or more path components)");
    } else if (rule.source.type == "dockerhub" &&
               repo.find('/') != repo.rfind('/')) {
      problems.push_back("source.repository `" + repo +
                   "` has more than two components; Docker Hub repositories are <namespace>/<repository>");
    }
  }
  if (f.string("credential", rule.source.credential) &&
      !validName(rule.source.credential)) {
    problems.push_back("source.credential `" + rule.source.credential +
                 "` is not a valid secret name ([A-Za-z0-9][A-Za-z0-9._-]{0,127})");
    rule.source.credential.clear();
  }
}

void validatePolicy(const Object::Ptr& policy, Rule& rule, Problems& problems) {
  if (!policy) return;
  JsonFieldReader f(policy, "policy.", {"tag_regex", "latest_n", "platforms"}, problems);
  if (f.string("tag_regex", rule.policy.tagRegex)) {
    if (rule.policy.tagRegex.empty()) {
      problems.push_back("policy.tag_regex is empty and would match no tag; use `.*` for every tag");
    } else {
      auto compiled = TagPattern::compile(rule.policy.tagRegex);
      if (!compiled) problems.push_back(compiled.status().message());
    }
  }
  if (f.has("latest_n")) {
    Var v = f.raw("latest_n");
    if (!v.isInteger()) {
      problems.push_back("policy.latest_n must be a whole number, got " +
                   (v.isNumeric() ? v.convert<std::string>() : JsonFieldReader::typeName(v)));
    } else {
      int64_t n = v.convert<int64_t>();
      rule.policy.latestN = n > 1000000 ? 1000000 : n < -1000000 ? -1000000 : static_cast<int>(n);
    }
  }
  if (f.has("platforms")) {
    Var v = f.raw("platforms");
    if (v.type() != typeid(Array::Ptr)) {
      problems.push_back("policy.platforms must be an array of os/arch[/variant] strings, got " +
                   JsonFieldReader::typeName(v));
    } else {
      auto arr = v.extract<Array::Ptr>();
      for (size_t i = 0; i < arr->size(); ++i) {
        Var e = arr->get(static_cast<unsigned>(i));
        const std::string path = "policy.platforms[" + std::to_string(i) + "]";
        if (!e.isString()) {
          problems.push_back(path + " must be a string like linux/amd64, got " + JsonFieldReader::typeName(e));
          continue;
        }
        auto p = Platform::parse(e.convert<std::string>());
        if (!p) {
          problems.push_back(path + ": " + p.status().message());
          continue;
        }
        bool dup = false;
        for (const Platform& q : rule.policy.platforms) dup = dup || q == *p;
        if (!dup) rule.policy.platforms.push_back(*p);
      }
    }
  }
}

void checkLatestN(Rule& rule, Problems& problems) {
  const SourceType* type = SourceType::find(rule.source.type);
  int max = type ? type->maxLatestN : 30;
  if (rule.policy.latestN < 1 || rule.policy.latestN > max) {
    problems.push_back("policy.latest_n is " + std::to_string(rule.policy.latestN) + "; " +
                 (type ? rule.source.type + " sources allow" : std::string("the limit is")) +
                 " 1.." + std::to_string(max));
  }
}

void validateDestination(const Object::Ptr& dst, Rule& rule, Problems& problems) {
  JsonFieldReader f(dst, "destination.", {"repository", "overwrite"}, problems);
  if (!f.has("repository")) {
    problems.push_back("destination.repository is required, e.g. mirror/nginx");
  } else if (f.string("repository", rule.destination.repository)) {
    Status s = validateRepositoryName(rule.destination.repository);
    if (!s.isOk()) problems.push_back("destination." + s.message());
  }
  f.boolean("overwrite", rule.destination.overwrite);
}

}  // namespace

Result<Rule> RuleValidator::validate(const std::string& ruleJson) {
  Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    Var parsed = parser.parse(ruleJson);
    if (parsed.type() != typeid(Object::Ptr))
      return invalidArgumentError("rule must be a JSON object, got " + JsonFieldReader::typeName(parsed));
    root = parsed.extract<Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return invalidArgumentError("rule is not valid JSON: " + e.displayText());
  }
  Problems problems;
  Rule rule;
  JsonFieldReader f(root, "",
                    {"name", "source", "policy", "destination", "acceleration", "update_period"},
                    problems);
  if (!f.has("name")) {
    problems.push_back("name is required: [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  } else if (f.string("name", rule.name) && !validName(rule.name)) {
    problems.push_back("name `" + rule.name +
                 "` is invalid: use 1-128 of [A-Za-z0-9._-], starting with a letter or digit");
  }
  if (!f.has("source")) {
    problems.push_back("source is required: {\"type\", \"repository\", ...}");
  } else if (auto src = f.object("source")) {
    validateSource(src, rule, problems);
  }
  validatePolicy(f.object("policy"), rule, problems);
  checkLatestN(rule, problems);
  if (!f.has("destination")) {
    problems.push_back("destination is required: {\"repository\": ..., \"overwrite\": false}");
  } else if (auto dst = f.object("destination")) {
    validateDestination(dst, rule, problems);
  }
  f.boolean("acceleration", rule.acceleration);
  std::string period;
  if (f.string("update_period", period)) {
    auto normalised = UpdatePeriod::normalise(period);
    if (normalised) {
      rule.updatePeriod = *normalised;
    } else {
      problems.push_back(normalised.status().message());
    }
  }
  TRIB_RETURN_IF_ERROR(JsonFieldReader::verdict(problems));
  return rule;
}

}  // namespace tributary::plugin
