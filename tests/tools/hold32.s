# SPDX-License-Identifier: MIT
# A 32-bit (i386) test helper for ljmm-maps, in assembly so that it builds without a
# 32-bit C library (gcc-multilib): `as --32` and `ld -m elf_i386` from binutils. It
# prints "ready", as map32_hold does, and waits for a signal; alarm(120) ends it in
# case the test that started it could not.
	.globl _start
	.text
_start:
	movl $27, %eax		# alarm(120)
	movl $120, %ebx
	int $0x80
	movl $4, %eax		# write(1, msg, 6)
	movl $1, %ebx
	movl $msg, %ecx
	movl $6, %edx
	int $0x80
1:	movl $29, %eax		# pause(), until a signal ends the process
	int $0x80
	jmp 1b
	.data
msg:	.ascii "ready\n"
