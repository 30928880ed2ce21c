// AuthorizationPolicy spec (security.istio.io/v1, v1beta1): Istio's fields and its validation
// rules, with field paths. CUSTOM (ext_authz), targetRef(s) and experimental.* keys are errors,
// not warnings: ignoring any of them would silently widen or narrow who may call what.

import { ipOrCidr, type Check } from './names.js';
import type { AuthorizationPolicySpec, AuthzCondition, AuthzOperation, AuthzRule, AuthzSource } from './authz-types.js';
import { compact, readLabels, type Field, type FieldSet } from './validate-common.js';

const SPEC: FieldSet = { supported: ['selector', 'action', 'rules', 'provider', 'targetRef', 'targetRefs'] };
const SELECTOR: FieldSet = { supported: ['matchLabels'] };
const RULE: FieldSet = { supported: ['from', 'to', 'when'] };
const FROM: FieldSet = { supported: ['source'] };
const TO: FieldSet = { supported: ['operation'] };
const SOURCE_FIELDS = [
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces',
  'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks',
] as const;
const SOURCE: FieldSet = { supported: SOURCE_FIELDS, notYet: ['serviceAccounts', 'notServiceAccounts'] };
const OPERATION_STRING_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;
const OPERATION: FieldSet = { supported: [...OPERATION_STRING_FIELDS, 'ports', 'notPorts'] };
const CONDITION: FieldSet = { supported: ['key', 'values', 'notValues'] };

/** Plain `when` keys Istio defines (besides request.headers[...] and request.auth.claims[...]). */
export const WHEN_KEYS = [
  'source.ip', 'source.namespace', 'source.principal', 'remote.ip', 'request.auth.principal', 'request.auth.audiences',
  'request.auth.presenter', 'destination.ip', 'destination.port', 'connection.sni',
] as const;

/** Istio's match forms: exact, "prefix*", "*suffix" or "*" alone; a "*" anywhere else is an error. */
const wildcard: Check = (s) => {
  if (s === '*') return undefined;
  const inner = s.slice(s.startsWith('*') ? 1 : 0, s.endsWith('*') ? -1 : undefined);
  if (inner.includes('*') || (s.startsWith('*') && s.endsWith('*'))) return 'expected an exact value, "prefix*", "*suffix" or "*"';
  return undefined;
};

const path: Check = (s) => {
  if (s.includes('{')) return 'expected a path, "prefix*", "*suffix" or "*" (path templates {*} and {**} are not supported)';
  return wildcard(s);
};

const port: Check = (s) => (/^\d{1,5}$/.test(s) && Number(s) <= 65535 ? undefined : 'expected a port 0..65535');

export function validateAuthorizationPolicySpec(f: Field): AuthorizationPolicySpec {
  // `spec: {}` is a valid policy (ALLOW nothing: deny all in scope), so the spec may be empty.
  if (!f.present) {
    f.object(SPEC);
    return { action: 'ALLOW', rules: [] };
  }
  f.object(SPEC);
  for (const k of ['targetRef', 'targetRefs']) {
    const t = f.get(k);
    if (t.present) t.error('not supported: Weft has no Gateway API resources to target; select workloads with selector.matchLabels');
  }
  const action = f.get('action').oneOf(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const, { default: 'ALLOW' });
  if (action === 'CUSTOM') f.get('action').error('not supported: CUSTOM (external authorization) is not implemented; use ALLOW, DENY or AUDIT');
  if (f.get('provider').present) f.get('provider').error('not supported: provider is only for CUSTOM, which Weft does not implement');
  let selector: Record<string, string> | undefined;
  const sel = f.get('selector');
  if (sel.present) {
    sel.object(SELECTOR);
    selector = readLabels(sel.get('matchLabels'));
  }
  const rules = f.get('rules').list(readRule);
  return compact({ selector, action: action === 'CUSTOM' ? 'ALLOW' : action, rules });
}

