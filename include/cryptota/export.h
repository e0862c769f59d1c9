/**
 * @file export.h
 * Symbol visibility for the public API (STYLE.md R9).
 */
#ifndef CRYPTOTA_EXPORT_H
#define CRYPTOTA_EXPORT_H

#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(CT_STATIC)
#    define CT_API
#  elif defined(CT_BUILDING_LIBRARY)
#    define CT_API __declspec(dllexport)
#  else
#    define CT_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define CT_API __attribute__((visibility("default")))
#else
#  define CT_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define CT_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#  define CT_DEPRECATED(msg)
#endif

#ifdef __cplusplus
#  define CT_EXTERN_C_BEGIN extern "C" {
#  define CT_EXTERN_C_END }
#else
#  define CT_EXTERN_C_BEGIN
#  define CT_EXTERN_C_END
#endif

#endif /* CRYPTOTA_EXPORT_H */
