// The security headers of every response, set by @fastify/helmet: what the page may load and run
// (Content-Security-Policy), no MIME sniffing, no framing, no Referer to other sites. The policy is cut
// to what the web app does (web/src): its own scripts and styles, socket.io back to its origin, the
// browser phone's SIP websocket to Asterisk, recordings in <audio>, data: icons. Nothing inline.
import type { FastifyHelmetOptions } from '@fastify/helmet';

export interface SecurityHeaderInputs {
  /** CTI_PUBLIC_URL: where browsers reach us (its scheme decides the upgrade and HSTS). */
  publicUrl: string;
  /** Where browser phones open their SIP websocket (CTI_SOFTPHONE_WS_URL or its default; one per PBX). */
  softphoneWsUrl: string | readonly string[];
}

/** ws://host:port (wss:// for https) of an http(s) URL. */
function wsOrigin(url: string): string {
  const u = new URL(url);
  return `${u.protocol === 'https:' ? 'wss:' : 'ws:'}//${u.host}`;
}

export function securityHeaders(i: SecurityHeaderInputs): FastifyHelmetOptions {
  const https = new URL(i.publicUrl).protocol === 'https:';
  const sips = (typeof i.softphoneWsUrl === 'string' ? [i.softphoneWsUrl] : i.softphoneWsUrl).map((u) => new URL(u));
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'script-src': ["'self'"],
        // No onclick="..." attributes: handlers come from the bundle.
        'script-src-attr': ["'none'"],
        // Vite emits CSS files; Preact and Chart.js set styles through the CSSOM, which CSP does not govern.
        'style-src': ["'self'"],
        // The inline SVG favicon (web/index.html) and Pico's data: SVG icons.
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'", 'data:'],
        // Recordings play from /api/v1/calls/:id/recording; the phone's remote audio is a MediaStream
        // (srcObject), which is no fetch and needs no source here.
        'media-src': ["'self'"],
        // socket.io: 'self' matches ws:/wss: to our own origin in CSP Level 3 (w3c/webappsec-csp#7);
        // the public origin's websocket is named for browsers that predate that. Then the SIP websocket.
        'connect-src': [...new Set(["'self'", wsOrigin(i.publicUrl), ...sips.map((sip) => `${sip.protocol}//${sip.host}`)])],
        'object-src': ["'none'"],
        'worker-src': ["'self'"],
        'manifest-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-src': ["'none'"],
        'frame-ancestors': ["'none'"],
        // Only behind HTTPS: on plain http://10.0.0.5:3000 it would send the page's own requests to https://.
        ...(https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    // frame-ancestors 'none' for old browsers that only know X-Frame-Options.
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS means something only over HTTPS (RFC 6797 §8.1: ignored on plain HTTP); sent only then.
    strictTransportSecurity: https ? { maxAge: 180 * 86_400, includeSubDomains: false } : false,
  };
}

/** The policy of Swagger UI's pages (/api/docs): the app's, plus inline styles, which its bundle injects. */
export function swaggerUiPolicy(csp: string): string {
  return csp.replace(/(^|;)\s*style-src ([^;]*)/, (_m, sep: string, values: string) => `${sep}style-src ${values} 'unsafe-inline'`);
}
