# SPDX-License-Identifier: MIT
# The uninstall target: cmake -DLJMM_MANIFEST=BUILD/install_manifest.txt
#   -DLJMM_DIRS_FILE=BUILD/install_dirs.txt -P cmake/uninstall.cmake
# Removes exactly the files the last `cmake --install` of the build tree installed (its
# install_manifest.txt), saying so for each, and for each one already gone; then the
# directories that installs of this tree created (cmake/install_dirs.cmake), deepest
# first, each only if it is empty (rmdir, so nothing put there since is touched).
# Fails, naming the file, when one cannot be removed (no permission: run it as the
# user who installed).
if(NOT LJMM_MANIFEST OR NOT EXISTS "${LJMM_MANIFEST}")
  message(FATAL_ERROR "ljmm: nothing to uninstall: ${LJMM_MANIFEST} does not exist "
    "(this build tree has not been installed with cmake --install)")
endif()
file(STRINGS "${LJMM_MANIFEST}" _ljmm_files)
set(_ljmm_removed 0)
set(_ljmm_gone 0)
foreach(_ljmm_file IN LISTS _ljmm_files)
  if(IS_SYMLINK "${_ljmm_file}" OR EXISTS "${_ljmm_file}")
    if(IS_DIRECTORY "${_ljmm_file}" AND NOT IS_SYMLINK "${_ljmm_file}")
      message(FATAL_ERROR "ljmm: ${_ljmm_file} is a directory now, not the file that was installed: left alone")
    endif()
    message(STATUS "Removing: ${_ljmm_file}")
    file(REMOVE "${_ljmm_file}")
    if(IS_SYMLINK "${_ljmm_file}" OR EXISTS "${_ljmm_file}")
      message(FATAL_ERROR "ljmm: cannot remove ${_ljmm_file} (run the uninstall as the user who installed)")
    endif()
    math(EXPR _ljmm_removed "${_ljmm_removed} + 1")
  else()
    message(STATUS "Already gone: ${_ljmm_file}")
    math(EXPR _ljmm_gone "${_ljmm_gone} + 1")
  endif()
endforeach()

set(_ljmm_dirs "")
if(LJMM_DIRS_FILE AND EXISTS "${LJMM_DIRS_FILE}")
  file(STRINGS "${LJMM_DIRS_FILE}" _ljmm_dirs)
endif()
# A directory sorts after its parent: reversed, children come first.
list(SORT _ljmm_dirs)
list(REVERSE _ljmm_dirs)
set(_ljmm_rmdirs 0)
foreach(_ljmm_dir IN LISTS _ljmm_dirs)
  if(IS_DIRECTORY "${_ljmm_dir}" AND NOT IS_SYMLINK "${_ljmm_dir}")
    execute_process(COMMAND rmdir -- "${_ljmm_dir}" RESULT_VARIABLE _ljmm_rc ERROR_QUIET)
    if(_ljmm_rc EQUAL 0)
      message(STATUS "Removing directory: ${_ljmm_dir}")
      math(EXPR _ljmm_rmdirs "${_ljmm_rmdirs} + 1")
    else()
      message(STATUS "Keeping directory (not empty): ${_ljmm_dir}")
    endif()
  endif()
endforeach()
if(LJMM_DIRS_FILE)
  file(REMOVE "${LJMM_DIRS_FILE}")
endif()
message(STATUS "ljmm: uninstalled: ${_ljmm_removed} files removed, ${_ljmm_gone} already gone, "
  "${_ljmm_rmdirs} directories removed")
