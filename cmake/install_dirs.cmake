# SPDX-License-Identifier: MIT
# Run by `cmake --install` before it installs anything (the first install rule of the
# top-level CMakeLists.txt): notes which of the directories the project installs into
# (LJMM_INSTALL_DIRS, relative to the prefix or absolute) and their parents do not
# exist yet, in LJMM_DIRS_FILE, so that the uninstall target (cmake/uninstall.cmake)
# removes those it created, when they are empty again, and no others. Directories an
# earlier install of this tree created, and that still exist, stay on the list. A
# component install (CPack's) keeps no list, as it keeps no install_manifest.txt.
if(CMAKE_INSTALL_COMPONENT)
  return()
endif()
set(_ljmm_created "")
if(EXISTS "${LJMM_DIRS_FILE}")
  file(STRINGS "${LJMM_DIRS_FILE}" _ljmm_earlier)
  foreach(_ljmm_dir IN LISTS _ljmm_earlier)
    if(IS_DIRECTORY "${_ljmm_dir}")
      list(APPEND _ljmm_created "${_ljmm_dir}")
    endif()
  endforeach()
endif()
foreach(_ljmm_dir IN LISTS LJMM_INSTALL_DIRS)
  if(NOT IS_ABSOLUTE "${_ljmm_dir}")
    set(_ljmm_dir "${CMAKE_INSTALL_PREFIX}/${_ljmm_dir}")
  endif()
  # DESTDIR as file(INSTALL) applies it; ABSOLUTE collapses "//", "." and "..".
  get_filename_component(_ljmm_dir "$ENV{DESTDIR}${_ljmm_dir}" ABSOLUTE)
  while(NOT IS_DIRECTORY "${_ljmm_dir}" AND NOT EXISTS "${_ljmm_dir}")
    list(APPEND _ljmm_created "${_ljmm_dir}")
    get_filename_component(_ljmm_up "${_ljmm_dir}" DIRECTORY)
    if(_ljmm_up STREQUAL _ljmm_dir)
      break()
    endif()
    set(_ljmm_dir "${_ljmm_up}")
  endwhile()
endforeach()
list(REMOVE_DUPLICATES _ljmm_created)
string(REPLACE ";" "\n" _ljmm_created "${_ljmm_created}")
file(WRITE "${LJMM_DIRS_FILE}" "${_ljmm_created}\n")
