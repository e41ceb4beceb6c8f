// Manual benchmark (not a test): fetchBlob from a raw-socket server on 127.0.0.1 into a sink
// that discards, to see what the client itself costs. Usage: registry_v2_throughput [MiB]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include "tributary/registry/RegistryClient.h"

using namespace tributary;
using namespace tributary::registry;

namespace {
class DiscardSink : public BlobSink {
 public:
  Status write(const char*, size_t len) override {
    n_ += len;
    return Status();
  }
  Status reset() override {
    n_ = 0;
    return Status();
  }
  uint64_t offset() const override { return n_; }

 private:
  uint64_t n_ = 0;
};
}  // namespace

int main(int argc, char** argv) {
  const uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1024;
  const uint64_t size = mib << 20;
  Poco::Net::ServerSocket server(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::thread t([&] {
    Poco::Net::StreamSocket s = server.acceptConnection();
    char req[8192];
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      int n = s.receiveBytes(req, sizeof req);
      if (n <= 0) return;
      head.append(req, static_cast<size_t>(n));
    }
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                       std::to_string(size) + "\r\n\r\n";
    s.sendBytes(resp.data(), static_cast<int>(resp.size()));
    std::string chunk(1 << 20, 'x');
    for (uint64_t sent = 0; sent < size; sent += chunk.size()) {
      const char* p = chunk.data();
      size_t left = chunk.size();
      while (left > 0) {
        int n = s.sendBytes(p, static_cast<int>(left));
        if (n <= 0) return;
        p += n;
        left -= static_cast<size_t>(n);
      }
    }
  });
  RegistryClientOptions o;
  o.host = "127.0.0.1:" + std::to_string(server.address().port());
  o.plainHttp = true;
  o.allowPrivateNetworks = true;
  RegistryClient c(o);
  DiscardSink sink;
  auto start = std::chrono::steady_clock::now();
  Status st = c.fetchBlob("bench/blob", "sha256:" + std::string(64, 'a'), size, sink);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  t.join();
  if (!st.isOk()) {
    std::fprintf(stderr, "%s\n", st.toString().c_str());
    return 1;
  }
  std::printf("%llu MiB in %.3f s = %.0f MB/s\n", static_cast<unsigned long long>(mib), secs,
              static_cast<double>(size) / 1e6 / secs);
  return 0;
}
