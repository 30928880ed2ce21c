// Runs a listener's RBAC filters in their configured order (Istio emits AUDIT, DENY, ALLOW):
//   LOG (AUDIT)  never denies; a matching policy is counted as logged
//   DENY         a matching policy denies
//   ALLOW        no matching policy denies (policy "none"); so once any ALLOW filter exists,
//                requests nothing allows are refused
// No filter: allowed. The first denying filter ends the check.
import type { RbacEngine, RbacInput } from './types.js';

export type RbacDecision =
  | { allowed: true; logged: readonly string[] }
  | { allowed: false; logged: readonly string[]; /** Matched policy name, or "none" for an ALLOW miss. */ policy: string };

const ALLOWED: RbacDecision = Object.freeze({ allowed: true, logged: Object.freeze([]) });

/** The first policy (in name order) whose permissions and principals both match, if any. */
export function matchedPolicy(engine: RbacEngine, input: RbacInput): string | undefined {
  for (const p of engine.policies) {
    if (p.permissions.some((f) => f(input)) && p.principals.some((f) => f(input))) return p.name;
  }
  return undefined;
}

export function authorize(engines: readonly RbacEngine[], input: RbacInput): RbacDecision {
  let logged: string[] | undefined;
  for (const e of engines) {
    const hit = matchedPolicy(e, input);
    if (e.action === 'LOG') {
      if (hit !== undefined) (logged ??= []).push(hit);
    } else if (e.action === 'DENY') {
      if (hit !== undefined) return { allowed: false, logged: logged ?? [], policy: hit };
    } else if (hit === undefined) {
      return { allowed: false, logged: logged ?? [], policy: 'none' };
    }
  }
  return logged ? { allowed: true, logged } : ALLOWED;
}

