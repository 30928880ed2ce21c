// Request → virtual host → route → cluster, against RouteTables built by decodeRouteConfig from
// Envoy JSON, so every case also proves the decoder compiles the matcher the way select expects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRouteConfig } from '../config/decode-route.js';
import type { Route, RouteTable } from '../config/types.js';
import { pickCluster, rewritePath, routeMatches, selectRoute, selectVirtualHost, type RequestView } from './select.js';
import { seededRandom } from '../../testing/prng.js';

type J = Record<string, unknown>;

function table(virtualHosts: J[]): RouteTable {
  return decodeRouteConfig({ name: 'rt', virtual_hosts: virtualHosts });
}

function vhost(name: string, domains: string[], routes: J[] = [{ match: { prefix: '/' }, route: { cluster: name } }]): J {
  return { name, domains, routes };
}

/** The one route of a single-vhost table whose only route has this match (and action). */
function routeOf(match: J, action: J = { cluster: 'c' }): Route {
  const t = table([vhost('vh', ['*'], [{ name: 'r', match, route: action }])]);
  const r = t.virtualHosts[0]?.routes[0];
  assert.ok(r);
  return r;
}

function req(over: Partial<RequestView> = {}): RequestView {
  return { method: 'GET', authority: 'svc.local', path: '/', query: '', headers: [], ...over };
}

function vhName(t: RouteTable, authority: string, strip = false): string | undefined {
  return selectVirtualHost(t, authority, strip)?.name;
}


// ---------------------------------------------------------------- virtual hosts

test('virtual host: exact domain beats suffix wildcard, prefix wildcard and catch-all', () => {
  const t = table([
    vhost('any', ['*']),
    vhost('prefix', ['foo.*']),
    vhost('suffix', ['*.example.com']),
    vhost('exact', ['foo.example.com']),
  ]);
  assert.equal(vhName(t, 'foo.example.com'), 'exact');
  assert.equal(vhName(t, 'bar.example.com'), 'suffix');
  assert.equal(vhName(t, 'foo.example.org'), 'prefix');
  assert.equal(vhName(t, 'other.net'), 'any');
});

test('virtual host: suffix wildcard beats prefix wildcard when both match', () => {
  const t = table([vhost('prefix', ['foo.*']), vhost('suffix', ['*.example.com'])]);
  assert.equal(vhName(t, 'foo.example.com'), 'suffix');
});

test('virtual host: the longest suffix wildcard wins regardless of declaration order', () => {
  const t = table([vhost('short', ['*.com']), vhost('mid', ['*.example.com']), vhost('long', ['*.api.example.com'])]);
  assert.equal(vhName(t, 'v1.api.example.com'), 'long');
  assert.equal(vhName(t, 'www.example.com'), 'mid');
  assert.equal(vhName(t, 'example.com'), 'short');
  assert.equal(vhName(t, 'example.org'), undefined);
});

test('virtual host: the longest prefix wildcard wins', () => {
  const t = table([vhost('short', ['foo.*']), vhost('long', ['foo.bar.*'])]);
  assert.equal(vhName(t, 'foo.bar.baz'), 'long');
  assert.equal(vhName(t, 'foo.qux'), 'short');
});

test('virtual host: a wildcard must match at least one character', () => {
  const t = table([vhost('suffix', ['*.example.com']), vhost('prefix', ['foo.*'])]);
  assert.equal(vhName(t, '.example.com'), undefined);
  assert.equal(vhName(t, 'foo.'), undefined);
  assert.equal(vhName(t, 'example.com'), undefined);
});

test('virtual host: no catch-all and no match gives undefined', () => {
  const t = table([vhost('a', ['a.local'])]);
  assert.equal(vhName(t, 'b.local'), undefined);
});

test('virtual host: domains are matched case-insensitively (decoder lower-cases them)', () => {
  const t = table([vhost('a', ['Reviews.Default.SVC.cluster.local'])]);
  assert.equal(vhName(t, 'reviews.default.svc.cluster.local'), 'a');
});

