#include "tributary/plugin/RuleValidator.h"

#include <set>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tributary/Names.h"
#include "tributary/plugin/HostPort.h"
#include "tributary/plugin/SourceType.h"
#include "tributary/plugin/TagPattern.h"
#include "tributary/plugin/UpdatePeriod.h"

namespace tributary::plugin {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Collects problems while walking the JSON.
class Problems {
 public:
  void add(std::string p) { lines_.push_back(std::move(p)); }
  bool empty() const { return lines_.empty(); }
  std::string joined() const {
    std::string s;
    for (size_t i = 0; i < lines_.size(); ++i) s += (i ? "\n" : "") + lines_[i];
    return s;
  }

 private:
  std::vector<std::string> lines_;
};

bool present(const Object::Ptr& o, const char* key) { return o && o->has(key) && !o->isNull(key); }

std::string typeName(const Var& v) {
  if (v.isEmpty()) return "null";
  if (v.isString()) return "a string";
  if (v.isBoolean()) return "a boolean";
  if (v.isNumeric()) return "a number";
  if (v.type() == typeid(Object::Ptr)) return "an object";
  if (v.type() == typeid(Array::Ptr)) return "an array";
  return "another type";
}

void rejectUnknown(const Object::Ptr& o, const std::set<std::string>& known,
                   const std::string& where, Problems& problems) {
  for (const std::string& name : o->getNames()) {
    if (known.count(name) == 0) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      problems.add("unknown field `" + where + name + "` (known: " + list + ")");
    }
  }
}

// Reads an optional string member; a wrong type is a problem.
bool getString(const Object::Ptr& o, const char* key, const std::string& path, std::string& out,
               Problems& problems) {
  if (!present(o, key)) return false;
  Var v = o->get(key);
  if (!v.isString()) {
    problems.add(path + " must be a string, got " + typeName(v));
    return false;
  }
  out = v.convert<std::string>();
  return true;
}

bool getBool(const Object::Ptr& o, const char* key, const std::string& path, bool& out,
             Problems& problems) {
  if (!present(o, key)) return false;
  Var v = o->get(key);
  if (!v.isBoolean()) {
    problems.add(path + " must be true or false, got " + typeName(v));
    return false;
  }
  out = v.convert<bool>();
  return true;
}

Object::Ptr getObject(const Object::Ptr& o, const char* key, const std::string& path,
                      Problems& problems) {
  if (!present(o, key)) return nullptr;
  Var v = o->get(key);
  if (v.type() != typeid(Object::Ptr)) {
    problems.add(path + " must be an object, got " + typeName(v));
    return nullptr;
  }
  return v.extract<Object::Ptr>();
}

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
  rejectUnknown(src, {"type", "domain", "repository", "credential"}, "source.", problems);
  const SourceType* type = nullptr;
  if (!present(src, "type")) {
    problems.add(std::string("source.type is required (one of ") + SourceType::namesList() + ")");
  } else if (getString(src, "type", "source.type", rule.source.type, problems)) {
    type = SourceType::find(rule.source.type);
    if (type == nullptr)
      problems.add("source.type `" + rule.source.type + "` is unknown; expected one of " +
                   SourceType::namesList());
  }
  std::string domain;
  bool hasDomain = getString(src, "domain", "source.domain", domain, problems);
  if (type != nullptr) {
    if (hasDomain && !type->allowsDomain) {
      problems.add("source.domain is not used by " + rule.source.type +
                   " sources (their registry is " + type->defaultHost +
                   "); use type custom for another registry");
    } else if (hasDomain) {
      auto normalised = HostPort::normalise(domain, "source.domain");
      if (!normalised) {
        problems.add(normalised.status().message());
      } else if (rule.source.type == "gcr" && !isGcrHost(*normalised)) {
        problems.add("source.domain `" + domain +
                     "` is not a Google registry (gcr.io, <region>.gcr.io or "
                     "<location>-docker.pkg.dev); use type custom for another registry");
      } else {
        rule.source.domain = *normalised;
      }
    } else if (type->requiresDomain) {
      problems.add("source.domain is required for " + rule.source.type +
                   " sources: the registry host[:port], e.g. registry.example.org:5000");
    } else if (type->allowsDomain) {
      rule.source.domain = type->defaultHost;
    }
  }
  if (!present(src, "repository")) {
    problems.add("source.repository is required: <namespace>/<repository>, e.g. library/nginx");
  } else if (getString(src, "repository", "source.repository", rule.source.repository, problems)) {
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
        problems.add("source.repository names host " + named + " but source.domain is " +
                     rule.source.domain + "; give the host in one place");
      } else {
        rule.source.domain = named;
        repo = repo.substr(slash + 1);
      }
    }
    Status s = validateRepositoryName(repo);
    if (!s.isOk()) {
      problems.add("source." + s.message());
    } else if (repo.find('/') == std::string::npos) {
      problems.add("source.repository `" + repo +
                   "` must be <namespace>/<repository> (two or more path components)");
    } else if (rule.source.type == "dockerhub" &&
               repo.find('/') != repo.rfind('/')) {
      problems.add("source.repository `" + repo +
                   "` has more than two components; Docker Hub repositories are <namespace>/<repository>");
    }
  }
  if (getString(src, "credential", "source.credential", rule.source.credential, problems) &&
      !validName(rule.source.credential)) {
    problems.add("source.credential `" + rule.source.credential +
                 "` is not a valid secret name ([A-Za-z0-9][A-Za-z0-9._-]{0,127})");
    rule.source.credential.clear();
  }
}

