# SPDX-License-Identifier: MIT
# ljmm-run's ELF reader (sourced into nothing: CMake pastes this file into the generated
# ljmm-run at the placeholder line of tools/ljmm-run.in, so the installed tool stays one
# script). Functions only; they use ljmm-run's variables.
# shellcheck shell=sh disable=SC2034 # the variables they set are read by ljmm-run

# ELF files are read with od (POSIX), the numbers little-endian as on the only machine
# the shim runs on. The functions set variables instead of printing, so that no
# $(...) subshell is needed for them; $why says what is wrong ('' when nothing is).

# read_head FILE: FILE's first 64 bytes, the size of an ELF64 header, as decimal numbers
# in $head. Status 1 when FILE cannot be read.
read_head() {
	head=$(od -An -v -tu1 -N64 -- "$1" 2>/dev/null)
}

# elf_header: from $head, e_ident's class (1 32-bit, 2 64-bit) and data (1 little-
# endian), e_type and e_machine (at the same offsets in both classes); $why when the
# bytes are no ELF header.
elf_header() {
	why='' elf_class='' elf_data='' elf_type='' elf_machine=''
	# shellcheck disable=SC2086 # split into the bytes on purpose
	set -- $head
	if [ $# -lt 4 ] || [ "$1 $2 $3 $4" != "127 69 76 70" ]; then
		why="not an ELF file"
	elif [ $# -lt 64 ]; then
		why="an ELF file cut short"
	else
		elf_class=$5 elf_data=$6
		elf_type=$((${17} + ${18} * 256)) elf_machine=$((${19} + ${20} * 256))
	fi
	return 0
}

# elf_segments FILE: the program headers of the ELF64 file whose header is in $head:
# elf_interp and elf_dynamic hold "OFFSET SIZE" of the first PT_INTERP and PT_DYNAMIC
# ('' when there is none), elf_notes "OFFSET SIZE" of each PT_NOTE.
elf_segments() {
	why='' elf_interp='' elf_dynamic='' elf_notes='' _f=$1
	# shellcheck disable=SC2086 # split into the bytes on purpose
	set -- $head
	_phoff=$((${33} + ${34} * 256 + ${35} * 65536 + ${36} * 16777216))
	_phentsize=$((${55} + ${56} * 256)) _phnum=$((${57} + ${58} * 256))
	if [ "${37}${38}${39}${40}" != 0000 ] || [ "$_phentsize" != 56 ] || [ "$_phnum" -gt 512 ]; then
		why="malformed program headers"
		return 0
	fi
	# shellcheck disable=SC2046 # 7 numbers per header
	set -- $(od -An -v -tu8 -j "$_phoff" -N $((_phnum * 56)) -- "$_f" 2>/dev/null)
	if [ $# != $((_phnum * 7)) ]; then
		why="malformed program headers (the file ends before them)"
		return 0
	fi
	while [ $# -ge 7 ]; do
		# p_type is the low half of the first word (p_flags the high half). Numbers too
		# long for the shell's arithmetic are not a real file's.
		if [ ${#1} -gt 18 ]; then
			why="malformed program headers"
			return 0
		fi
		case $(($1 % 4294967296)) in
		2) [ -n "$elf_dynamic" ] || elf_dynamic="$2 $5" ;;
		3) [ -n "$elf_interp" ] || elf_interp="$2 $5" ;;
		4) elf_notes="$elf_notes $2 $5" ;;
		esac
		shift 7
	done
}

# elf_linked FILE: elf_linked=1 when a PT_NOTE of FILE ($elf_notes) holds the shim's
# note, which the link form ljmm.o brings into every program it is linked into
# (shim/probe.h: name "ljmm", type 0x6c6a0001, an 8-byte descriptor), else 0. Notes
# start at multiples of 4 in their segment, so the note's header is the four 32-bit
# words 5 (namesz), 8 (descsz), 1818886145 (the type) and 1835887212 ("ljmm").
elf_linked() {
	elf_linked=0 _f=$1
	# shellcheck disable=SC2086 # offset and size pairs
	set -- $elf_notes
	while [ $# -ge 2 ]; do
		# shellcheck disable=SC2046 # the segment's words
		if [ ${#1} -le 12 ] && [ ${#2} -le 4 ] && [ "$2" -le 4096 ] &&
			note_words $(od -An -v -tu4 -j "$1" -N "$2" -- "$_f" 2>/dev/null); then
			elf_linked=1
			return 0
		fi
		shift 2
	done
	return 0
}

# note_words WORD...: status 0 when four words in a row are the shim's note header.
note_words() {
	while [ $# -ge 4 ]; do
		[ "$1 $2 $3 $4" != "5 8 1818886145 1835887212" ] || return 0
		shift
	done
	return 1
}

# elf_pie FILE: elf_pie=1 when the dynamic section ($elf_dynamic) sets DF_1_PIE in
# DT_FLAGS_1, as the linker marks a position-independent executable, else 0.
elf_pie() {
	why='' elf_pie=0 _f=$1
	# shellcheck disable=SC2086 # offset and size
	set -- $elf_dynamic
	if [ ${#1} -gt 12 ] || [ ${#2} -gt 7 ] || [ "$2" -gt 1048576 ]; then
		why="malformed program headers"
		return 0
	fi
	_dynsize=$2
	# shellcheck disable=SC2046 # tag/value pairs
	set -- $(od -An -v -tu8 -j "$1" -N "$2" -- "$_f" 2>/dev/null)
	if [ $# != $((_dynsize / 8)) ]; then
		why="malformed dynamic section"
		return 0
	fi
	while [ $# -ge 2 ] && [ "$1" != 0 ]; do
		# DT_FLAGS_1 (0x6ffffffb) with DF_1_PIE (0x08000000)
		if [ "$1" = 1879048187 ] && [ ${#2} -le 18 ] && [ $(($2 / 134217728 % 2)) = 1 ]; then
			elf_pie=1
			return 0
		fi
		shift 2
	done
}

# elf_interp_name FILE: the PT_INTERP path of FILE (for --check's answer), as od -c
# prints it (enough for the paths ld.so lives at).
elf_interp_name() {
	# shellcheck disable=SC2086 # offset and size
	set -- "$1" $elf_interp
	_name=''
	if [ ${#2} -le 12 ] && [ ${#3} -le 4 ]; then
		# shellcheck disable=SC2046 # one character a word
		set -- $(od -An -v -c -j "$2" -N "$3" -- "$1" 2>/dev/null)
		for _c; do
			[ "$_c" != '\0' ] || break
			_name=$_name$_c
		done
	fi
	printf '%s\n' "${_name:-?}"
}