test('virtual host: strip_any_host_port removes the port before matching', () => {
  const t = table([vhost('exact', ['reviews']), vhost('suffix', ['*.example.com']), vhost('withport', ['other:9080'])]);
  assert.equal(vhName(t, 'reviews:9080', true), 'exact');
  assert.equal(vhName(t, 'a.example.com:443', true), 'suffix');
  assert.equal(vhName(t, 'reviews', true), 'exact');
  // Without stripping, "host:port" is matched literally.
  assert.equal(vhName(t, 'reviews:9080', false), undefined);
  assert.equal(vhName(t, 'other:9080', false), 'withport');
  assert.equal(vhName(t, 'other:9080', true), undefined);
});

test('virtual host: IPv6 literals keep their brackets and only the port is stripped', () => {
  const t = table([vhost('v6', ['[::1]']), vhost('v6port', ['[::1]:80'])]);
  assert.equal(vhName(t, '[::1]:80', true), 'v6');
  assert.equal(vhName(t, '[::1]', true), 'v6');
  assert.equal(vhName(t, '[::1]:80', false), 'v6port');
});

// ---------------------------------------------------------------- path matching

test('route: prefix match', () => {
  const r = routeOf({ prefix: '/api/' });
  assert.equal(routeMatches(r, req({ path: '/api/' })), true);
  assert.equal(routeMatches(r, req({ path: '/api/v1/items' })), true);
  assert.equal(routeMatches(r, req({ path: '/api' })), false);
  assert.equal(routeMatches(r, req({ path: '/API/v1' })), false);
});

test('route: exact path match ignores the query string', () => {
  const r = routeOf({ path: '/healthz' });
  assert.equal(routeMatches(r, req({ path: '/healthz', query: 'verbose=1' })), true);
  assert.equal(routeMatches(r, req({ path: '/healthz/' })), false);
  assert.equal(routeMatches(r, req({ path: '/health' })), false);
});

test('route: safe_regex has full-match semantics', () => {
  const r = routeOf({ safe_regex: { regex: '/items/[0-9]+' } });
  assert.equal(routeMatches(r, req({ path: '/items/42' })), true);
  assert.equal(routeMatches(r, req({ path: '/items/42/details' })), false, 'not a prefix match');
  assert.equal(routeMatches(r, req({ path: '/v1/items/42' })), false, 'not a substring match');
  assert.equal(routeMatches(r, req({ path: '/items/' })), false);
});

test('route: alternation in a regex is anchored as a whole', () => {
  const r = routeOf({ safe_regex: { regex: '/a|/b' } });
  assert.equal(routeMatches(r, req({ path: '/a' })), true);
  assert.equal(routeMatches(r, req({ path: '/b' })), true);
  assert.equal(routeMatches(r, req({ path: '/ab' })), false);
  assert.equal(routeMatches(r, req({ path: '/a/x' })), false);
});

test('route: case_sensitive false makes prefix and exact path matching case-insensitive', () => {
  const p = routeOf({ prefix: '/API/', case_sensitive: false });
  assert.equal(routeMatches(p, req({ path: '/api/x' })), true);
  assert.equal(routeMatches(p, req({ path: '/Api/X' })), true);
  assert.equal(routeMatches(p, req({ path: '/apix' })), false);
  const e = routeOf({ path: '/Login', case_sensitive: false });
  assert.equal(routeMatches(e, req({ path: '/LOGIN' })), true);
  assert.equal(routeMatches(e, req({ path: '/login/' })), false);
  const sensitive = routeOf({ path: '/Login' });
  assert.equal(routeMatches(sensitive, req({ path: '/login' })), false);
});

// ---------------------------------------------------------------- header matching