function readRule(f: Field): AuthzRule {
  // `rules: [{}]` is valid: one rule that matches every request.
  if (f.value !== null) f.object(RULE);
  return {
    from: f.get('from').list(readFrom),
    to: f.get('to').list(readTo),
    when: f.get('when').list(readCondition),
  };
}

function readFrom(f: Field): AuthzSource {
  f.object(FROM, { required: true });
  const s = f.get('source');
  s.object(SOURCE, { required: true });
  const ip = (k: string): string[] => s.get(k).stringList({ check: ipOrCidr, itemWhat: 'an IP address or CIDR block' });
  const w = (k: string): string[] => s.get(k).stringList({ check: wildcard });
  const out: AuthzSource = {
    principals: w('principals'),
    notPrincipals: w('notPrincipals'),
    requestPrincipals: w('requestPrincipals'),
    notRequestPrincipals: w('notRequestPrincipals'),
    namespaces: w('namespaces'),
    notNamespaces: w('notNamespaces'),
    ipBlocks: ip('ipBlocks'),
    notIpBlocks: ip('notIpBlocks'),
    remoteIpBlocks: ip('remoteIpBlocks'),
    notRemoteIpBlocks: ip('notRemoteIpBlocks'),
  };
  if (s.present && Object.values(out).every((v) => v.length === 0)) s.error(`must not be empty: set at least one of ${SOURCE_FIELDS.join(', ')}`);
  return out;
}

function readTo(f: Field): AuthzOperation {
  f.object(TO, { required: true });
  const o = f.get('operation');
  o.object(OPERATION, { required: true });
  const strings = (k: string, check: Check): string[] => o.get(k).stringList({ check });
  const out: AuthzOperation = {
    hosts: strings('hosts', wildcard),
    notHosts: strings('notHosts', wildcard),
    ports: readPorts(o.get('ports')),
    notPorts: readPorts(o.get('notPorts')),
    methods: strings('methods', wildcard),
    notMethods: strings('notMethods', wildcard),
    paths: strings('paths', path),
    notPaths: strings('notPaths', path),
  };
  if (o.present && Object.values(out).every((v) => v.length === 0)) o.error(`must not be empty: set at least one of ${OPERATION.supported.join(', ')}`);
  return out;
}

/** Istio writes ports as strings ("8080"); a bare number is accepted too. */
function readPorts(f: Field): number[] {
  return f.list((item) => {
    if (typeof item.value === 'number') return item.int({ required: true, min: 0, max: 65535 });
    return Number(item.string({ required: true, check: port }));
  });
}

function readCondition(f: Field): AuthzCondition {
  f.object(CONDITION, { required: true });
  const keyField = f.get('key');
  const key = keyField.string({ required: true });
  const check = key === '' ? undefined : conditionCheck(keyField, key);
  const values = f.get('values').stringList({ check });
  const notValues = f.get('notValues').stringList({ check });
  if (f.present && values.length === 0 && notValues.length === 0) f.error('needs values or notValues');
  return { key, values, notValues };
}

/** Checks a `when` key and returns the check for its values. */
function conditionCheck(f: Field, key: string): Check | undefined {
  if (key.startsWith('experimental.')) {
    f.error(`not supported: ${key} (experimental keys are not implemented)`);
    return undefined;
  }
  if (key.startsWith('request.headers')) {
    if (!/^request\.headers\[[^\][]+\]$/.test(key)) f.error('expected request.headers[<name>] with a non-empty header name');
    return undefined;
  }
  if (key.startsWith('request.auth.claims')) {
    if (!/^request\.auth\.claims(\[[^\][]+\])+$/.test(key)) f.error('expected request.auth.claims[<name>] (nested: request.auth.claims[a][b])');
    return undefined;
  }
  if (!(WHEN_KEYS as readonly string[]).includes(key)) {
    f.error(`unknown key "${key}" (expected request.headers[...], request.auth.claims[...] or one of: ${WHEN_KEYS.join(', ')})`);
    return undefined;
  }
  if (key === 'source.ip' || key === 'remote.ip' || key === 'destination.ip') return ipOrCidr;
  if (key === 'destination.port') return port;
  return undefined;
}
