// Signals and liveness checks for processes and process groups. Every child of `weft up` leads its
// own group (spawned detached), so signalling -pid reaches its grandchildren too.
//
// Liveness ignores zombies: a zombie has exited and only waits for its parent to read its status.
// Orphaned grandchildren are re-parented to PID 1, and some container inits never reap them, so a
// plain kill(pid, 0) would report a dead grandchild as alive forever. On Linux we read /proc to
// tell them apart; elsewhere kill(pid, 0) is the best available answer.

import { readFileSync, readdirSync } from 'node:fs';

const hasProc = process.platform === 'linux';

interface ProcStat {
  state: string;
  pgrp: number;
}

/** Parses /proc/PID/stat; undefined if the process is gone. */
function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '', pgrp: Number(rest[2]) };
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** True if the process exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
  if (!hasProc) return true;
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** True if any non-zombie process is in process group `pgid`. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
  if (!hasProc) return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') return true;
  }
  return false;
}

/** Sends `signal` to every process in the group; false if the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ESRCH') return false;
    throw e;
  }
}
