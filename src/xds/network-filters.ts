// Type URLs of the network filters Weft emits and accepts besides the HTTP connection manager.
export const TCP_PROXY_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';
export const TLS_INSPECTOR_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';
export const TLS_INSPECTOR_FILTER = 'envoy.filters.listener.tls_inspector';
