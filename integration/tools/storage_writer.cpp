// trib_storage_writer: writes images into a Distribution storage root through the
// rp_storage_v1 table only (as a provider would), for the storage integration tests.
//
//   trib_storage_writer --root <dir> --plan <plan.json>
//                       [--fail-at-step N | --kill-at-step N | --count-steps]
//
// Plan (JSON):
//   {"blobs": [{"path": "...", "digest": "sha256:...", "size": 123}],
//    "repositories": [{"name": "ns/repo",
//                      "links": ["sha256:..."],                     // _layers links, in order
//                      "manifests": [{"path": "...", "digest": "sha256:..."}],  // in order
//                      "tags": [{"tag": "t", "digest": "sha256:..."}]}]}
//
// The storage calls a fault hook before each durable publish step. --fail-at-step N makes the
// N-th call (1-based) return an error, --kill-at-step N raise(SIGKILL) there (a crash), and
// --count-steps prints {"steps": N, "names": [...]} after a normal run.
// Exit: 0 done, 1 a storage call failed (also an injected failure), 2 bad usage or plan.

#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "rp/replication_provider.h"
#include "tributary/Status.h"
#include "tributary/storage/DistributionStorage.h"
#include "tributary/storage/StorageTable.h"

namespace {

struct Options {
  std::string root;
  std::string plan;
  long failAt = 0;
  long killAt = 0;
  bool countSteps = false;
};

struct BlobEntry {
  std::string path;
  std::string digest;
  uint64_t size = 0;
};

struct ManifestEntry {
  std::string path;
  std::string digest;
};

struct TagEntry {
  std::string tag;
  std::string digest;
};

struct RepositoryEntry {
  std::string name;
  std::vector<std::string> links;
  std::vector<ManifestEntry> manifests;
  std::vector<TagEntry> tags;
};

struct Plan {
  std::vector<BlobEntry> blobs;
  std::vector<RepositoryEntry> repositories;
};

int usage(const char* why) {
  std::cerr << "trib_storage_writer: " << why << "\n"
            << "usage: trib_storage_writer --root <dir> --plan <plan.json> "
               "[--fail-at-step N | --kill-at-step N | --count-steps]\n";
  return 2;
}

bool parseArgs(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "trib_storage_writer: " << name << " needs a value\n";
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--root") {
      const char* v = next("--root");
      if (!v) return false;
      opt.root = v;
    } else if (a == "--plan") {
      const char* v = next("--plan");
      if (!v) return false;
      opt.plan = v;
    } else if (a == "--fail-at-step" || a == "--kill-at-step") {
      const char* v = next(a.c_str());
      if (!v) return false;
      char* end = nullptr;
      long n = std::strtol(v, &end, 10);
      if (*end != '\0' || n < 1) {
        std::cerr << "trib_storage_writer: " << a << " needs a positive integer\n";
        return false;
      }
      (a == "--fail-at-step" ? opt.failAt : opt.killAt) = n;
    } else if (a == "--count-steps") {
      opt.countSteps = true;
    } else {
      std::cerr << "trib_storage_writer: unknown option " << a << "\n";
      return false;
    }
  }
  return !opt.root.empty() && !opt.plan.empty();
}

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::string stringField(const Poco::JSON::Object::Ptr& obj, const char* key) {
  if (!obj->has(key)) throw Poco::InvalidArgumentException(std::string("missing field ") + key);
  return obj->getValue<std::string>(key);
}

