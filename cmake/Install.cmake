# `cmake --install`: the service as a system service and the rp SDK for other hosts.
#   <prefix>/bin/tributary
#   <prefix>/lib/tributary/libtributary.so        (where `tributary` looks by default)
#   <prefix>/include/rp/*.h, *.hpp                 (the C ABI and its RAII headers)
#   <prefix>/lib/cmake/TributaryRP/                (find_package(TributaryRP): TributaryRP::rp,
#                                                   TributaryRP_PROVIDER_LIBRARY)
#   <prefix>/share/tributary/{config.yml.example, tributary.service}
#   <prefix>/share/doc/tributary/serve.md         (the unit's Documentation=)
include(CMakePackageConfigHelpers)

install(TARGETS tributary_cli RUNTIME DESTINATION bin)
if(TARGET tributary_plugin)
  install(TARGETS tributary_plugin LIBRARY DESTINATION lib/tributary)
endif()
install(FILES
  ${PROJECT_SOURCE_DIR}/host-sdk/include/rp/replication_provider.h
  ${PROJECT_SOURCE_DIR}/host-sdk/include/rp/host.hpp
  ${PROJECT_SOURCE_DIR}/host-sdk/include/rp/provider.hpp
  DESTINATION include/rp)

set(TRIB_PACKAGE_DIR lib/cmake/TributaryRP)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/TributaryRPConfig.cmake.in
  ${PROJECT_BINARY_DIR}/TributaryRPConfig.cmake
  INSTALL_DESTINATION ${TRIB_PACKAGE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/TributaryRPConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/TributaryRPConfig.cmake
              ${PROJECT_BINARY_DIR}/TributaryRPConfigVersion.cmake
  DESTINATION ${TRIB_PACKAGE_DIR})

install(FILES ${PROJECT_SOURCE_DIR}/docs/serve.md DESTINATION share/doc/tributary)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/config.yml.example
              ${PROJECT_SOURCE_DIR}/packaging/systemd/tributary.service
  DESTINATION share/tributary)
