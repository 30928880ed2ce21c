// MeshConfig pathNormalization → the HTTP connection manager fields Istio sets on every HCM:
//   NONE                      nothing (Envoy's defaults: the path is used as received)
//   BASE (default)            normalize_path (RFC 3986 dot segments, %-decoding of unreserved chars)
//   MERGE_SLASHES             + merge_slashes ("//a" → "/a")
//   DECODE_AND_MERGE_SLASHES  + path_with_escaped_slashes_action UNESCAPE_AND_FORWARD (%2F, %5C)
import type { MeshSettings } from '../model/mesh.js';
import type { Json } from './clusters.js';

export function pathNormalizationFields(mesh: MeshSettings): Json {
  switch (mesh.pathNormalization.normalization) {
    case 'NONE':
      return {};
    case 'BASE':
      return { normalize_path: true };
    case 'MERGE_SLASHES':
      return { normalize_path: true, merge_slashes: true };
    case 'DECODE_AND_MERGE_SLASHES':
      return { normalize_path: true, merge_slashes: true, path_with_escaped_slashes_action: 'UNESCAPE_AND_FORWARD' };
  }
}