test('header: exact string_match (and the legacy exact_match field)', () => {
  for (const h of [{ name: 'x-env', string_match: { exact: 'canary' } }, { name: 'X-Env', exact_match: 'canary' }]) {
    const r = routeOf({ prefix: '/', headers: [h] });
    assert.equal(routeMatches(r, req({ headers: ['x-env', 'canary'] })), true);
    assert.equal(routeMatches(r, req({ headers: ['x-env', 'Canary'] })), false);
    assert.equal(routeMatches(r, req({ headers: ['x-env', 'canary-2'] })), false);
    assert.equal(routeMatches(r, req({ headers: [] })), false);
  }
});

test('header: exact with ignore_case', () => {
  const r = routeOf({ prefix: '/', headers: [{ name: 'x-env', string_match: { exact: 'Canary', ignore_case: true } }] });
  assert.equal(routeMatches(r, req({ headers: ['x-env', 'CANARY'] })), true);
  assert.equal(routeMatches(r, req({ headers: ['x-env', 'prod'] })), false);
});

test('header: prefix match', () => {
  const r = routeOf({ prefix: '/', headers: [{ name: 'user-agent', string_match: { prefix: 'curl/' } }] });
  assert.equal(routeMatches(r, req({ headers: ['user-agent', 'curl/8.5.0'] })), true);
  assert.equal(routeMatches(r, req({ headers: ['user-agent', 'Mozilla/5.0'] })), false);
});

test('header: regex match is a full match', () => {
  const r = routeOf({ prefix: '/', headers: [{ name: 'x-user', string_match: { safe_regex: { regex: 'u-[0-9]{3}' } } }] });
  assert.equal(routeMatches(r, req({ headers: ['x-user', 'u-123'] })), true);
  assert.equal(routeMatches(r, req({ headers: ['x-user', 'u-1234'] })), false);
  assert.equal(routeMatches(r, req({ headers: ['x-user', 'xu-123'] })), false);
});

test('header: present_match true requires the header, false requires its absence', () => {
  const present = routeOf({ prefix: '/', headers: [{ name: 'x-debug', present_match: true }] });
  assert.equal(routeMatches(present, req({ headers: ['x-debug', ''] })), true);
  assert.equal(routeMatches(present, req({ headers: ['x-debug', 'anything'] })), true);
  assert.equal(routeMatches(present, req({ headers: ['x-other', '1'] })), false);
  const absent = routeOf({ prefix: '/', headers: [{ name: 'x-debug', present_match: false }] });
  assert.equal(routeMatches(absent, req({ headers: [] })), true);
  assert.equal(routeMatches(absent, req({ headers: ['x-debug', '1'] })), false);
});

test('header: invert_match negates a string match, and a missing header matches (Istio withoutHeaders)', () => {
  const r = routeOf({ prefix: '/', headers: [{ name: 'x-debug', string_match: { exact: '1' }, invert_match: true }] });
  assert.equal(routeMatches(r, req({ headers: ['x-debug', '1'] })), false);
  assert.equal(routeMatches(r, req({ headers: ['x-debug', '0'] })), true);
  assert.equal(routeMatches(r, req({ headers: [] })), true);
});

test('header: invert_match on present_match matches only when the header is absent', () => {
  const r = routeOf({ prefix: '/', headers: [{ name: 'x-debug', present_match: true, invert_match: true }] });
  assert.equal(routeMatches(r, req({ headers: [] })), true);
  assert.equal(routeMatches(r, req({ headers: ['x-debug', '1'] })), false);
});

test('header: repeated headers are matched as one comma-joined value', () => {
  const r = routeOf({ prefix: '/', headers: [{ name: 'x-tag', string_match: { exact: 'a,b' } }] });
  assert.equal(routeMatches(r, req({ headers: ['x-tag', 'a', 'x-other', 'z', 'x-tag', 'b'] })), true);
  assert.equal(routeMatches(r, req({ headers: ['x-tag', 'a'] })), false);
});

