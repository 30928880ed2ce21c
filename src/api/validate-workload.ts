// Workload (weft.dev/v1alpha1): a local process `weft up` runs with a sidecar beside it.
//
// Port protocol, when not given, follows Istio's naming convention (the port name's prefix before
// the first "-": "http", "http-web" → HTTP; "grpc" → GRPC; "http2" → HTTP2; "tcp-db" → TCP),
// unless `appProtocol` (as on a Kubernetes Service port) names it.
// Unlike Istio, which treats an unrecognised name as TCP, Weft defaults to HTTP so that
// `weft up` gives HTTP routing and metrics for ports named like "web" or "api".

import { dnsLabel, dnsSubdomain, envName } from './names.js';
import { protocolFromPortName, readProtocol } from './protocols.js';
import type { LocalWorkloadSpec, WorkloadPort } from './types.js';
import { checkLocality } from './locality.js';
import { checkUnique, compact, type Field, type FieldSet } from './validate-common.js';

const SPEC: FieldSet = { supported: ['service', 'serviceAccount', 'replicas', 'ports', 'command', 'env', 'workingDir', 'locality'] };
const PORT: FieldSet = { supported: ['name', 'containerPort', 'servicePort', 'protocol', 'appProtocol'] };

/** Ports the sidecar itself uses on the instance's address (Istio's reserved proxy ports). */
export const SIDECAR_PORTS: ReadonlyMap<number, string> = new Map([
  [15000, 'proxy admin'],
  [15001, 'outbound listener'],
  [15004, 'debug'],
  [15006, 'inbound listener'],
  [15008, 'HBONE tunnel'],
  [15009, 'HBONE tunnel'],
  [15020, 'merged metrics'],
  [15021, 'health checks'],
  [15053, 'DNS proxy'],
  [15090, 'Prometheus metrics'],
]);

export function validateWorkloadSpec(f: Field): LocalWorkloadSpec {
  f.object(SPEC, { required: true });
  const ports = f.get('ports').list(readPort);
  checkUnique(f.get('ports'), ports, 'name', (p) => p.name, 'port name');
  checkPortClashes(f.get('ports'), ports);
  return compact({
    service: f.get('service').string({ required: true, check: dnsLabel }),
    serviceAccount: f.get('serviceAccount').string({ default: 'default', check: dnsSubdomain }),
    replicas: f.get('replicas').int({ default: 1, min: 0 }),
    ports,
    command: f.get('command').stringList({
      required: true,
      nonEmpty: true,
      what: 'a non-empty list of strings like ["node", "server.js"]',
    }),
    env: f.get('env').stringMap({ keyCheck: envName, what: 'a map of environment variables' }),
    workingDir: f.get('workingDir').string(),
    locality: f.get('locality').string({ check: checkLocality }),
  });
}

function readPort(f: Field): WorkloadPort {
  f.object(PORT, { required: true });
  const name = f.get('name').string({ required: true, check: dnsLabel });
  const containerPort = f.get('containerPort').int({ required: true, min: 1, max: 65535 });
  const servicePort = f.get('servicePort').int({ default: containerPort, min: 1, max: 65535 });
  // Kubernetes/Istio precedence: an explicit protocol, then appProtocol, then the name's prefix.
  const appProtocol = f.get('appProtocol').string();
  const fromApp = appProtocol === undefined ? undefined : protocolFromPortName(appProtocol.toLowerCase());
  if (appProtocol !== undefined && fromApp === undefined) {
    f.get('appProtocol').error(`expected one of http, http2, grpc, tcp, tls, https, got "${appProtocol}"`);
  }
  const protocol = readProtocol(f.get('protocol')) ?? fromApp ?? protocolFromPortName(name) ?? 'HTTP';

  for (const [field, port] of [['containerPort', containerPort], ['servicePort', servicePort]] as const) {
    const use = SIDECAR_PORTS.get(port);
    if (use !== undefined) f.get(field).error(`expected a port the sidecar does not use, got ${port} (reserved for the sidecar's ${use})`);
  }
  if (containerPort !== 0 && servicePort === containerPort) {
    const given = f.get('servicePort').present ? '' : ' (servicePort defaults to containerPort when omitted)';
    f.get('servicePort').error(
      `expected a port different from containerPort ${containerPort}, got ${servicePort}${given}: ` +
        'the sidecar listens on the service port and the app on the container port, both on the ' +
        "instance's own loopback address, so they cannot share a port (e.g. containerPort 8080, servicePort 80)",
    );
  }
  return { name, containerPort, servicePort, protocol };
}

/** Every containerPort and servicePort is bound on the same address, so all must be distinct. */
function checkPortClashes(list: Field, ports: readonly WorkloadPort[]): void {
  const owner = new Map<number, string>();
  ports.forEach((p, i) => {
    for (const field of ['containerPort', 'servicePort'] as const) {
      const n = p[field];
      if (n === 0 || (field === 'servicePort' && n === p.containerPort)) continue;
      const here = list.at(i).get(field);
      const first = owner.get(n);
      if (first === undefined) owner.set(n, here.pathText);
      else here.error(`expected a port not already used on the instance's address, got ${n} (also used by ${first})`);
    }
  });
}
