# SPDX-License-Identifier: MIT
# Packages made by CPack from one source tree; packaging/README.md tells how to make each.
#
#   Debian (.deb): a tree configured with -DCMAKE_INSTALL_PREFIX=/usr, `cpack -G DEB`
#     -> ljmm_<version>_amd64.deb. The library goes to the multiarch directory
#     (/usr/lib/x86_64-linux-gnu, which GNUInstallDirs chooses for the prefix /usr on
#     Debian). Depends is computed by dpkg-shlibdeps (dpkg-dev): libc6 (>= 2.17).
#   RPM (.rpm): a tree configured with -DCMAKE_INSTALL_PREFIX=/usr
#     -DCMAKE_INSTALL_LIBDIR=lib64, `cpack -G RPM` (rpmbuild; Debian package rpm)
#     -> ljmm-<version>-1.x86_64.rpm. On Debian GNUInstallDirs would choose the
#     multiarch directory for /usr, so lib64 must be asked for; RHEL, Fedora and SUSE
#     keep 64-bit libraries in /usr/lib64. Requires are rpmbuild's automatic ELF ones
#     (libc.so.6(GLIBC_2.17)(64bit) and older).
#   The relocatable tarball is not made by CPack: packaging/tarball.sh.
#
# Each generator makes two packages from CPack component groups: `ljmm` (deb and rpm) and
# `ljmm-dev` / `ljmm-devel` with the link form (component `link`: ljmm.o, ljmm.dynlist,
# ljmm-link.pc; packaging/README.md says why it is split off).
# The main packages hold what `cmake --install` installs under /usr but the link form: the library, ljmm.h,
# ljmm.pc, ljmm-run and ljmm-maps, the man pages, /usr/share/doc/ljmm (README,
# docs), the textfile units in /usr/lib/systemd/system and the Prometheus rules in
# /usr/share/ljmm/prometheus (tools/prometheus/). The installed ljmm-run records the
# libdir the tree was configured for (and GNUInstallDirs derives it from the configured
# prefix), which is why each package needs a tree of its own (ljmm.pc is written at
# install time, for CPack's prefix /usr); cpack refuses a tree configured otherwise
# (CPackProjectConfig.cmake.in). Beyond that, each package gets its distribution's
# license and changelog files (CPack components):
#   deb  /usr/share/doc/ljmm/copyright (DEP-5), changelog.gz, the lintian overrides;
#   rpm  /usr/share/licenses/ljmm/LICENSE (marked %license); the changelog goes into
#        the RPM header (%changelog), converted from packaging/changelog.
# Everything else is in the default component (Unspecified), in both main packages.
#
# Include this file from the top-level CMakeLists.txt after every install() rule's
# subdirectory (it ends with include(CPack)).

set(LJMM_PACKAGE_MAINTAINER "ljmm maintainers <maintainers@users.noreply.h-seed-362dba78.example>"
  CACHE STRING "Maintainer field of the Debian package (Name <address>)")
set(_ljmm_pkg_src ${CMAKE_CURRENT_LIST_DIR})
set(_ljmm_pkg_out ${CMAKE_CURRENT_BINARY_DIR}/packaging)

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
for its statistics interface, a systemd drop-in recipe for nginx and
OpenResty in /usr/share/doc/ljmm/deploy.md, and for Prometheus a systemd
timer (installed disabled) that writes the figures of ljmm-maps for
node_exporter's textfile collector, with recording and alerting rules.

