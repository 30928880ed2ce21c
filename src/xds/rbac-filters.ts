// Names and type URLs of Envoy's RBAC filters (AuthorizationPolicy enforcement).
export const HTTP_RBAC_FILTER = 'envoy.filters.http.rbac';
export const HTTP_RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
export const NETWORK_RBAC_FILTER = 'envoy.filters.network.rbac';
export const NETWORK_RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';
