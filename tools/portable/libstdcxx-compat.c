// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linked into the portable vtoa binary (tools/portable-swift-build) only.
 *
 * The Swift runtime in the toolchain's static libraries was compiled with
 * GCC 12's C++ headers, which call std::__throw_bad_array_new_length() where
 * a `new T[n]` size overflows; libstdc++ has it only from GCC 11
 * (GLIBCXX_3.4.29). The portable binary links GCC 10's libstdc++.a (Debian
 * 11, the libstdc++ of Alibaba Cloud Linux 3), which lacks it. It never
 * returns: it throws std::bad_alloc, the base class of the
 * std::bad_array_new_length GCC 11 throws (the Swift runtime catches
 * neither: the process ends as it would with GCC 11's).
 */
__attribute__((noreturn)) void _ZSt17__throw_bad_allocv(void);
__attribute__((noreturn)) void vtoa_throw_bad_array_new_length(void)
	__asm__("_ZSt28__throw_bad_array_new_lengthv");

void vtoa_throw_bad_array_new_length(void)
{
	_ZSt17__throw_bad_allocv();
}