test('header: every header matcher must match (AND)', () => {
  const r = routeOf({
    prefix: '/',
    headers: [
      { name: 'x-a', string_match: { exact: '1' } },
      { name: 'x-b', string_match: { exact: '2' } },
    ],
  });
  assert.equal(routeMatches(r, req({ headers: ['x-a', '1', 'x-b', '2'] })), true);
  assert.equal(routeMatches(r, req({ headers: ['x-a', '1'] })), false);
  assert.equal(routeMatches(r, req({ headers: ['x-a', '1', 'x-b', '3'] })), false);
});

test('header: :method pseudo-header', () => {
  const r = routeOf({ prefix: '/', headers: [{ name: ':method', string_match: { exact: 'POST' } }] });
  assert.equal(routeMatches(r, req({ method: 'POST' })), true);
  assert.equal(routeMatches(r, req({ method: 'GET' })), false);
  const re = routeOf({ prefix: '/', headers: [{ name: ':method', string_match: { safe_regex: { regex: 'GET|HEAD' } } }] });
  assert.equal(routeMatches(re, req({ method: 'HEAD' })), true);
  assert.equal(routeMatches(re, req({ method: 'DELETE' })), false);
});

test('header: :authority pseudo-header sees the authority as received (port included)', () => {
  const r = routeOf({ prefix: '/', headers: [{ name: ':authority', string_match: { prefix: 'api.' } }] });
  assert.equal(routeMatches(r, req({ authority: 'api.shop.local:8080' })), true);
  assert.equal(routeMatches(r, req({ authority: 'www.shop.local' })), false);
  const exact = routeOf({ prefix: '/', headers: [{ name: ':authority', string_match: { exact: 'api.shop.local:8080' } }] });
  assert.equal(routeMatches(exact, req({ authority: 'api.shop.local:8080' })), true);
  assert.equal(routeMatches(exact, req({ authority: 'api.shop.local' })), false);
});

test('header: :path pseudo-header includes the query string', () => {
  const r = routeOf({ prefix: '/', headers: [{ name: ':path', string_match: { exact: '/a?b=1' } }] });
  assert.equal(routeMatches(r, req({ path: '/a', query: 'b=1' })), true);
  assert.equal(routeMatches(r, req({ path: '/a' })), false);
});

// ---------------------------------------------------------------- query parameters

test('query: exact match on a parameter among several', () => {
  const r = routeOf({ prefix: '/', query_parameters: [{ name: 'view', string_match: { exact: 'full' } }] });
  assert.equal(routeMatches(r, req({ query: 'view=full' })), true);
  assert.equal(routeMatches(r, req({ query: 'a=1&view=full&b=2' })), true);
  assert.equal(routeMatches(r, req({ query: 'view=brief' })), false);
  assert.equal(routeMatches(r, req({ query: 'preview=full' })), false, 'names are matched whole');
});

test('query: values are percent-decoded before matching', () => {
  const r = routeOf({ prefix: '/', query_parameters: [{ name: 'q', string_match: { exact: 'a b/c&d' } }] });
  assert.equal(routeMatches(r, req({ query: 'q=a%20b%2Fc%26d' })), true);
  assert.equal(routeMatches(r, req({ query: 'q=a%20b%2Fc' })), false);
  const utf8 = routeOf({ prefix: '/', query_parameters: [{ name: 'city', string_match: { exact: 'Zürich' } }] });
  assert.equal(routeMatches(utf8, req({ query: 'city=Z%C3%BCrich' })), true);
});

test('query: a malformed percent escape is compared raw instead of throwing', () => {
  const r = routeOf({ prefix: '/', query_parameters: [{ name: 'q', string_match: { exact: '%zz' } }] });
  assert.equal(routeMatches(r, req({ query: 'q=%zz' })), true);
});

