/* A plugin built for another ABI version: the loader must refuse it before creating it. */
#include <stddef.h>

#include "app/plugin_abi.h"

#define WRONG_ABI_VERSION (HOTBFT_APP_ABI_VERSION + 1)

uint32_t hotbft_app_abi_version(void) {
  return WRONG_ABI_VERSION;
}

hotbft_app_handle* hotbft_app_create(const char* config, char* error, size_t error_len) {
  (void)config;
  if (error != NULL && error_len > 0) error[0] = '\0';
  return NULL;
}

int hotbft_app_call(hotbft_app_handle* app, const uint8_t* request, size_t request_len,
                    uint8_t** response, size_t* response_len) {
  (void)app;
  (void)request;
  (void)request_len;
  *response = NULL;
  *response_len = 0;
  return HOTBFT_APP_CALL_FAILED;
}

void hotbft_app_free_buffer(uint8_t* buffer) {
  (void)buffer;
}

void hotbft_app_destroy(hotbft_app_handle* app) {
  (void)app;
}
