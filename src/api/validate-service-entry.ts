// ServiceEntry spec.

import { isIP } from 'node:net';
import { exportTarget, hostPattern, ipOrCidr } from './names.js';
import { protocolFromPortName, readProtocol } from './protocols.js';
import type { ServiceEntrySpec, ServicePort } from './types.js';
import { checkUnique, compact, readLabels, type Field, type FieldSet } from './validate-common.js';
import { validateWorkloadEntrySpec } from './validate-workload-entry.js';

const SPEC: FieldSet = {
  supported: ['hosts', 'addresses', 'ports', 'location', 'resolution', 'endpoints', 'workloadSelector', 'exportTo'],
  notYet: ['subjectAltNames'],
};
const PORT: FieldSet = { supported: ['number', 'protocol', 'name', 'targetPort'] };
const WORKLOAD_SELECTOR: FieldSet = { supported: ['labels'] };

const LOCATIONS = ['MESH_EXTERNAL', 'MESH_INTERNAL'] as const;
const RESOLUTIONS = ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'] as const;

export function validateServiceEntrySpec(f: Field): ServiceEntrySpec {
  f.object(SPEC, { required: true });
  const hosts = f.get('hosts').stringList({ required: true, nonEmpty: true, check: seHost, what: 'a non-empty list of hosts' });
  const ports = f.get('ports').list(readPort);
  const resolution = f.get('resolution').oneOf(RESOLUTIONS, { default: 'NONE' });
  const endpoints = f.get('endpoints').list(validateWorkloadEntrySpec);
  const workloadSelector = f.get('workloadSelector').ifPresent((w) => {
    w.object(WORKLOAD_SELECTOR);
    return { labels: readLabels(w.get('labels'), { required: true }) };
  });

  checkUnique(f.get('ports'), ports, 'name', (p) => p.name, 'port name');
  checkUnique(f.get('ports'), ports, 'number', (p) => p.number, 'port number');
  checkResolution(f, { hosts, resolution, endpoints: endpoints.length, selector: workloadSelector !== undefined });
  if (resolution === 'STATIC') {
    endpoints.forEach((e, i) => {
      if (e.address !== '' && isIP(e.address) === 0) {
        f.get('endpoints').at(i).get('address').error(`expected an IP address (resolution is STATIC), got "${e.address}"`);
      }
    });
  }

  return compact({
    hosts,
    addresses: f.get('addresses').stringList({ check: ipOrCidr }),
    ports,
    location: f.get('location').oneOf(LOCATIONS, { default: 'MESH_EXTERNAL' }),
    resolution,
    endpoints,
    workloadSelector,
    exportTo: f.get('exportTo').stringList({ check: exportTarget }),
  });
}

function readPort(f: Field): ServicePort {
  f.object(PORT, { required: true });
  const name = f.get('name').string({ required: true });
  return compact({
    number: f.get('number').int({ required: true, min: 1, max: 65535 }),
    protocol: f.get('protocol').present ? readProtocol(f.get('protocol'), { required: true }) : defaultProtocol(f, name),
    name,
    targetPort: f.get('targetPort').int({ min: 1, max: 65535 }),
  });
}

/** Istio's convention when `protocol` is absent: the port name's prefix, else TCP. */
function defaultProtocol(f: Field, name: string): ServicePort['protocol'] {
  const inferred = protocolFromPortName(name);
  if (inferred !== undefined || name === '') return inferred ?? 'TCP';
  f.get('protocol').warn(`not set and port name "${name}" has no protocol prefix (like "http-"); treating the port as TCP`);
  return 'TCP';
}

/** A ServiceEntry host may be a "*.domain" wildcard, but not "*" alone. */
function seHost(s: string): string | undefined {
  if (s === '*') return 'expected a host or "*.domain" ("*" alone would capture all traffic)';
  return hostPattern(s);
}

function checkResolution(
  f: Field,
  se: { hosts: string[]; resolution: string; endpoints: number; selector: boolean },
): void {
  if (se.endpoints > 0 && se.selector) {
    f.get('workloadSelector').error('expected either endpoints or workloadSelector, got both');
  }
  if (se.resolution === 'NONE' && se.endpoints > 0) {
    f.get('endpoints').error('expected no endpoints with resolution NONE (use STATIC or DNS to route to endpoints)');
  }
  if (se.resolution === 'STATIC' && se.endpoints === 0 && !se.selector) {
    f.get('endpoints').error('required: resolution STATIC needs endpoints or a workloadSelector');
  }
  if ((se.resolution === 'DNS' || se.resolution === 'DNS_ROUND_ROBIN') && se.endpoints === 0) {
    se.hosts.forEach((h, i) => {
      if (h.startsWith('*')) {
        f.get('hosts').at(i).error(`expected a host that DNS can resolve (resolution ${se.resolution} without endpoints), got wildcard "${h}"`);
      }
    });
  }
}
