/* A plugin that lacks hotbft_app_call: the loader must refuse it and name the symbol. */
#include <stddef.h>

#include "app/plugin_abi.h"

uint32_t hotbft_app_abi_version(void) {
  return HOTBFT_APP_ABI_VERSION;
}

hotbft_app_handle* hotbft_app_create(const char* config, char* error, size_t error_len) {
  (void)config;
  if (error != NULL && error_len > 0) error[0] = '\0';
  return NULL;
}

void hotbft_app_free_buffer(uint8_t* buffer) {
  (void)buffer;
}

void hotbft_app_destroy(hotbft_app_handle* app) {
  (void)app;
}