Plan parsePlan(const std::string& text) {
  Poco::JSON::Parser parser;
  auto root = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
  Plan plan;
  if (auto blobs = root->getArray("blobs")) {
    for (size_t i = 0; i < blobs->size(); ++i) {
      auto b = blobs->getObject(static_cast<unsigned>(i));
      plan.blobs.push_back({stringField(b, "path"), stringField(b, "digest"),
                            b->getValue<uint64_t>("size")});
    }
  }
  if (auto repos = root->getArray("repositories")) {
    for (size_t i = 0; i < repos->size(); ++i) {
      auto r = repos->getObject(static_cast<unsigned>(i));
      RepositoryEntry repo;
      repo.name = stringField(r, "name");
      if (auto links = r->getArray("links")) {
        for (size_t j = 0; j < links->size(); ++j) repo.links.push_back(links->getElement<std::string>(static_cast<unsigned>(j)));
      }
      if (auto ms = r->getArray("manifests")) {
        for (size_t j = 0; j < ms->size(); ++j) {
          auto m = ms->getObject(static_cast<unsigned>(j));
          repo.manifests.push_back({stringField(m, "path"), stringField(m, "digest")});
        }
      }
      if (auto tags = r->getArray("tags")) {
        for (size_t j = 0; j < tags->size(); ++j) {
          auto t = tags->getObject(static_cast<unsigned>(j));
          repo.tags.push_back({stringField(t, "tag"), stringField(t, "digest")});
        }
      }
      plan.repositories.push_back(std::move(repo));
    }
  }
  return plan;
}

rp_str str(const std::string& s) { return rp_str{s.data(), s.size()}; }

// Runs the plan through the table; prints the first failure and returns false.
class PlanRunner {
 public:
  explicit PlanRunner(const rp_storage_v1& table) : t_(table) {}

  bool run(const Plan& plan) {
    for (const auto& b : plan.blobs) {
      if (!writeBlob(b)) return false;
    }
    for (const auto& repo : plan.repositories) {
      for (const auto& d : repo.links) {
        rp_host_owned_str err{nullptr, 0};
        if (!check(t_.link_blob(t_.user_data, str(repo.name), str(d), &err), err,
                   "link_blob " + repo.name + " " + d)) {
          return false;
        }
      }
      for (const auto& m : repo.manifests) {
        std::string bytes;
        if (!readFile(m.path, bytes)) {
          std::cerr << "cannot read manifest file " << m.path << "\n";
          return false;
        }
        rp_bytes content{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
        rp_host_owned_str err{nullptr, 0};
        if (!check(t_.put_manifest(t_.user_data, str(repo.name), str(m.digest), content, &err),
                   err, "put_manifest " + repo.name + " " + m.digest)) {
          return false;
        }
      }
      for (const auto& tag : repo.tags) {
        rp_host_owned_str err{nullptr, 0};
        if (!check(t_.tag_set(t_.user_data, str(repo.name), str(tag.tag), str(tag.digest), &err),
                   err, "tag_set " + repo.name + ":" + tag.tag + " -> " + tag.digest)) {
          return false;
        }
        char current[RP_DIGEST_BUF_SIZE] = {0};
        rp_host_owned_str err2{nullptr, 0};
        if (!check(t_.tag_get(t_.user_data, str(repo.name), str(tag.tag), current, &err2), err2,
                   "tag_get " + repo.name + ":" + tag.tag)) {
          return false;
        }
        if (tag.digest != current) {
          std::cerr << "tag_get " << repo.name << ":" << tag.tag << " returned " << current
                    << ", expected " << tag.digest << "\n";
          return false;
        }
      }
    }
    return true;
  }

 private:
  bool writeBlob(const BlobEntry& b) {
    uint64_t size = 0;
    rp_host_owned_str err{nullptr, 0};
    rp_status st = t_.blob_stat(t_.user_data, str(b.digest), &size, &err);
    if (st == RP_OK) {
      release(err);
      if (size != b.size) {
        std::cerr << "blob " << b.digest << " present with size " << size << ", expected "
                  << b.size << "\n";
        return false;
      }
      return true;
    }
    if (st != RP_ERR_NOT_FOUND) return check(st, err, "blob_stat " + b.digest);
    release(err);

    std::ifstream in(b.path, std::ios::binary);
    if (!in) {
      std::cerr << "cannot read blob file " << b.path << "\n";
      return false;
    }
    rp_blob_writer_host_ptr* writer = nullptr;
    if (!check(t_.blob_writer_open(t_.user_data, str(b.digest), b.size, &writer, &err), err,
               "blob_writer_open " + b.digest)) {
      return false;
    }
    std::vector<char> buf(64 * 1024);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      std::streamsize n = in.gcount();
      if (n <= 0) break;
      rp_bytes chunk{reinterpret_cast<const uint8_t*>(buf.data()), static_cast<size_t>(n)};
      if (!check(t_.blob_writer_write(t_.user_data, writer, chunk, &err), err,
                 "blob_writer_write " + b.digest)) {
        t_.blob_writer_abort(t_.user_data, writer);
        return false;
      }
    }
    if (t_.blob_writer_offset(t_.user_data, writer) != b.size) {
      std::cerr << "blob " << b.digest << ": wrote " << t_.blob_writer_offset(t_.user_data, writer)
                << " bytes, expected " << b.size << "\n";
      t_.blob_writer_abort(t_.user_data, writer);
      return false;
    }
    // commit releases the writer whatever the result.
    return check(t_.blob_writer_commit(t_.user_data, writer, &err), err,
                 "blob_writer_commit " + b.digest);
  }

