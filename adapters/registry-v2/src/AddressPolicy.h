// Which network addresses a registry client may connect to (DESIGN §6): a source's domain,
// a token realm or a redirect target must not lead the plugin into the host's own network
// (loopback, private ranges, link-local, cloud metadata) unless the host allowed it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <Poco/Net/IPAddress.h>

#include "tributary/Status.h"

namespace tributary::registry {

class AddressPolicy {
 public:
  /// A host name's addresses (may throw Poco::Exception). Default: the system resolver
  /// (Poco::Net::DNS::hostByName). Tests inject one to play a rebinding DNS server.
  using Resolver = std::function<std::vector<Poco::Net::IPAddress>(const std::string& host)>;

  explicit AddressPolicy(bool allowPrivateNetworks, Resolver resolver = {});

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

  /// checkHost, returning the address the connection must go to: `host` is resolved exactly
  /// once here, and the caller connects to this address (never to the name again), so a DNS
  /// answer that changes between the check and the connection (rebinding) cannot lead it
  /// anywhere the check did not see. Literals in any inet_aton form ("2130706433",
  /// "0177.0.0.1", "0x7f.1") are taken as the address they denote.
  Result<Poco::Net::IPAddress> vet(const std::string& host, const std::string& purpose) const;

  bool allowsPrivateNetworks() const { return allowPrivate_; }

 private:
  bool allowPrivate_;
  Resolver resolver_;
};

}  // namespace tributary::registry