test('query: a missing parameter never matches, with or without a value matcher', () => {
  const withValue = routeOf({ prefix: '/', query_parameters: [{ name: 'view', string_match: { exact: 'full' } }] });
  assert.equal(routeMatches(withValue, req({ query: '' })), false);
  assert.equal(routeMatches(withValue, req({ query: 'other=full' })), false);
  const present = routeOf({ prefix: '/', query_parameters: [{ name: 'debug', present_match: true }] });
  assert.equal(routeMatches(present, req({ query: 'debug' })), true);
  assert.equal(routeMatches(present, req({ query: 'debug=' })), true);
  assert.equal(routeMatches(present, req({ query: 'x=1&debug=yes' })), true);
  assert.equal(routeMatches(present, req({ query: '' })), false);
  assert.equal(routeMatches(present, req({ query: 'debugging=1' })), false);
});

test('query: prefix and regex value matchers', () => {
  const p = routeOf({ prefix: '/', query_parameters: [{ name: 'v', string_match: { prefix: 'v2' } }] });
  assert.equal(routeMatches(p, req({ query: 'v=v2.1' })), true);
  assert.equal(routeMatches(p, req({ query: 'v=v1' })), false);
  const re = routeOf({ prefix: '/', query_parameters: [{ name: 'id', string_match: { safe_regex: { regex: '[0-9]+' } } }] });
  assert.equal(routeMatches(re, req({ query: 'id=123' })), true);
  assert.equal(routeMatches(re, req({ query: 'id=12a' })), false);
});

// ---------------------------------------------------------------- route order

test('route selection: first match wins, even when a later route is more specific', () => {
  const t = table([
    vhost('vh', ['*'], [
      { name: 'post-orders', match: { prefix: '/orders', headers: [{ name: ':method', string_match: { exact: 'POST' } }] }, route: { cluster: 'writer' } },
      { name: 'catch', match: { prefix: '/' }, route: { cluster: 'default' } },
      { name: 'orders', match: { prefix: '/orders' }, route: { cluster: 'orders' } },
    ]),
  ]);
  const vh = t.virtualHosts[0];
  assert.ok(vh);
  assert.equal(selectRoute(vh, req({ method: 'POST', path: '/orders/1' }))?.name, 'post-orders');
  assert.equal(selectRoute(vh, req({ method: 'GET', path: '/orders/1' }))?.name, 'catch');
});

test('route selection: undefined when nothing matches', () => {
  const t = table([vhost('vh', ['*'], [{ match: { path: '/only' }, route: { cluster: 'c' } }])]);
  const vh = t.virtualHosts[0];
  assert.ok(vh);
  assert.equal(selectRoute(vh, req({ path: '/other' })), undefined);
  assert.equal(selectRoute(vh, req({ path: '/only' }))?.action.clusters[0]?.name, 'c');
});

test('host and route selection together: vhost by authority, then route by path', () => {
  const t = table([
    vhost('reviews', ['reviews', 'reviews.default.svc.cluster.local'], [
      { name: 'v2', match: { prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] }, route: { cluster: 'reviews-v2' } },
      { name: 'v1', match: { prefix: '/' }, route: { cluster: 'reviews-v1' } },
    ]),
    vhost('ratings', ['ratings']),
  ]);
  const pick = (authority: string, headers: string[] = []): string | undefined => {
    const vh = selectVirtualHost(t, authority, true);
    const r = vh && selectRoute(vh, req({ authority, headers }));
    return r && pickCluster(r.action, 0.5);
  };
  assert.equal(pick('reviews:9080', ['end-user', 'jason']), 'reviews-v2');
  assert.equal(pick('reviews.default.svc.cluster.local'), 'reviews-v1');
  assert.equal(pick('ratings:9080'), 'ratings');
  assert.equal(pick('details:9080'), undefined);
});

// ---------------------------------------------------------------- weighted clusters

function weighted(...ws: [string, number][]): Route {
  return routeOf({ prefix: '/' }, { weighted_clusters: { clusters: ws.map(([name, weight]) => ({ name, weight })) } });
}

test('pickCluster: a single cluster is always picked', () => {
  const r = routeOf({ prefix: '/' }, { cluster: 'only' });
  for (const x of [0, 0.5, 0.999999]) assert.equal(pickCluster(r.action, x), 'only');
});