void validatePolicy(const Object::Ptr& policy, Rule& rule, Problems& problems) {
  if (!policy) return;
  rejectUnknown(policy, {"tag_regex", "latest_n", "platforms"}, "policy.", problems);
  if (getString(policy, "tag_regex", "policy.tag_regex", rule.policy.tagRegex, problems)) {
    if (rule.policy.tagRegex.empty()) {
      problems.add("policy.tag_regex is empty and would match no tag; use `.*` for every tag");
    } else {
      auto compiled = TagPattern::compile(rule.policy.tagRegex);
      if (!compiled) problems.add(compiled.status().message());
    }
  }
  if (present(policy, "latest_n")) {
    Var v = policy->get("latest_n");
    if (!v.isInteger()) {
      problems.add("policy.latest_n must be a whole number, got " +
                   (v.isNumeric() ? v.convert<std::string>() : typeName(v)));
    } else {
      int64_t n = v.convert<int64_t>();
      rule.policy.latestN = n > 1000000 ? 1000000 : n < -1000000 ? -1000000 : static_cast<int>(n);
    }
  }
  if (present(policy, "platforms")) {
    Var v = policy->get("platforms");
    if (v.type() != typeid(Array::Ptr)) {
      problems.add("policy.platforms must be an array of os/arch[/variant] strings, got " +
                   typeName(v));
    } else {
      auto arr = v.extract<Array::Ptr>();
      for (size_t i = 0; i < arr->size(); ++i) {
        Var e = arr->get(static_cast<unsigned>(i));
        const std::string path = "policy.platforms[" + std::to_string(i) + "]";
        if (!e.isString()) {
          problems.add(path + " must be a string like linux/amd64, got " + typeName(e));
          continue;
        }
        auto p = Platform::parse(e.convert<std::string>());
        if (!p) {
          problems.add(path + ": " + p.status().message());
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
    problems.add("policy.latest_n is " + std::to_string(rule.policy.latestN) + "; " +
                 (type ? rule.source.type + " sources allow" : std::string("the limit is")) +
                 " 1.." + std::to_string(max));
  }
}

void validateDestination(const Object::Ptr& dst, Rule& rule, Problems& problems) {
  rejectUnknown(dst, {"repository", "overwrite"}, "destination.", problems);
  if (!present(dst, "repository")) {
    problems.add("destination.repository is required, e.g. mirror/nginx");
  } else if (getString(dst, "repository", "destination.repository", rule.destination.repository,
                       problems)) {
    Status s = validateRepositoryName(rule.destination.repository);
    if (!s.isOk()) problems.add("destination." + s.message());
  }
  getBool(dst, "overwrite", "destination.overwrite", rule.destination.overwrite, problems);
}

}  // namespace

Result<Rule> RuleValidator::validate(const std::string& ruleJson) {
  Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    Var parsed = parser.parse(ruleJson);
    if (parsed.type() != typeid(Object::Ptr))
      return invalidArgumentError("rule must be a JSON object, got " + typeName(parsed));
    root = parsed.extract<Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return invalidArgumentError("rule is not valid JSON: " + e.displayText());
  }
  Problems problems;
  Rule rule;
  rejectUnknown(root,
                {"name", "source", "policy", "destination", "acceleration", "update_period"}, "",
                problems);
  if (!present(root, "name")) {
    problems.add("name is required: [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  } else if (getString(root, "name", "name", rule.name, problems) && !validName(rule.name)) {
    problems.add("name `" + rule.name +
                 "` is invalid: use 1-128 of [A-Za-z0-9._-], starting with a letter or digit");
  }
  if (!present(root, "source")) {
    problems.add("source is required: {\"type\", \"repository\", ...}");
  } else if (auto src = getObject(root, "source", "source", problems)) {
    validateSource(src, rule, problems);
  }
  validatePolicy(getObject(root, "policy", "policy", problems), rule, problems);
  checkLatestN(rule, problems);
  if (!present(root, "destination")) {
    problems.add("destination is required: {\"repository\": ..., \"overwrite\": false}");
  } else if (auto dst = getObject(root, "destination", "destination", problems)) {
    validateDestination(dst, rule, problems);
  }
  getBool(root, "acceleration", "acceleration", rule.acceleration, problems);
  std::string period;
  if (getString(root, "update_period", "update_period", period, problems)) {
    auto normalised = UpdatePeriod::normalise(period);
    if (normalised) {
      rule.updatePeriod = *normalised;
    } else {
      problems.add(normalised.status().message());
    }
  }
  if (!problems.empty()) return invalidArgumentError(problems.joined());
  return rule;
}

}  // namespace tributary::plugin