  static void release(rp_host_owned_str& s) {
    tributary::storage::freeHostString(nullptr, &s);
  }

  static bool check(rp_status st, rp_host_owned_str& err, const std::string& what) {
    if (st == RP_OK) {
      release(err);
      return true;
    }
    std::cerr << what << ": " << rp_status_str(st);
    if (err.ptr) std::cerr << ": " << std::string(err.ptr, err.len);
    std::cerr << "\n";
    release(err);
    return false;
  }

  const rp_storage_v1& t_;
};

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parseArgs(argc, argv, opt)) return usage("bad arguments");
  if ((opt.failAt != 0) + (opt.killAt != 0) + opt.countSteps > 1) {
    return usage("--fail-at-step, --kill-at-step and --count-steps exclude each other");
  }

  Plan plan;
  try {
    std::string text;
    if (!readFile(opt.plan, text)) return usage(("cannot read plan " + opt.plan).c_str());
    plan = parsePlan(text);
  } catch (const Poco::Exception& e) {
    return usage(("bad plan: " + e.displayText()).c_str());
  }

  auto opened = tributary::storage::DistributionStorage::open(opt.root);
  if (!opened.isOk()) {
    std::cerr << "open " << opt.root << ": " << opened.status().toString() << "\n";
    return 1;
  }
  auto& storage = *opened.value();

  long steps = 0;
  std::vector<std::string> names;
  storage.setFaultHook([&](std::string_view step) -> tributary::Status {
    ++steps;
    if (opt.countSteps) names.emplace_back(step);
    if (steps == opt.killAt) {
      std::cerr << "trib_storage_writer: SIGKILL at step " << steps << " (" << step << ")\n";
      std::cerr.flush();
      raise(SIGKILL);
    }
    if (steps == opt.failAt) {
      return tributary::internalError("injected failure at step " + std::to_string(steps) +
                                      " (" + std::string(step) + ")");
    }
    return tributary::Status::ok();
  });

  rp_storage_v1 table = tributary::storage::makeStorageTable(storage);
  PlanRunner runner(table);
  bool ok = runner.run(plan);
  if (opt.countSteps) {
    std::cout << "{\"steps\": " << steps << ", \"names\": [";
    for (size_t i = 0; i < names.size(); ++i) {
      std::cout << (i ? ", " : "") << "\"";
      for (char c : names[i]) {
        if (c == '"' || c == '\\') std::cout << '\\';
        std::cout << c;
      }
      std::cout << "\"";
    }
    std::cout << "]}\n";
  }
  return ok ? 0 : 1;
}
