#ifndef SMSYNC_CZSTD_SHIM_H
#define SMSYNC_CZSTD_SHIM_H

#include <zstd.h>
#include <zstd_errors.h>

#endif
