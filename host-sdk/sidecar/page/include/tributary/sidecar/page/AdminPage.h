// The admin page's files, compiled into the binary (see ../../../../EmbedAssets.cmake).
#pragma once

#include <cstddef>
#include <string_view>

namespace tributary::sidecar::page {

struct PageFile {
  const char* name;          // "index.html", "app.js", "app.css"
  const char* contentType;   // with charset
  const unsigned char* data;
  std::size_t size;
};

/// The file called `name` (no leading slash), or nullptr.
const PageFile* findPageFile(std::string_view name);

/// Headers every page response carries: scripts and styles only from this server, no
/// framing, no MIME sniffing, no referrer (the page never puts the token in a URL anyway).
inline constexpr const char* kPageContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

}  // namespace tributary::sidecar::page
