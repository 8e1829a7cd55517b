# SPDX-License-Identifier: MIT
# Writes the link form's dynamic list from the object itself: every global symbol
# ljmm.o defines (what LJMM_EXPORT marks, after `objcopy --localize-hidden`), so that the
# list cannot drift from the object. A dynamic executable linked with
# -Wl,--dynamic-list=ljmm.dynlist exports these names: the shared libraries' mmap calls
# then reach the linked copy, and a preloaded copy finds the executable's ljmm_version
# first and stands aside (shim/init.c). --dynamic-list works for executables since
# binutils 2.18 (RHEL 7 ships 2.27); --export-dynamic-symbol needs 2.35.
#   cmake -DLJMM_NM=nm -DLJMM_OBJECT=ljmm.o -DLJMM_DYNLIST=ljmm.dynlist -P dynlist.cmake
execute_process(COMMAND ${LJMM_NM} -g --defined-only ${LJMM_OBJECT}
  OUTPUT_VARIABLE _out RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "ljmm: ${LJMM_NM} -g --defined-only ${LJMM_OBJECT} failed (${_rc})")
endif()
string(REGEX MATCHALL "[0-9a-f]+ [TWDBR] [A-Za-z_][A-Za-z0-9_]*" _lines "${_out}")
set(_names "")
foreach(_line ${_lines})
  string(REGEX REPLACE "^[0-9a-f]+ . " "" _name "${_line}")
  list(APPEND _names ${_name})
endforeach()
list(SORT _names)
if(NOT _names)
  message(FATAL_ERROR "ljmm: ${LJMM_OBJECT} defines no global symbol")
endif()
set(_text "/* The symbols ljmm.o defines, exported from a dynamic executable (ljmm-link.pc). */\n{\n")
foreach(_name ${_names})
  string(APPEND _text "  ${_name};\n")
endforeach()
string(APPEND _text "};\n")
file(WRITE ${LJMM_DYNLIST} "${_text}")