test('pickCluster: boundaries of 80/20', () => {
  const r = weighted(['a', 80], ['b', 20]);
  assert.equal(r.action.totalWeight, 100);
  assert.equal(pickCluster(r.action, 0), 'a');
  assert.equal(pickCluster(r.action, 0.79), 'a');
  assert.equal(pickCluster(r.action, 0.7999999), 'a');
  assert.equal(pickCluster(r.action, 0.8), 'b');
  assert.equal(pickCluster(r.action, 0.9999999), 'b');
});

test('pickCluster: three-way boundaries and zero-weight clusters are never picked', () => {
  const r = weighted(['a', 1], ['zero', 0], ['b', 2], ['c', 1]);
  assert.equal(r.action.totalWeight, 4);
  assert.equal(pickCluster(r.action, 0), 'a');
  assert.equal(pickCluster(r.action, 0.2499), 'a');
  assert.equal(pickCluster(r.action, 0.25), 'b');
  assert.equal(pickCluster(r.action, 0.7499), 'b');
  assert.equal(pickCluster(r.action, 0.75), 'c');
  assert.equal(pickCluster(r.action, 0.9999), 'c');
  const leadingZero = weighted(['zero', 0], ['x', 5]);
  assert.equal(pickCluster(leadingZero.action, 0), 'x');
  const trailingZero = weighted(['x', 5], ['zero', 0]);
  assert.equal(pickCluster(trailingZero.action, 0.99999), 'x');
});

test('pickCluster: 80/20 over 100k seeded picks lands within ±1%', () => {
  const r = weighted(['a', 80], ['b', 20]);
  const rand = seededRandom(0x5eed);
  const n = 100_000;
  let a = 0;
  for (let i = 0; i < n; i++) if (pickCluster(r.action, rand()) === 'a') a++;
  const share = a / n;
  assert.ok(Math.abs(share - 0.8) <= 0.01, `share of a: ${share}`);
});

// ---------------------------------------------------------------- rewrite

test('rewritePath: prefix "/order/" rewritten to "/" (Istio) turns /order/api/x into /api/x', () => {
  const r = routeOf({ prefix: '/order/' }, { cluster: 'order', prefix_rewrite: '/' });
  assert.equal(rewritePath(r, '/order/api/x'), '/api/x');
  assert.equal(rewritePath(r, '/order/'), '/');
});

test('rewritePath: prefix "/order" rewritten to "/" does not double the slash', () => {
  const r = routeOf({ prefix: '/order' }, { cluster: 'order', prefix_rewrite: '/' });
  assert.equal(rewritePath(r, '/order/x'), '/x');
  assert.equal(rewritePath(r, '/order'), '/');
  assert.equal(rewritePath(r, '/orders'), '/s');
});

test('rewritePath: prefix rewritten to a longer prefix', () => {
  const r = routeOf({ prefix: '/v1/' }, { cluster: 'c', prefix_rewrite: '/api/v1/' });
  assert.equal(rewritePath(r, '/v1/items'), '/api/v1/items');
  const noSlash = routeOf({ prefix: '/old' }, { cluster: 'c', prefix_rewrite: '/new' });
  assert.equal(rewritePath(noSlash, '/old/x'), '/new/x');
});

test('rewritePath: a case-insensitive prefix replaces the prefix as received', () => {
  const r = routeOf({ prefix: '/Order/', case_sensitive: false }, { cluster: 'order', prefix_rewrite: '/' });
  assert.equal(rewritePath(r, '/ORDER/Api'), '/Api');
});

test('rewritePath: an exact path rewrite replaces the whole path', () => {
  const r = routeOf({ path: '/login' }, { cluster: 'auth', prefix_rewrite: '/auth/signin' });
  assert.equal(rewritePath(r, '/login'), '/auth/signin');
});

test('rewritePath: no prefix_rewrite leaves the path alone', () => {
  const r = routeOf({ prefix: '/order/' }, { cluster: 'order' });
  assert.equal(rewritePath(r, '/order/api/x'), '/order/api/x');
});
