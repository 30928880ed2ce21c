import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogWriter } from './writer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-writer-'));

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not reached');
}

test('lines are appended in order by asynchronous writes; write() returns before any I/O', async () => {
  const file = path.join(dir, 'a.log');
  fs.writeFileSync(file, 'existing\n');
  const w = new LogWriter(file);
  for (let i = 0; i < 100; i++) w.write(`line ${i}\n`);
  assert.equal(fs.readFileSync(file, 'utf8'), 'existing\n', 'nothing written synchronously');
  await until(() => w.written === 100);
  const want = ['existing', ...Array.from({ length: 100 }, (_, i) => `line ${i}`), ''].join('\n');
  assert.equal(fs.readFileSync(file, 'utf8'), want);
  assert.equal(w.dropped, 0);
});

test('over the buffer bound, lines are dropped and counted instead of waiting', async () => {
  const file = path.join(dir, 'b.log');
  const drops: number[] = [];
  const w = new LogWriter(file, 100, () => {}, (n) => drops.push(n));
  const line = `${'x'.repeat(39)}\n`;
  for (let i = 0; i < 5; i++) w.write(line); // 2 fit (80 bytes), 3 do not
  assert.equal(w.dropped, 3);
  assert.deepEqual(drops, [1, 1, 1]);
  await until(() => w.written === 2);
  assert.equal(fs.readFileSync(file, 'utf8'), line + line);
});

test('a path that cannot be opened drops lines and reports once', async () => {
  const errors: string[] = [];
  const w = new LogWriter(path.join(dir, 'no-such-dir', 'c.log'), 1000, (m) => errors.push(m));
  w.write('a\n');
  await until(() => errors.length === 1);
  w.write('b\n');
  assert.equal(w.dropped, 2);
  assert.match(errors[0] ?? '', /no-such-dir/);
});
