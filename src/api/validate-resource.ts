// One YAML document → one validated Resource: apiVersion, kind, metadata, then the kind's spec.

import { labelKey, dnsLabel, dnsSubdomain } from './names.js';
import { didYouMean } from './suggest.js';
import { ALL_KINDS, ISTIO_NETWORKING_GROUP, WEFT_GROUP, type KindName, type ObjectMeta, type Resource } from './types.js';
import { Field, isPlainMap, Issues, readLabels, type FieldSet, type Issue } from './validate-common.js';
import { validateDestinationRuleSpec } from './validate-destination-rule.js';
import { validateGatewaySpec } from './validate-gateway.js';
import { validateMeshConfigSpec } from './validate-mesh-config.js';
import { validateRequestAuthenticationSpec } from './validate-request-authentication.js';
import { ISTIO_SECURITY_GROUP } from './request-authentication-types.js';
import { validateServiceEntrySpec } from './validate-service-entry.js';
import { validateVirtualServiceSpec } from './validate-virtual-service.js';
import { validateWorkloadEntrySpec } from './validate-workload-entry.js';
import { validateWorkloadSpec } from './validate-workload.js';
import { validateTelemetrySpec } from './validate-telemetry.js';
import { TELEMETRY_GROUP } from './telemetry-types.js';

export const ISTIO_API_VERSIONS: readonly string[] = ['v1', 'v1beta1', 'v1alpha3'].map((v) => `${ISTIO_NETWORKING_GROUP}/${v}`);
export const WEFT_API_VERSIONS: readonly string[] = [`${WEFT_GROUP}/v1alpha1`];

/** apiVersions accepted per kind; a kind not listed is an Istio networking kind. */
const API_VERSIONS: Partial<Record<KindName, readonly string[]>> = {
  Workload: WEFT_API_VERSIONS,
  MeshConfig: WEFT_API_VERSIONS,
  RequestAuthentication: ['v1', 'v1beta1'].map((v) => `${ISTIO_SECURITY_GROUP}/${v}`),
  Telemetry: ['v1', 'v1alpha1'].map((v) => `${TELEMETRY_GROUP}/${v}`),
};

export function apiVersionsFor(kind: KindName): readonly string[] {
  return API_VERSIONS[kind] ?? ISTIO_API_VERSIONS;
}

type SpecOf<K extends KindName> = Extract<Resource, { kind: K }>['spec'];

const SPEC_VALIDATORS: { readonly [K in KindName]: (spec: Field) => SpecOf<K> } = {
  ServiceEntry: validateServiceEntrySpec,
  WorkloadEntry: validateWorkloadEntrySpec,
  VirtualService: validateVirtualServiceSpec,
  DestinationRule: validateDestinationRuleSpec,
  Gateway: validateGatewaySpec,
  Workload: validateWorkloadSpec,
  MeshConfig: validateMeshConfigSpec,
  RequestAuthentication: validateRequestAuthenticationSpec,
  Telemetry: validateTelemetrySpec,
};

const TOP: FieldSet = { supported: ['apiVersion', 'kind', 'metadata', 'spec'], ignored: ['status'] };
const METADATA: FieldSet = {
  supported: ['name', 'namespace', 'labels', 'annotations'],
  // Kubernetes bookkeeping, present when a resource is copied from `kubectl get -o yaml`.
  ignored: [
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'managedFields',
    'ownerReferences',
    'finalizers',
    'generateName',
    'selfLink',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
  ],
};

export interface ValidatedDocument {
  /** Undefined when any error was found. */
  resource: Resource | undefined;
  issues: Issue[];
  /** What the document says it is, as far as it could be read (for error messages). */
  kind?: string;
  name?: string;
  namespace?: string;
}

/** Validates one parsed YAML document (a plain JS value). */
export function validateDocument(raw: unknown): ValidatedDocument {
  const issues = new Issues();
  const root = Field.root(raw, issues);
  const ids = identify(raw);
  if (!root.object(TOP, { required: true, what: 'a map with apiVersion, kind, metadata and spec' })) {
    return { resource: undefined, issues: issues.list, ...ids };
  }
  const kind = readKind(root.get('kind'));
  const apiVersion = root.get('apiVersion').string({ required: true });
  if (kind !== undefined && apiVersion !== '') {
    const accepted = apiVersionsFor(kind);
    if (!accepted.includes(apiVersion)) {
      root.get('apiVersion').error(`expected ${oneOf(accepted)} for kind ${kind}, got "${apiVersion}"${didYouMean(apiVersion, accepted)}`);
    }
  }
  const metadata = readMetadata(root.get('metadata'));
  let resource: Resource | undefined;
  if (kind !== undefined) {
    const spec = SPEC_VALIDATORS[kind](root.get('spec'));
    resource = { apiVersion, kind, metadata, spec } as Resource;
  }
  return { resource: issues.hasErrors ? undefined : resource, issues: issues.list, ...ids };
}

function readKind(f: Field): KindName | undefined {
  const kind = f.string({ required: true });
  if (kind === '') return undefined;
  const hit = ALL_KINDS.find((k) => k === kind);
  if (hit === undefined) f.error(`unsupported kind ${kind} (supported: ${ALL_KINDS.join(', ')})${didYouMean(kind, ALL_KINDS)}`);
  return hit;
}

function readMetadata(f: Field): ObjectMeta {
  f.object(METADATA, { required: true });
  return {
    name: f.get('name').string({ required: true, check: dnsSubdomain }),
    namespace: f.get('namespace').string({ default: 'default', check: dnsLabel }),
    labels: readLabels(f.get('labels')),
    annotations: f.get('annotations').stringMap({ keyCheck: labelKey, what: 'a map of annotations' }),
  };
}

function oneOf(values: readonly string[]): string {
  return values.length === 1 ? (values[0] ?? '') : `one of ${values.join(', ')}`;
}

/** Kind, name and namespace as written, when they are strings: used to label errors. */
function identify(raw: unknown): Pick<ValidatedDocument, 'kind' | 'name' | 'namespace'> {
  if (!isPlainMap(raw)) return {};
  const out: Pick<ValidatedDocument, 'kind' | 'name' | 'namespace'> = {};
  if (typeof raw.kind === 'string') out.kind = raw.kind;
  const meta = raw.metadata;
  if (isPlainMap(meta) && typeof meta.name === 'string') {
    out.name = meta.name;
    out.namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
  }
  return out;
}
