import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { prometheusTargets, proxyTarget, sanitizeLabelName } from './prometheus-sd.js';
import { prometheusConfig } from '../../cli/prometheus-config.js';
import type { ProxyMetadata } from '../../xds/node-metadata.js';

const sidecar: ProxyMetadata = {
  type: 'sidecar',
  NAME: 'reviews-v1-0',
  NAMESPACE: 'shop',
  WORKLOAD_NAME: 'reviews-v1',
  LABELS: { app: 'reviews', version: 'v1', 'weft.dev/workload': 'reviews-v1', namespace: 'not-this', __x: 'y' },
  SERVICE_ACCOUNT: 'reviews',
  INSTANCE_IP: '127.0.1.5',
  ADMIN_ADDRESS: '127.0.1.5:15000',
  CLUSTER_ID: 'Kubernetes',
};

test('a proxy is scraped on its stats port with its pod labels, namespace, pod and workload', () => {
  assert.deepEqual(proxyTarget(sidecar), {
    targets: ['127.0.1.5:15090'],
    labels: {
      __metrics_path__: '/stats/prometheus',
      app: 'reviews',
      version: 'v1',
      weft_dev_workload: 'reviews-v1',
      namespace: 'shop',
      pod: 'reviews-v1-0',
      workload: 'reviews-v1',
      proxy_type: 'sidecar',
    },
  });
  assert.deepEqual(proxyTarget({ ...sidecar, STATS_PORT: 25090 })?.targets, ['127.0.1.5:25090']);
  assert.equal(proxyTarget({ ...sidecar, STATS_PORT: 0 }), null);
  assert.deepEqual(proxyTarget({ ...sidecar, INSTANCE_IP: '::1' })?.targets, ['[::1]:15090']);
  assert.equal(sanitizeLabelName('9a.b/c-d'), '_9a_b_c_d');
});

test('all proxies sorted by address, one group per address, the control plane last', () => {
  const gw: ProxyMetadata = { ...sidecar, type: 'router', NAME: 'ingress-0', INSTANCE_IP: '127.0.0.1' };
  const groups = prometheusTargets([sidecar, gw, { ...sidecar }], { host: '127.0.0.1', port: 15014 });
  assert.deepEqual(
    groups.map((g) => g.targets[0]),
    ['127.0.0.1:15090', '127.0.1.5:15090', '127.0.0.1:15014'],
  );
  assert.deepEqual(groups[2]?.labels, { __metrics_path__: '/metrics', app: 'weft-control-plane', component: 'control-plane' });
});

test('weft prometheus-config: one job with HTTP SD at the control plane', () => {
  const doc = parse(prometheusConfig({ controlPlane: { display: '10.0.0.1:15014' }, scrapeInterval: '5s', refreshInterval: '10s', job: 'mesh' })) as {
    global: Record<string, string>;
    scrape_configs: { job_name: string; http_sd_configs: { url: string; refresh_interval: string }[] }[];
  };
  assert.equal(doc.global['scrape_interval'], '5s');
  assert.equal(doc.scrape_configs.length, 1);
  assert.equal(doc.scrape_configs[0]?.job_name, 'mesh');
  assert.deepEqual(doc.scrape_configs[0]?.http_sd_configs, [{ url: 'http://10.0.0.1:15014/debug/prometheus_sd', refresh_interval: '10s' }]);
});
