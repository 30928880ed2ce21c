/*
 * Weft's TCP keepalive addon (node-api, Linux): sets and reads SO_KEEPALIVE, TCP_KEEPIDLE,
 * TCP_KEEPINTVL and TCP_KEEPCNT on a socket's file descriptor. Node's socket.setKeepAlive() only
 * sets the idle time; DestinationRule tcpKeepalive also has an interval and a probe count.
 *
 *   set(fd, idleSeconds, intervalSeconds, probes)  turns keepalive on; a 0 leaves that option as
 *                                                  it is (the OS default). Throws on bad arguments
 *                                                  or when setsockopt fails (e.g. EBADF).
 *   get(fd) -> { enabled, idleSeconds, intervalSeconds, probes }  (getsockopt; throws on failure)
 *
 * Never touches memory it did not get from node-api, never aborts: every failure is a JS error.
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

/* Linux limits: TCP_KEEPIDLE and TCP_KEEPINTVL at most 32767 s, TCP_KEEPCNT at most 127. */
#define MAX_SECONDS 32767
#define MAX_PROBES 127

static napi_value throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char buf[160];
  snprintf(buf, sizeof buf, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, buf);
  return NULL;
}

/* Reads args[i] as an integer in [min, max]; false (with a pending JS error) otherwise. */
static int int_arg(napi_env env, napi_value v, const char *name, int64_t min, int64_t max, int *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    char buf[96];
    snprintf(buf, sizeof buf, "%s must be a number", name);
    napi_throw_type_error(env, NULL, buf);
    return 0;
  }
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d != d || d < (double)min || d > (double)max || d != (double)(int64_t)d) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s must be an integer in %lld..%lld", name, (long long)min, (long long)max);
    napi_throw_range_error(env, NULL, buf);
    return 0;
  }
  *out = (int)d;
  return 1;
}

static napi_value set_keepalive(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok) return throw_error(env, "bad call");
  if (argc != 4) return throw_error(env, "set(fd, idleSeconds, intervalSeconds, probes) takes 4 arguments");
  int fd, idle, intvl, cnt;
  if (!int_arg(env, args[0], "fd", 0, 2147483647, &fd)) return NULL;
  if (!int_arg(env, args[1], "idleSeconds", 0, MAX_SECONDS, &idle)) return NULL;
  if (!int_arg(env, args[2], "intervalSeconds", 0, MAX_SECONDS, &intvl)) return NULL;
  if (!int_arg(env, args[3], "probes", 0, MAX_PROBES, &cnt)) return NULL;
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0) return throw_errno(env, "SO_KEEPALIVE", errno);
  if (idle > 0 && setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0) return throw_errno(env, "TCP_KEEPIDLE", errno);
  if (intvl > 0 && setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl) != 0) return throw_errno(env, "TCP_KEEPINTVL", errno);
  if (cnt > 0 && setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) != 0) return throw_errno(env, "TCP_KEEPCNT", errno);
  return NULL;
}

static int get_int(int fd, int level, int name, int *out) {
  socklen_t len = sizeof *out;
  return getsockopt(fd, level, name, out, &len) == 0 ? 0 : errno;
}

static int set_prop(napi_env env, napi_value obj, const char *key, int value, int as_bool) {
  napi_value v;
  napi_status s = as_bool ? napi_get_boolean(env, value != 0, &v) : napi_create_int32(env, value, &v);
  return s == napi_ok && napi_set_named_property(env, obj, key, v) == napi_ok;
}

static napi_value get_keepalive(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok) return throw_error(env, "bad call");
  if (argc != 1) return throw_error(env, "get(fd) takes 1 argument");
  int fd;
  if (!int_arg(env, args[0], "fd", 0, 2147483647, &fd)) return NULL;
  int on = 0, idle = 0, intvl = 0, cnt = 0, err;
  if ((err = get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &on)) != 0) return throw_errno(env, "SO_KEEPALIVE", err);
  if ((err = get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle)) != 0) return throw_errno(env, "TCP_KEEPIDLE", err);
  if ((err = get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl)) != 0) return throw_errno(env, "TCP_KEEPINTVL", err);
  if ((err = get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt)) != 0) return throw_errno(env, "TCP_KEEPCNT", err);
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) return throw_error(env, "out of memory");
  if (!set_prop(env, obj, "enabled", on, 1) || !set_prop(env, obj, "idleSeconds", idle, 0) ||
      !set_prop(env, obj, "intervalSeconds", intvl, 0) || !set_prop(env, obj, "probes", cnt, 0)) {
    return throw_error(env, "cannot build the result");
  }
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"set", NULL, set_keepalive, NULL, NULL, NULL, napi_enumerable, NULL},
    {"get", NULL, get_keepalive, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

#ifndef NODE_GYP_MODULE_NAME
#define NODE_GYP_MODULE_NAME tcp_keepalive
#endif
NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
