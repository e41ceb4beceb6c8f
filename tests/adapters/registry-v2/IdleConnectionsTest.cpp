// IdleConnections: the keep-alive connections one client (run) leaves for the next. Kept per
// key, freshest first, bounded per key and in all, closed once idle too long; clients sharing
// one reuse connections across their lifetimes, a server that closed one in the meantime
// costs a transparent retry, and a client with its own resolver never shares.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "FakeServer.h"
#include "PooledSession.h"
#include "StatusPrinting.h"
#include "tributary/registry/IdleConnections.h"
#include "tributary/registry/RegistryClient.h"

using namespace tributary;
using namespace tributary::registry;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<PooledSession> session(uint16_t port) {
  return PooledSession::createPlain("http://127.0.0.1:" + std::to_string(port), "127.0.0.1",
                                    Poco::Net::IPAddress("127.0.0.1"), port);
}

// A registry answering one tag list, counting requests.
struct TagServer {
  std::atomic<int> requests{0};
  testing::FakeServer server;
  explicit TagServer(Poco::Timespan keepAlive = Poco::Timespan(10, 0))
      : server(
            [this](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& rs) {
              ++requests;
              testing::reply(rs, 200, R"({"name":"lib/app","tags":["v1"]})");
            },
            nullptr, keepAlive) {}
};

Status listOnce(const TagServer& s, std::shared_ptr<IdleConnections> idle,
                bool ownResolver = false) {
  RegistryClientOptions o;
  o.host = s.server.hostPort();
  o.plainHttp = true;
  o.allowPrivateNetworks = true;
  o.idleConnections = std::move(idle);
  if (ownResolver)
    o.resolveHost = [](const std::string&) { return std::vector<std::string>{"127.0.0.1"}; };
  RegistryClient client(o);
  auto tags = client.listTags("lib/app");
  if (!tags.isOk()) return tags.status();
  if (*tags != std::vector<std::string>{"v1"}) return internalError("unexpected tags");
  return Status();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(IdleConnectionsTest)

BOOST_AUTO_TEST_CASE(hands_back_the_freshest_of_its_key_only) {
  IdleConnections idle;
  auto a = session(5001), b = session(5001), c = session(5002);
  PooledSession* second = b.get();
  idle.put("k1", std::move(a));
  idle.put("k1", std::move(b));
  idle.put("k2", std::move(c));
  BOOST_TEST(idle.size() == 3u);
  BOOST_TEST((idle.take("k3") == nullptr));
  auto got = idle.take("k1");
  BOOST_TEST(got.get() == second);
  BOOST_TEST((idle.take("k1") != nullptr));
  BOOST_TEST((idle.take("k1") == nullptr));
  BOOST_TEST(idle.size() == 1u);
}

BOOST_AUTO_TEST_CASE(bounded_per_key_and_in_all_dropping_the_oldest) {
  IdleConnections idle(IdleConnections::kDefaultMaxIdle, /*maxPerKey=*/2, /*maxTotal=*/3);
  auto first = session(5001);
  PooledSession* oldest = first.get();
  idle.put("k1", std::move(first));
  idle.put("k1", session(5001));
  idle.put("k1", session(5001));  // over the key's bound: the oldest of k1 goes
  BOOST_TEST(idle.size() == 2u);
  auto x = idle.take("k1"), y = idle.take("k1");
  BOOST_TEST(x.get() != oldest);
  BOOST_TEST(y.get() != oldest);
  idle.put("k1", std::move(x));
  idle.put("k2", std::move(y));
  idle.put("k3", session(5003));
  idle.put("k4", session(5004));  // over the total: the oldest of all (k1's) goes
  BOOST_TEST(idle.size() == 3u);
  BOOST_TEST((idle.take("k1") == nullptr));
  BOOST_TEST((idle.take("k4") != nullptr));
}

BOOST_AUTO_TEST_CASE(a_connection_idle_too_long_is_closed_not_handed_out) {
  IdleConnections idle(100ms);
  idle.put("k1", session(5001));
  idle.put("k2", session(5002));
  BOOST_TEST(idle.size() == 2u);
  // Closed by the sweeper, with no take or put coming by (polled: a loaded machine may wake
  // it late, never early).
  auto swept = [&idle] {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (idle.size() != 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    return idle.size() == 0;
  };
  BOOST_TEST(swept());
  BOOST_TEST((idle.take("k1") == nullptr));
  idle.put("k1", session(5001));  // and it keeps sweeping after it emptied
  BOOST_TEST(idle.size() == 1u);
  BOOST_TEST(swept());
}

BOOST_AUTO_TEST_CASE(clients_one_after_the_other_reuse_one_connection) {
  TagServer s;
  auto idle = std::make_shared<IdleConnections>();
  for (int run = 0; run < 3; ++run) BOOST_TEST_REQUIRE(listOnce(s, idle).isOk());
  BOOST_TEST(s.requests.load() == 3);
  BOOST_TEST(s.server.totalConnections() == 1);
  BOOST_TEST(idle->size() == 1u);
  // Without one, each client connects anew.
  for (int run = 0; run < 2; ++run) BOOST_TEST_REQUIRE(listOnce(s, nullptr).isOk());
  BOOST_TEST(s.server.totalConnections() == 3);
}

BOOST_AUTO_TEST_CASE(a_connection_the_server_closed_meanwhile_costs_a_retry_not_a_failure) {
  TagServer s(Poco::Timespan(0, 150 * 1000));  // the server drops idle connections at 150 ms
  auto idle = std::make_shared<IdleConnections>();
  BOOST_TEST_REQUIRE(listOnce(s, idle).isOk());
  std::this_thread::sleep_for(500ms);
  BOOST_TEST(idle->size() == 1u);  // still kept on this side (7 s)
  const Status second = listOnce(s, idle);
  BOOST_TEST(second.isOk(), second.toString());
  BOOST_TEST(s.requests.load() == 2);
  BOOST_TEST(s.server.totalConnections() == 2);
}

BOOST_AUTO_TEST_CASE(connections_idle_past_the_limit_are_not_reused) {
  TagServer s;
  auto idle = std::make_shared<IdleConnections>(100ms);
  BOOST_TEST_REQUIRE(listOnce(s, idle).isOk());
  std::this_thread::sleep_for(250ms);
  BOOST_TEST_REQUIRE(listOnce(s, idle).isOk());
  BOOST_TEST(s.server.totalConnections() == 2);
}

BOOST_AUTO_TEST_CASE(a_client_with_its_own_resolver_never_shares) {
  TagServer s;
  auto idle = std::make_shared<IdleConnections>();
  BOOST_TEST_REQUIRE(listOnce(s, idle).isOk());
  BOOST_TEST_REQUIRE(listOnce(s, idle, /*ownResolver=*/true).isOk());
  BOOST_TEST(s.server.totalConnections() == 2);
  BOOST_TEST(idle->size() == 1u);  // it neither took nor left one
}

BOOST_AUTO_TEST_SUITE_END()
