/*
 * The C ABI between a node and an application plugin: a shared library that the node
 * loads with dlopen (app/plugin.h). Usable from C and from any language that can export
 * C functions.
 *
 * Stable across compilers and languages: only C types cross the boundary, and every
 * request and response is a serialized protobuf message of proto/app.proto (AppRequest,
 * AppResponse), the same messages the socket transport carries. A plugin exports the five
 * functions below, unmangled; HOTBFT_APP_ABI_VERSION changes whenever their meaning does,
 * and the node refuses a plugin that reports another version.
 *
 * Memory: a response buffer belongs to the plugin; the node hands it back through
 * hotbft_app_free_buffer, so each side frees only what its own allocator made.
 *
 * Threads: hotbft_app_call may run concurrently on one handle, from up to three threads
 * (the consensus, mempool and query connections of app/application.h); create and destroy
 * never overlap with anything on the same handle. Nothing may unwind (no C++ exception, no
 * longjmp) across these functions.
 *
 * A C++ application does not write these by hand: HOTBFT_EXPORT_APP (app/plugin_export.h)
 * exports them for an Application.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HOTBFT_APP_ABI_VERSION 1

/* The largest request or response, in bytes (= kAppMessageBytesMax of app/limits.h). A
 * larger request is refused with HOTBFT_APP_CALL_BAD_REQUEST; the node refuses a larger
 * response. */
#define HOTBFT_APP_MESSAGE_BYTES_MAX ((size_t)64 << 20)

/* Marks the exported functions, so a plugin built with -fvisibility=hidden exports them. */
#define HOTBFT_APP_EXPORT __attribute__((visibility("default")))

/* One application instance, opaque to the node. */
typedef struct hotbft_app_handle hotbft_app_handle;

/* What hotbft_app_call returns. */
#define HOTBFT_APP_CALL_OK 0          /* *response holds a serialized AppResponse */
#define HOTBFT_APP_CALL_BAD_REQUEST 1 /* the request bytes are not an AppRequest */
#define HOTBFT_APP_CALL_FAILED 2      /* no response could be made (e.g. out of memory) */

/* The ABI version the plugin was built for: HOTBFT_APP_ABI_VERSION of its plugin_abi.h.
 * The node calls it first, before anything else. */
HOTBFT_APP_EXPORT uint32_t hotbft_app_abi_version(void);

/* Creates an application from `config` (a NUL-terminated string whose meaning is the
 * plugin's, e.g. a data directory). On failure returns NULL and writes a NUL-terminated
 * reason of at most error_len bytes (including the NUL) to `error`. */
HOTBFT_APP_EXPORT hotbft_app_handle* hotbft_app_create(const char* config, char* error,
                                                       size_t error_len);

/* Handles one serialized AppRequest of request_len bytes. On HOTBFT_APP_CALL_OK sets
 * *response to a buffer of *response_len bytes holding the serialized AppResponse (an
 * app-level failure is an AppResponse with `exception` set); the caller releases it with
 * hotbft_app_free_buffer. On any other return value, *response is NULL. */
HOTBFT_APP_EXPORT int hotbft_app_call(hotbft_app_handle* app, const uint8_t* request,
                                      size_t request_len, uint8_t** response, size_t* response_len);

/* Releases a buffer returned by hotbft_app_call. NULL is allowed. */
HOTBFT_APP_EXPORT void hotbft_app_free_buffer(uint8_t* buffer);

/* Destroys an application made by hotbft_app_create. After it returns the plugin holds no
 * thread and no callback of the node, so the library may be unloaded. */
HOTBFT_APP_EXPORT void hotbft_app_destroy(hotbft_app_handle* app);

/* The symbols' names and types, for the loader's dlsym. */
#define HOTBFT_APP_SYMBOL_ABI_VERSION "hotbft_app_abi_version"
#define HOTBFT_APP_SYMBOL_CREATE "hotbft_app_create"
#define HOTBFT_APP_SYMBOL_CALL "hotbft_app_call"
#define HOTBFT_APP_SYMBOL_FREE_BUFFER "hotbft_app_free_buffer"
#define HOTBFT_APP_SYMBOL_DESTROY "hotbft_app_destroy"

typedef uint32_t (*hotbft_app_abi_version_fn)(void);
typedef hotbft_app_handle* (*hotbft_app_create_fn)(const char*, char*, size_t);
typedef int (*hotbft_app_call_fn)(hotbft_app_handle*, const uint8_t*, size_t, uint8_t**, size_t*);
typedef void (*hotbft_app_free_buffer_fn)(uint8_t*);
typedef void (*hotbft_app_destroy_fn)(hotbft_app_handle*);

#ifdef __cplusplus
} /* extern "C" */
#endif
