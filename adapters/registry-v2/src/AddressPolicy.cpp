#include "AddressPolicy.h"

#include <netinet/in.h>

#include <cstring>

#include <Poco/Exception.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HostEntry.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>

namespace tributary::registry {

namespace {

std::string kindV4(const unsigned char b[4]) {
  if (b[0] == 169 && b[1] == 254 && b[2] == 169 && b[3] == 254) return "cloud metadata";
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
  static const unsigned char kMetadata[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                              0,    0,    0,    0,    0, 0, 0x02, 0x54};
  if (std::memcmp(b, kMetadata, 16) == 0) return "cloud metadata";
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

Status AddressPolicy::checkHost(const std::string& host, const std::string& purpose) const {
  if (allowPrivate_) return Status();
  std::vector<Poco::Net::IPAddress> addresses;
  Poco::Net::IPAddress literal;
  if (Poco::Net::IPAddress::tryParse(host, literal)) {
    addresses.push_back(literal);
  } else {
    try {
      addresses = Poco::Net::DNS::hostByName(host).addresses();
    } catch (const Poco::Exception& e) {
      return unavailableError("cannot resolve " + purpose + " host " + host + ": " +
                              e.displayText());
    }
  }
  if (addresses.empty()) return unavailableError("host " + host + " has no addresses");
  for (const auto& a : addresses) {
    std::string kind = restrictedKind(a);
    if (!kind.empty()) {
      std::string shown = a.toString() == host ? host : host + " (" + a.toString() + ")";
      return permissionDeniedError("refusing to connect to " + purpose + " " + shown + ": " +
                                   kind +
                                   " address; allow private networks for this source to permit it");
    }
  }
  return Status();
}

}  // namespace tributary::registry