Linux x86-64 only.")
set(CPACK_PACKAGE_FILE_NAME "${CPACK_PACKAGE_NAME}_${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# Two packages per generator, each made of CPack components (CPackProjectConfig.cmake.in
# names those each generator takes): the group "bin" is the package ljmm (the default
# component and the distribution's own, deb or rpm), the group "dev" is ljmm-dev (.deb)
# or ljmm-devel (.rpm): the link form (component link: ljmm.o and its pkg-config file)
# and, in the .deb, its copyright and changelog (deb-dev). packaging/README.md says why
# the link form is a package of its own.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
foreach(_comp UNSPECIFIED DEB RPM)
  set(CPACK_COMPONENT_${_comp}_GROUP bin)
endforeach()
foreach(_comp LINK DEB-DEV)
  set(CPACK_COMPONENT_${_comp}_GROUP dev)
endforeach()
set(LJMM_DEV_SUMMARY "link-time form of ljmm, for programs LD_PRELOAD cannot reach")
set(LJMM_DEV_DESCRIPTION
"ljmm.o is the shim of the ljmm package (libljmm_preload.so) as one
relocatable object, built from the same sources, for programs that
LD_PRELOAD does not reach: static executables, and programs started
where LD_* variables are stripped. Linked into a program
that links LuaJIT statically, it serves the program's mmap(MAP_32BIT)
requests from the whole low 2 GiB, as the preload library does.

pkg-config --libs ljmm-link gives the link line. The object is linked
whole wherever it stands on the command line, so it also works in
nginx's --with-ld-opt, before lua-nginx-module's -lluajit-5.1.
/usr/share/doc/ljmm/deploy.md (package ljmm) shows how to link it and how
to check that it is in.")

# ---- Debian --------------------------------------------------------------------------
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${LJMM_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_BIN_PACKAGE_NAME ljmm)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME ljmm-dev)
# (Per package, the summary first: CPackProjectConfig.cmake.in unsets the common
# summary for the .deb, which CPack would put in front of both.)
set(CPACK_DEBIAN_BIN_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}\n${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_DEBIAN_DEV_DESCRIPTION "${LJMM_DEV_SUMMARY}\n${LJMM_DEV_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_SECTION utils) # the library, and the commands in /usr/bin
# ljmm-dev: a static object and a .pc file, which Debian puts in a -dev package
# (policy 8.3, 8.4), of exactly this version of ljmm (policy 8.5), whose header,
# ljmm-maps and documentation go with it. Nothing in it is dynamically linked.
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "ljmm (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs control file for the public library (libljmm_preload 0 ljmm (>= version)),
# for programs that link it through ljmm.pc.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # ljmm_<version>_amd64.deb
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# The package scripts: templates with the shared check (preload-check.sh, less its
# SPDX and shellcheck lines) pasted in. The RPM's get a second copy with every per-cent
# sign doubled, which is what rpmbuild turns back into the script (it expands macros in
# scriptlets).
file(READ ${_ljmm_pkg_src}/preload-check.sh LJMM_PRELOAD_CHECK)
string(REGEX REPLACE "^# SPDX-License-Identifier: MIT\n# shellcheck shell=sh\n" "" LJMM_PRELOAD_CHECK "${LJMM_PRELOAD_CHECK}")
foreach(_script debian/postinst debian/postrm debian/prerm rpm/post rpm/postun rpm/preun)
  configure_file(${_ljmm_pkg_src}/${_script}.in ${_ljmm_pkg_out}/${_script} @ONLY)
endforeach()
foreach(_script post postun preun)
  file(READ ${_ljmm_pkg_out}/rpm/${_script} _text)
  string(REPLACE "%" "%%" _text "${_text}")
  file(WRITE ${_ljmm_pkg_out}/rpm/${_script}.spec "${_text}")
endforeach()

# The library lives in an ldconfig directory: activate dpkg's ldconfig trigger (what
# Debian policy 8.1.1 asks for) instead of CPack's default postinst/postrm that run
# ldconfig themselves. Supplying postinst/postrm stops CPack from generating those.
# ljmm's only: ljmm-dev has no script (its files need none).
set(CPACK_DEBIAN_BIN_PACKAGE_CONTROL_EXTRA
  ${_ljmm_pkg_src}/debian/triggers ${_ljmm_pkg_out}/debian/postinst ${_ljmm_pkg_out}/debian/postrm
  ${_ljmm_pkg_out}/debian/prerm)

# Debian documentation files: copyright, and the changelog compressed at maximum,
# without name or time stamp (reproducible), named changelog.gz as a native package's.
install(FILES ${_ljmm_pkg_src}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT deb)
# ljmm-dev's own /usr/share/doc/ljmm-dev (policy 12.5 and 12.7: every package has its
# copyright and changelog there), the same two files.
set(_ljmm_dev_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/ljmm-dev)
install(FILES ${_ljmm_pkg_src}/copyright DESTINATION ${_ljmm_dev_docdir} COMPONENT deb-dev)
find_program(LJMM_GZIP gzip)
if(LJMM_GZIP)
  set(_ljmm_changelog_gz ${_ljmm_pkg_out}/changelog.gz)
  add_custom_command(OUTPUT ${_ljmm_changelog_gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_ljmm_pkg_out}
    COMMAND ${LJMM_GZIP} -9n -c ${_ljmm_pkg_src}/changelog > ${_ljmm_changelog_gz}
    DEPENDS ${_ljmm_pkg_src}/changelog
    COMMENT "Compressing the Debian changelog"
    VERBATIM)
  add_custom_target(ljmm_changelog ALL DEPENDS ${_ljmm_changelog_gz})
  install(FILES ${_ljmm_changelog_gz} DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT deb)
  install(FILES ${_ljmm_changelog_gz} DESTINATION ${_ljmm_dev_docdir} COMPONENT deb-dev)
else()
  install(FILES ${_ljmm_pkg_src}/changelog DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT deb)
  install(FILES ${_ljmm_pkg_src}/changelog DESTINATION ${_ljmm_dev_docdir} COMPONENT deb-dev)
endif()
# Lintian reads overrides from /usr/share/lintian/overrides only: a package matter.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  install(FILES ${_ljmm_pkg_src}/lintian-overrides
    DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME ljmm COMPONENT deb)
endif()

# ---- RPM -----------------------------------------------------------------------------
set(CPACK_RPM_PACKAGE_LICENSE MIT)
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Libraries")
set(CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
# The group bin is ljmm itself; dev is ljmm-devel (the RPM distributions' name for a
# -dev package), which needs this very ljmm, as ljmm-dev does.
set(CPACK_RPM_MAIN_COMPONENT bin)
set(CPACK_RPM_DEV_PACKAGE_NAME ljmm-devel)
set(CPACK_RPM_DEV_PACKAGE_SUMMARY "${LJMM_DEV_SUMMARY}")
set(CPACK_RPM_DEV_PACKAGE_DESCRIPTION "${LJMM_DEV_DESCRIPTION}")
set(CPACK_RPM_DEV_PACKAGE_GROUP "Development/Libraries")
set(CPACK_RPM_DEV_PACKAGE_REQUIRES "ljmm = ${PROJECT_VERSION}-${CPACK_RPM_PACKAGE_RELEASE}")
# Not relocatable: ljmm.pc and ljmm-run name /usr/lib64.
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_RPM_PACKAGE_RELOCATABLE OFF)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT) # ljmm-<version>-1.x86_64.rpm
# xz: rpm 4.18 can write zstd payloads, which RHEL 7's rpm 4.11 cannot read.
set(CPACK_RPM_COMPRESSION_TYPE xz)
# No /usr/lib/.build-id links (there is no debuginfo package to point into): the RPM
# holds the same files as the .deb. And no Requires: /usr/bin/pkg-config, which rpm's
# pkgconfig dependency generator adds for any .pc file: the .deb does not pull
# pkg-config in either, and only builds that have it read ljmm.pc.
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none\n%global __requires_exclude ^/usr/bin/pkg-config$")
# ljmm's scriptlets; ljmm-devel has none.
set(CPACK_RPM_BIN_POST_INSTALL_SCRIPT_FILE ${_ljmm_pkg_out}/rpm/post.spec)
set(CPACK_RPM_BIN_POST_UNINSTALL_SCRIPT_FILE ${_ljmm_pkg_out}/rpm/postun.spec)
set(CPACK_RPM_BIN_PRE_UNINSTALL_SCRIPT_FILE ${_ljmm_pkg_out}/rpm/preun.spec)
# Directories the distribution's filesystem (or systemd) package owns; ours are only
# /usr/share/doc/ljmm, /usr/share/licenses/ljmm and /usr/share/ljmm.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_FULL_MANDIR}
  ${CMAKE_INSTALL_FULL_MANDIR}/man1 ${CMAKE_INSTALL_FULL_MANDIR}/man7 ${CMAKE_INSTALL_FULL_DATAROOTDIR}/licenses
  ${CMAKE_INSTALL_PREFIX}/lib/systemd ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
