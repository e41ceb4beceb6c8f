// Which network addresses a registry client may connect to (DESIGN §6): a source's domain,
// a token realm or a redirect target must not lead the plugin into the host's own network
// (loopback, private ranges, link-local, cloud metadata) unless the host allowed it.
#pragma once

#include <string>

#include "tributary/Status.h"

namespace Poco::Net {
class IPAddress;
}

namespace tributary::registry {

class AddressPolicy {
 public:
  explicit AddressPolicy(bool allowPrivateNetworks) : allowPrivate_(allowPrivateNetworks) {}

  /// restrictedKind() of the cloud instance-metadata addresses (169.254.169.254,
  /// 169.254.170.2, 169.254.170.23, 100.100.100.200, 168.63.129.16, 192.0.0.192,
  /// fd00:ec2::254, fd00:ec2::23, and their IPv4-mapped / NAT64 forms): refused always.
  static constexpr const char* kCloudMetadata = "cloud metadata";

  /// Why `address` is off limits ("loopback", "private", "link-local", "cloud metadata",
  /// "unspecified", "multicast"), or "" when it is a public address.
  static std::string restrictedKind(const Poco::Net::IPAddress& address);

  /// Resolves `host` (a name or a literal) and refuses it with kPermissionDenied when any of
  /// its addresses is cloud metadata, or restricted while private networks are not allowed. Resolution failures are
  /// kUnavailable. `purpose` names the connection in the message ("registry", "token realm").
  Status checkHost(const std::string& host, const std::string& purpose) const;

  bool allowsPrivateNetworks() const { return allowPrivate_; }

 private:
  bool allowPrivate_;
};

}  // namespace tributary::registry
