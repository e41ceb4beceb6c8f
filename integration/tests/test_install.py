"""`cmake --install` puts tributary, libtributary.so, the rp headers and a CMake package config
where docs/serve.md says; a separate project finds them with find_package(TributaryRP), builds a
host against the headers and dlopen()s the installed provider through the ABI; the systemd
unit runs the service as the registry's user with a read-only system. (The example config is
checked by serve_tests.)"""

import os
import subprocess
import sys

import harness


CONSUMER_CMAKE = """cmake_minimum_required(VERSION 3.22)
project(consumer C CXX)
find_package(TributaryRP 0.1 REQUIRED)
add_executable(consumer main.cpp)
target_link_libraries(consumer PRIVATE TributaryRP::rp ${CMAKE_DL_LIBS})
target_compile_definitions(consumer PRIVATE
  PROVIDER="${TributaryRP_PROVIDER_LIBRARY}")
"""

CONSUMER_MAIN = r"""#include <dlfcn.h>
#include <cstdio>
#include <cstring>
#include "rp/host.hpp"
int main() {
  void* h = dlopen(PROVIDER, RTLD_NOW | RTLD_LOCAL);
  if (!h) { std::printf("dlopen: %s\n", dlerror()); return 1; }
  auto negotiate = reinterpret_cast<rp_provider_negotiate_fn>(dlsym(h, RP_PROVIDER_ENTRY_SYMBOL));
  if (!negotiate) return 2;
  rp_provider_v1 table;
  std::memset(&table, 0, sizeof(table));
  table.struct_size = sizeof(table);
  // No host table: enough to negotiate and ask for the static info.
  if (negotiate(RP_ABI_VERSION_1, RP_ABI_VERSION_CURRENT, nullptr, &table) != RP_OK) return 3;
  rp::ProviderOwnedString info(table.free_str);
  if (table.info(info.out()) != RP_OK) return 4;
  std::printf("abi %u %s\n", table.abi_version, info.str().c_str());
  return 0;
}
"""


def main():
    build = os.environ["TRIB_BUILD_DIR"]
    work = harness.make_temp_dir("trib-install-")
    prefix = os.path.join(work, "prefix")
    subprocess.run(["cmake", "--install", build, "--prefix", prefix], check=True,
                   capture_output=True)
    for rel in ("bin/tributary", "lib/tributary/libtributary.so",
                "include/rp/replication_provider.h", "include/rp/host.hpp",
                "include/rp/provider.hpp", "lib/cmake/TributaryRP/TributaryRPConfig.cmake",
                "share/tributary/tributary.service", "share/tributary/config.yml.example",
                "share/doc/tributary/serve.md"):
        assert os.path.exists(os.path.join(prefix, rel)), rel

    src = os.path.join(work, "consumer")
    os.makedirs(src)
    open(os.path.join(src, "CMakeLists.txt"), "w").write(CONSUMER_CMAKE)
    open(os.path.join(src, "main.cpp"), "w").write(CONSUMER_MAIN)
    cbuild = os.path.join(work, "consumer-build")
    configure = ["cmake", "-S", src, "-B", cbuild, "-DCMAKE_PREFIX_PATH=" + prefix]
    # In the sanitizer pass the installed provider is built with ASan, whose runtime must be
    # the first library of the process that loads it: the consumer is built the same way.
    provider = os.path.join(prefix, "lib/tributary/libtributary.so")
    linked = subprocess.run(["ldd", provider], capture_output=True, text=True).stdout
    if "libasan" in linked:
        flags = "-fsanitize=address,undefined"
        configure += ["-DCMAKE_CXX_FLAGS=" + flags, "-DCMAKE_EXE_LINKER_FLAGS=" + flags]
    res = subprocess.run(configure, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    res = subprocess.run(["cmake", "--build", cbuild], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    res = subprocess.run([os.path.join(cbuild, "consumer")], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.startswith("abi 1 {"), (res.returncode, res.stdout)
    assert '"source_types"' in res.stdout, res.stdout

    # The unit runs the installed binary as the registry's user with a read-only system.
    unit = open(os.path.join(prefix, "share/tributary/tributary.service")).read()
    for line in ("User=docker-registry", "ProtectSystem=strict", "ReadWritePaths=",
                 "ExecStart=/usr/local/bin/tributary serve --config"):
        assert line in unit, line
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
