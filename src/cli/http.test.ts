import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseControlPlane, request } from './http.js';

describe('parseControlPlane', () => {
  it('accepts HOST:PORT, [v6]:PORT and an http:// prefix', () => {
    assert.deepEqual(parseControlPlane('127.0.0.1:15014'), { host: '127.0.0.1', port: 15014, display: '127.0.0.1:15014' });
    assert.deepEqual(parseControlPlane('[::1]:9'), { host: '::1', port: 9, display: '[::1]:9' });
    assert.deepEqual(parseControlPlane('http://cp.local:80/'), { host: 'cp.local', port: 80, display: 'cp.local:80' });
  });

  it('rejects a missing or bad port and bare IPv6', () => {
    for (const bad of ['localhost', 'host:', 'host:0', 'host:65536', 'host:12ab', '::1:15014', ':15014']) {
      assert.throws(() => parseControlPlane(bad), /--control-plane/, bad);
    }
  });
});

describe('request', () => {
  it('turns a refused connection into the "is weft up running?" message', async () => {
    // Port 1 on loopback is essentially never listening.
    const cp = parseControlPlane('127.0.0.1:1');
    await assert.rejects(
      request(cp, 'GET', '/healthz'),
      /^ControlPlaneError: cannot reach the control plane at 127\.0\.0\.1:1: connection refused — is `weft up` running\?$/,
    );
  });
});
