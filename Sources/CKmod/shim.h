#ifndef VTOA_CKMOD_SHIM_H
#define VTOA_CKMOD_SHIM_H
#include <libkmod.h>
#endif
