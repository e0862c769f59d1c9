/**
 * @file cryptota.h
 * Umbrella header for the stable libcryptota API.
 */
#ifndef CRYPTOTA_H
#define CRYPTOTA_H

#include "export.h"
#include "version.h"
#include "status.h"
#include "alloc.h"
#include "log.h"
#include "feed.h"
#include "fetch.h"
#include "result.h"
#include "indicators.h"
#include "strategy.h"
#include "engine.h"
#include "metrics.h"
#include "optimizer.h"

#endif /* CRYPTOTA_H */
