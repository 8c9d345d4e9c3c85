// Typed, non-variadic wrappers over libcurl's variadic entry points, which Swift cannot call.
#ifndef CURLMAIL_CCURL_SHIM_H
#define CURLMAIL_CCURL_SHIM_H

#include <curl/curl.h>
#include <poll.h>

/// Data callback shape shared by CURLOPT_WRITEFUNCTION, CURLOPT_READFUNCTION and CURLOPT_HEADERFUNCTION.
typedef size_t (*cm_data_callback)(char *buffer, size_t size, size_t count, void *userdata);

/// CURLOPT_XFERINFOFUNCTION callback shape; returning non-zero aborts the transfer.
typedef int (*cm_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                    curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode cm_global_init(void) {
    return curl_global_init(CURL_GLOBAL_ALL);
}

static inline CURLcode cm_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cm_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cm_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cm_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cm_setopt_data_callback(CURL *handle, CURLoption option, cm_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cm_setopt_xferinfo_callback(CURL *handle, CURLoption option, cm_xferinfo_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cm_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode cm_getinfo_socket(CURL *handle, CURLINFO info, curl_socket_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
