# SPDX-License-Identifier: MIT
# Debian package: `cpack -G DEB` in a build tree configured with
# -DCMAKE_INSTALL_PREFIX=/usr.
#
#   cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr -DLJMM_BUILD_TESTS=OFF
#   cmake --build build-deb -j"$(nproc)"
#   (cd build-deb && cpack -G DEB)        # -> build-deb/ljmm_<version>_amd64.deb
#   apt-get install ./build-deb/ljmm_<version>_amd64.deb
#
# The package holds everything `cmake --install` installs, under /usr: the library in
# the multiarch directory (/usr/lib/x86_64-linux-gnu, which GNUInstallDirs chooses for
# the prefix /usr on Debian), ljmm.h, ljmm.pc, ljmm-run and ljmm-maps in /usr/bin, the
# man pages, and /usr/share/doc/ljmm with the README, the docs, copyright and
# changelog.gz. Its Depends line is computed by dpkg-shlibdeps (Debian package
# dpkg-dev). The prefix must be /usr when configuring, because ljmm.pc and ljmm-run
# record it; cpack refuses to build a DEB from a tree configured for another prefix.
#
# Include this file from the top-level CMakeLists.txt after every install() rule's
# subdirectory (it ends with include(CPack)).

set(LJMM_PACKAGE_MAINTAINER "ljmm maintainers <maintainers@users.noreply.h-seed-362dba78.example>"
  CACHE STRING "Maintainer field of the Debian package (Name <address>)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ljmm)
set(CPACK_PACKAGE_VENDOR "ljmm maintainers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${LJMM_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "LD_PRELOAD shim giving LuaJIT MAP_32BIT allocations the low 2 GiB")
# (No square brackets in the text: CPack splits it into a CMake list, and an unbalanced
# "[" would glue the lines after it together.)
set(CPACK_PACKAGE_DESCRIPTION
"LuaJIT without GC64 (LuaJIT 2.0, and 2.1 built with LUAJIT_DISABLE_GC64, as
in many OpenResty and nginx-with-Lua builds) takes its heap with
mmap(MAP_32BIT), which the Linux kernel serves only between 1 GiB and 2 GiB,
so such a process runs out of memory at about 1 GiB of Lua heap.

libljmm_preload.so, loaded with LD_PRELOAD, serves those requests from the
rest of the low 2 GiB once the kernel's window is full and passes every
other call through unchanged. The package also contains ljmm-run, which
starts a command with the library preloaded, ljmm-maps, which draws how a
running process uses its low 2 GiB, the ljmm.h header and pkg-config file
for its statistics interface, and a systemd drop-in recipe for nginx and
OpenResty in /usr/share/doc/ljmm/deploy.md.

Linux x86-64 only.")
set(CPACK_PACKAGE_FILE_NAME "${CPACK_PACKAGE_NAME}_${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${LJMM_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION utils) # the library, and the commands in /usr/bin
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs control file for the public library (libljmm_preload 0 ljmm (>= version)),
# for programs that link it through ljmm.pc.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # ljmm_<version>_amd64.deb
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The library lives in an ldconfig directory: activate dpkg's ldconfig trigger (what
# Debian policy 8.1.1 asks for) instead of CPack's default postinst/postrm that run
# ldconfig themselves. Supplying postinst/postrm stops CPack from generating those.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_LIST_DIR}/debian/triggers
  ${CMAKE_CURRENT_LIST_DIR}/debian/postinst
  ${CMAKE_CURRENT_LIST_DIR}/debian/postrm)

# Only a binary package; the source of truth for sources is the git repository.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/\\\\.ci/")

# Debian documentation files: copyright, and the changelog compressed at maximum,
# without name or time stamp (reproducible), named changelog.gz as a native package's.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
find_program(LJMM_GZIP gzip)
if(LJMM_GZIP)
  set(_ljmm_changelog_gz ${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog.gz)
  add_custom_command(OUTPUT ${_ljmm_changelog_gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/packaging
    COMMAND ${LJMM_GZIP} -9n -c ${CMAKE_CURRENT_LIST_DIR}/changelog > ${_ljmm_changelog_gz}
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/changelog
    COMMENT "Compressing the Debian changelog"
    VERBATIM)
  add_custom_target(ljmm_changelog ALL DEPENDS ${_ljmm_changelog_gz})
  install(FILES ${_ljmm_changelog_gz} DESTINATION ${CMAKE_INSTALL_DOCDIR})
else()
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/changelog DESTINATION ${CMAKE_INSTALL_DOCDIR})
endif()
# Lintian reads overrides from /usr/share/lintian/overrides only: a package matter.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/lintian-overrides
    DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME ljmm)
endif()

# Checks cpack makes when it builds the DEB: the tree is configured for /usr, and the
# changelog's newest entry is this version.
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/changelog _ljmm_changelog_top LIMIT_COUNT 1)
string(REGEX REPLACE "^[^(]*\\(([^)]*)\\).*$" "\\1" LJMM_CHANGELOG_VERSION "${_ljmm_changelog_top}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/CPackProjectConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/packaging/CPackProjectConfig.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_BINARY_DIR}/packaging/CPackProjectConfig.cmake)
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "ljmm: cpack -G DEB needs a tree configured with -DCMAKE_INSTALL_PREFIX=/usr "
                 "(this one: ${CMAKE_INSTALL_PREFIX})")
endif()
if(NOT LJMM_CHANGELOG_VERSION STREQUAL PROJECT_VERSION)
  message(WARNING "ljmm: packaging/changelog's newest entry is ${LJMM_CHANGELOG_VERSION}, the project is "
                  "${PROJECT_VERSION}: add an entry (dch -v ${PROJECT_VERSION}) before packaging")
endif()

include(CPack)
