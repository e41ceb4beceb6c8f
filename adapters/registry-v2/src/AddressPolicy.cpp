#include "AddressPolicy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include <Poco/Exception.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HostEntry.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>

namespace tributary::registry {

namespace {

// Instance metadata / host services of the big clouds: credentials live behind these, so no
// registry, realm or redirect may lead there, whatever allow_private_networks says.
bool metadataV4(const unsigned char b[4]) {
  static const unsigned char kAddresses[][4] = {
      {169, 254, 169, 254},  // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack IMDS
      {169, 254, 170, 2},    // AWS ECS task metadata and credentials
      {169, 254, 170, 23},   // AWS EKS Pod Identity agent
      {100, 100, 100, 200},  // Alibaba Cloud
      {168, 63, 129, 16},    // Azure WireServer
      {192, 0, 0, 192},      // Oracle Cloud (legacy metadata)
  };
  for (const auto& a : kAddresses)
    if (std::memcmp(a, b, 4) == 0) return true;
  return false;
}

std::string kindV4(const unsigned char b[4]) {
  if (metadataV4(b)) return AddressPolicy::kCloudMetadata;
  if (b[0] == 0) return "unspecified";
  if (b[0] == 127) return "loopback";
  if (b[0] == 10) return "private";
  if (b[0] == 172 && (b[1] & 0xf0) == 16) return "private";
  if (b[0] == 192 && b[1] == 168) return "private";
  if (b[0] == 100 && (b[1] & 0xc0) == 64) return "private (carrier-grade NAT)";
  if (b[0] == 169 && b[1] == 254) return "link-local";
  if (b[0] >= 224) return "multicast or reserved";
  return "";
}

}  // namespace

std::string AddressPolicy::restrictedKind(const Poco::Net::IPAddress& address) {
  if (address.family() == Poco::Net::IPAddress::IPv4) {
    unsigned char b[4];
    std::memcpy(b, address.addr(), 4);
    return kindV4(b);
  }
  unsigned char b[16];
  std::memcpy(b, address.addr(), 16);
  // AWS IMDS and EKS Pod Identity over IPv6: fd00:ec2::254, fd00:ec2::23.
  static const unsigned char kAwsPrefix[14] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kAwsPrefix, 14) == 0 &&
      ((b[14] == 0x02 && b[15] == 0x54) || (b[14] == 0x00 && b[15] == 0x23)))
    return kCloudMetadata;
  // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
  static const unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kNat64, 12) == 0) {
    std::string v4 = kindV4(b + 12);
    if (!v4.empty()) return v4;
  }
  bool zeroPrefix = true;
  for (int i = 0; i < 10; ++i) zeroPrefix = zeroPrefix && b[i] == 0;
  if (zeroPrefix && b[10] == 0xff && b[11] == 0xff) return kindV4(b + 12);  // ::ffff:a.b.c.d
  if (zeroPrefix && b[10] == 0 && b[11] == 0) {
    bool allZero = b[12] == 0 && b[13] == 0 && b[14] == 0;
    if (allZero && b[15] == 0) return "unspecified";
    if (allZero && b[15] == 1) return "loopback";
    return kindV4(b + 12);  // deprecated IPv4-compatible form
  }
  if ((b[0] & 0xfe) == 0xfc) return "private (unique local)";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
  if (b[0] == 0xff) return "multicast";
  return "";
}

AddressPolicy::AddressPolicy(bool allowPrivateNetworks, Resolver resolver)
    : allowPrivate_(allowPrivateNetworks), resolver_(std::move(resolver)) {
  if (!resolver_) {
    resolver_ = [](const std::string& name) { return Poco::Net::DNS::hostByName(name).addresses(); };
  }
}

Status AddressPolicy::checkHost(const std::string& host, const std::string& purpose) const {
  return vet(host, purpose).status();
}

Result<Poco::Net::IPAddress> AddressPolicy::vet(const std::string& host,
                                                const std::string& purpose) const {
  // Resolved even when private networks are allowed: cloud metadata is never allowed.
  std::vector<Poco::Net::IPAddress> addresses;
  Poco::Net::IPAddress literal;
  // Literals as the system resolver reads them: inet_aton's forms ("2130706433",
  // "0177.0.0.1", "0x7f.1", "0") and IPv6. (Poco's tryParse takes an all-zero result for a
  // failure, so "0" and "::" would reach the resolver.)
  in_addr v4{};
  in6_addr v6{};
  if (::inet_aton(host.c_str(), &v4) != 0) {
    addresses.emplace_back(&v4, sizeof(v4));
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    addresses.emplace_back(&v6, sizeof(v6));
  } else if (Poco::Net::IPAddress::tryParse(host, literal)) {
    addresses.push_back(literal);  // e.g. a scoped IPv6 address
  } else {
    try {
      addresses = resolver_(host);
    } catch (const Poco::Exception& e) {
      return unavailableError("cannot resolve " + purpose + " host " + host + ": " +
                              e.displayText());
    } catch (const std::exception& e) {
      return unavailableError("cannot resolve " + purpose + " host " + host + ": " + e.what());
    }
  }
  if (addresses.empty()) return unavailableError("host " + host + " has no addresses");
  for (const auto& a : addresses) {
    std::string kind = restrictedKind(a);
    if (kind == kCloudMetadata) {
      std::string shown = a.toString() == host ? host : host + " (" + a.toString() + ")";
      return permissionDeniedError("refusing to connect to " + purpose + " " + shown +
                                   ": cloud metadata address; never allowed, whatever "
                                   "allow_private_networks says");
    }
    if (!kind.empty() && !allowPrivate_) {
      std::string shown = a.toString() == host ? host : host + " (" + a.toString() + ")";
      return permissionDeniedError("refusing to connect to " + purpose + " " + shown + ": " +
                                   kind +
                                   " address; allow private networks for this source to permit it");
    }
  }
  // Every address passed; the connection goes to the first IPv4 one if any (as Poco's
  // SocketAddress would have chosen), else the first.
  for (const auto& a : addresses)
    if (a.family() == Poco::Net::IPAddress::IPv4) return a;
  return addresses.front();
}

}  // namespace tributary::registry