set(_ljmm_license_dir ${CMAKE_INSTALL_DATAROOTDIR}/licenses/${PROJECT_NAME})
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${_ljmm_license_dir} COMPONENT rpm)
set(CPACK_RPM_BIN_USER_FILELIST "%license ${CMAKE_INSTALL_PREFIX}/${_ljmm_license_dir}/LICENSE")

# The RPM's %changelog, from the Debian changelog: "ljmm (V) dist; urgency=u", bullets
# "  * " and " -- NAME  Day, DD Mon YYYY HH:MM:SS +ZZZZ" become
# "* Day Mon DD YYYY NAME - V-RELEASE" and "- " bullets, newest first as in both formats.
# (The text goes through string() only: a list operation would split it at semicolons.)
file(READ ${_ljmm_pkg_src}/changelog _text)
set(_rpm_changelog "")
while(_text MATCHES "^[^\n]*\\(([^)\n]*)\\)[^\n]*\n(.*)$")
  set(_version "${CMAKE_MATCH_1}")
  set(_text "${CMAKE_MATCH_2}")
  string(FIND "${_text}" "\n -- " _end)
  if(_end LESS 0)
    message(FATAL_ERROR "ljmm: packaging/changelog: the entry for ${_version} has no ' -- ' trailer line")
  endif()
  string(SUBSTRING "${_text}" 0 ${_end} _body)
  math(EXPR _end "${_end} + 5")
  string(SUBSTRING "${_text}" ${_end} -1 _text)
  if(NOT _text MATCHES "^([^\n]*[^ ])  ([A-Z][a-z][a-z]), ([0-9]+) ([A-Z][a-z][a-z]) ([0-9]+) [^\n]*\n*(.*)$")
    message(FATAL_ERROR "ljmm: packaging/changelog: cannot read the trailer of the entry for ${_version}")
  endif()
  # (Day of the month on two digits, as rpm writes it.)
  string(LENGTH "${CMAKE_MATCH_3}" _len)
  math(EXPR _len "${_len} - 1")
  string(SUBSTRING "0${CMAKE_MATCH_3}" ${_len} 2 _day)
  string(APPEND _rpm_changelog
    "* ${CMAKE_MATCH_2} ${CMAKE_MATCH_4} ${_day} ${CMAKE_MATCH_5} ${CMAKE_MATCH_1} - ${_version}-${CPACK_RPM_PACKAGE_RELEASE}\n")
  set(_text "${CMAKE_MATCH_6}")
  string(REGEX REPLACE "\n+$" "" _body "\n${_body}")
  string(REGEX REPLACE "\n\n+" "\n" _body "${_body}")
  string(REPLACE "\n  * " "\n- " _body "${_body}")
  string(REPLACE "\n    " "\n  " _body "${_body}")
  string(REPLACE "%" "%%" _body "${_body}")
  string(SUBSTRING "${_body}" 1 -1 _body)
  string(APPEND _rpm_changelog "${_body}\n\n")
