import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OUTPUT_FLAG, flagSet, flagValue, outputFormat, parseArgs } from './args.js';
import { UsageError } from './context.js';

const DEFS = [
  OUTPUT_FLAG,
  { key: 'namespace', names: ['-n', '--namespace'], value: true },
  { key: 'all', names: ['-A', '--all-namespaces'], value: false },
  { key: 'file', names: ['-f', '--filename'], value: true },
];

describe('parseArgs', () => {
  it('accepts separate, attached and --long=value forms', () => {
    const p = parseArgs(['vs', '-o', 'json', 'reviews', '-nprod', '--filename=a.yaml', '-A'], DEFS);
    assert.deepEqual(p.positionals, ['vs', 'reviews']);
    assert.equal(flagValue(p, 'output'), 'json');
    assert.equal(flagValue(p, 'namespace'), 'prod');
    assert.equal(flagValue(p, 'file'), 'a.yaml');
    assert.ok(flagSet(p, 'all'));
    assert.equal(flagValue(parseArgs(['-o=yaml'], DEFS), 'output'), 'yaml');
  });

  it('keeps every value of a repeated flag, last one wins for flagValue', () => {
    const p = parseArgs(['-f', 'a', '-f', '-', '-f', 'c'], DEFS);
    assert.deepEqual(p.flags.get('file'), ['a', '-', 'c']);
    assert.equal(flagValue(p, 'file'), 'c');
  });

  it('treats "-" as a positional and everything after "--" as positionals', () => {
    assert.deepEqual(parseArgs(['-', '--', '-o', 'x'], DEFS).positionals, ['-', '-o', 'x']);
  });

  it('rejects unknown flags, missing values and values on switches', () => {
    assert.throws(() => parseArgs(['--nope'], DEFS, 'get'), (e: unknown) => e instanceof UsageError && e.verb === 'get');
    assert.throws(() => parseArgs(['-o'], DEFS), /flag -o needs a value/);
    assert.throws(() => parseArgs(['--all-namespaces=yes'], DEFS), /does not take a value/);
  });

  it('outputFormat defaults to table and checks the allowed list', () => {
    assert.equal(outputFormat(parseArgs([], DEFS), ['table', 'json'], 'x'), 'table');
    assert.equal(outputFormat(parseArgs(['-o', 'wide'], DEFS), ['table', 'json'], 'x'), 'table');
    assert.throws(() => outputFormat(parseArgs(['-o', 'yaml'], DEFS), ['table', 'json'], 'x'), /use one of: table, json/);
  });
});
