// HTML with escaping by default: every value interpolated into an html`...` template is escaped
// unless it is itself SafeHtml (the result of another html`...` or of raw()). User input can
// therefore only reach a page as text, never as markup.

import { appInfo } from './http.js';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Marks trusted, already-built markup. Never pass user input here. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

export interface PageOptions {
  title: string;
  /** Relative path from this page to the gateway root: "./" for home, "../" for /order/ etc. */
  root: string;
  body: SafeHtml;
  /** Banner colour; lets a canary version look different. */
  accent?: string;
  /** Reload the page every N seconds (shows new data, and lets you watch canary routing). */
  refreshSeconds?: number;
}

const NAV: ReadonlyArray<[string, string]> = [
  ['', 'Home'],
  ['order/', 'Orders'],
  ['shipping/', 'Shipping'],
  ['invoicing/', 'Invoicing'],
];

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#222}
header{color:#fff;padding:.8em 1.5em}header h1{margin:0;font-size:1.4em}
header .who{font-size:.85em;opacity:.9}nav{padding:.5em 1.5em;background:#eee}nav a{margin-right:1em}
main{padding:1em 1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.error{color:#b00020;font-weight:bold}form label{display:inline-block;margin-right:1em}`;

/** A whole page: banner with which instance/version served it, navigation, then the body. */
export function renderPage(opts: PageOptions): string {
  const info = appInfo();
  const nav = NAV.map(([path, label]) => html`<a href="${opts.root + path}">${label}</a>`);
  const refresh = opts.refreshSeconds ? html`<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${opts.title} · Weft shop</title>${refresh}
<style>${raw(STYLE)}</style></head>
<body><header style="background:${opts.accent ?? '#2c5f8a'}"><h1>${opts.title}</h1>
<div class="who">served by <b>${info.instance}</b> · workload ${info.workload} · version <b>${info.version}</b></div></header>
<nav>${nav}</nav>
<main>${opts.body}</main></body></html>
`.value;
}