endwhile()
if(_rpm_changelog STREQUAL "")
  message(FATAL_ERROR "ljmm: packaging/changelog has no entry")
endif()
file(WRITE ${_ljmm_pkg_out}/rpm/changelog "${_rpm_changelog}")
set(CPACK_RPM_CHANGELOG_FILE ${_ljmm_pkg_out}/rpm/changelog)

# Only binary packages; the source of truth for sources is the git repository.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/\\\\.ci/")

# Checks cpack makes when it builds a package: the tree is configured for /usr (and, for
# the RPM, /usr/lib64), and the changelog's newest entry is this version.
file(STRINGS ${_ljmm_pkg_src}/changelog _ljmm_changelog_top LIMIT_COUNT 1)
string(REGEX REPLACE "^[^(]*\\(([^)]*)\\).*$" "\\1" LJMM_CHANGELOG_VERSION "${_ljmm_changelog_top}")
configure_file(${_ljmm_pkg_src}/CPackProjectConfig.cmake.in ${_ljmm_pkg_out}/CPackProjectConfig.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${_ljmm_pkg_out}/CPackProjectConfig.cmake)
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "ljmm: cpack -G DEB or RPM needs a tree configured with -DCMAKE_INSTALL_PREFIX=/usr "
                 "(this one: ${CMAKE_INSTALL_PREFIX})")
endif()
if(NOT LJMM_CHANGELOG_VERSION STREQUAL PROJECT_VERSION)
  message(WARNING "ljmm: packaging/changelog's newest entry is ${LJMM_CHANGELOG_VERSION}, the project is "
                  "${PROJECT_VERSION}: add an entry (dch -v ${PROJECT_VERSION}) before packaging")
endif()

include(CPack)
