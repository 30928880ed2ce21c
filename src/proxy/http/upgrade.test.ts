// Which requests keep their Upgrade headers: WebSocket upgrades on a listener with upgrade_configs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead } from './codec/h1/request-parser.js';
import { upgradeRequestHeaders } from './upgrade.js';

const head = (extra: string) => parseRequestHead(Buffer.from(`GET /chat HTTP/1.1\r\nhost: chat\r\n${extra}\r\n`), 0)!;

test('websocket-upgrade-keeps-connection-and-upgrade-headers', () => {
  assert.equal(upgradeRequestHeaders(head('connection: Upgrade\r\nupgrade: websocket\r\n'), true), 'connection: upgrade\r\nupgrade: websocket\r\n');
  assert.equal(upgradeRequestHeaders(head('connection: keep-alive, Upgrade\r\nupgrade: WebSocket\r\n'), true), 'connection: upgrade\r\nupgrade: WebSocket\r\n');
});

test('no-upgrade-headers-without-websocket-config-or-for-other-protocols', () => {
  assert.equal(upgradeRequestHeaders(head('connection: Upgrade\r\nupgrade: websocket\r\n'), false), '');
  assert.equal(upgradeRequestHeaders(head('connection: Upgrade\r\nupgrade: websocket\r\n'), undefined), '');
  assert.equal(upgradeRequestHeaders(head('connection: Upgrade\r\nupgrade: h2c\r\n'), true), '');
  assert.equal(upgradeRequestHeaders(head('upgrade: websocket\r\n'), true), '');
});
